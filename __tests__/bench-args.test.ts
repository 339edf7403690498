import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { LOCAL_RESULTS_FILE, RESULTS_FILE, parseArgs, resultsFileFor } from "../bench/run";

const ROOT = path.resolve(__dirname, "..");
/** Whether git ignores `file` (exit 0 from check-ignore) in this repository. */
const ignored = (file: string): boolean => {
  try {
    execFileSync("git", ["check-ignore", "-q", path.relative(ROOT, file)], { cwd: ROOT });
    return true;
  } catch {
    return false;
  }
};

describe("npm run bench writes its results where they do not dirty the work tree", () => {
  test("by default to a git-ignored file", () => {
    expect(resultsFileFor(parseArgs([]))).toBe(LOCAL_RESULTS_FILE);
    expect(resultsFileFor(parseArgs(["--quick", "--only=synth"]))).toBe(LOCAL_RESULTS_FILE);
    expect(ignored(LOCAL_RESULTS_FILE)).toBe(true);
  });

  test("with --update to the committed results the README quotes", () => {
    expect(resultsFileFor(parseArgs(["--update"]))).toBe(RESULTS_FILE);
    expect(ignored(RESULTS_FILE)).toBe(false);
  });

  test("an unknown argument is refused with the usage", () => {
    expect(() => parseArgs(["--updte"])).toThrow(/unknown argument '--updte'; usage: npm run bench -- \[--quick\] \[--only=synth,imports,router,bundles,lake,moves,standby\] \[--update\]/);
  });
});
