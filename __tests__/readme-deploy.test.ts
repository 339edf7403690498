import { readFileSync } from "node:fs";
import * as path from "node:path";
import { synthApp } from "./support/app";

/**
 * The README's deploy section is a contract: its commands must run as written with the pinned CDKTF
 * CLI, against the stacks and outputs the app really synthesizes. (The CLI refuses `cdktf deploy
 * <stack>` when a dependency of the stack is not in the same command, unless
 * `--ignore-missing-stack-dependencies` is given; the edge stack depends on every cell stack.)
 */

const ROOT = path.resolve(__dirname, "..");
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
/** A `## ` section of the README, heading to the next one. */
const section = (heading: string): string => {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
};
const deploySection = section("Deploy");

/** The shell lines of a section's bash blocks, comments removed, continuation lines joined. */
const shellLinesOf = (text: string): string[] =>
  [...text.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.replace(/\\\n\s*/g, " ").split("\n"))
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
const shellLines = shellLinesOf(deploySection);

const cdktfCommands = shellLines.filter((line) => /\bnpx cdktf\b/.test(line)).map((line) => line.slice(line.indexOf("npx cdktf") + "npx cdktf".length).trim().split(/\s+/));
const deploys = cdktfCommands.filter(([verb]) => verb === "deploy").map(([, ...args]) => ({ stacks: args.filter((a) => !a.startsWith("-")), flags: args.filter((a) => a.startsWith("-")) }));

const app = synthApp();
const dependenciesOf = (stack: string): string[] => app.manifest.stacks[stack]?.dependencies ?? [];

/** The pinned CLI's bundled command definitions, where every option it accepts is declared by name. */
const cliSource = readFileSync(path.join(ROOT, "node_modules/cdktf-cli/bundle/bin/cdktf.js"), "utf8");

describe("README deploy section", () => {
  test("deploys every stack of the app, cells before the edge", () => {
    const order = deploys.flatMap((d) => d.stacks);
    expect([...order].sort()).toEqual(Object.keys(app.stacks).sort());
    const edgeAt = order.indexOf("edge");
    for (const cell of dependenciesOf("edge")) expect(order.indexOf(cell)).toBeLessThan(edgeAt);
  });

  test("each `cdktf deploy` runs as written: its stacks' dependencies are in the command, or it passes --ignore-missing-stack-dependencies", () => {
    expect(deploys.length).toBeGreaterThan(0);
    for (const { stacks, flags } of deploys) {
      for (const stack of stacks) expect(Object.keys(app.manifest.stacks)).toContain(stack);
      const missing = stacks.flatMap(dependenciesOf).filter((d) => !stacks.includes(d));
      if (missing.length > 0) expect([stacks.join(" "), flags]).toEqual([stacks.join(" "), expect.arrayContaining(["--ignore-missing-stack-dependencies"])]);
    }
    // The case the flag exists for: the edge alone, after its cells.
    expect(dependenciesOf("edge").sort()).toEqual(["cell-alpha", "cell-beta"]);
    expect(deploys).toContainEqual({ stacks: ["edge"], flags: ["--ignore-missing-stack-dependencies"] });
  });

  test("every cdktf option it uses is one the pinned CLI accepts", () => {
    const options = [...new Set(cdktfCommands.flatMap((args) => args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]!)))];
    expect(options).toEqual(expect.arrayContaining(["ignore-missing-stack-dependencies", "outputs-file-include-sensitive-outputs"]));
    for (const option of options) expect([option, cliSource.includes(`"${option}"`)]).toEqual([option, true]);
  });

  /** The (stack, output) pairs that shell lines read with `out <stack> <output>` or `terraform -chdir=... output`. */
  const outputReads = (lines: readonly string[]) => [
    ...lines.flatMap((line) => [...line.matchAll(/\bout ([a-z0-9-]+) ([a-z0-9-]+)\)/g)].map((m) => [m[1]!, m[2]!])),
    ...lines.flatMap((line) => [...line.matchAll(/-chdir="?cdktf\.out\/stacks\/([a-z0-9-]+)"? output (?:-raw |-json )?([a-z0-9-]+)/g)].map((m) => [m[1]!, m[2]!])),
  ];
  const expectOutputsExist = (reads: string[][]) => {
    for (const [stack, output] of reads) expect([stack, output, Object.keys(app.stacks[stack!]?.output ?? {})]).toEqual([stack, output, expect.arrayContaining([output])]);
  };

  test("every Terraform output it reads exists in that stack", () => {
    const reads = outputReads(shellLines);
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expectOutputsExist(reads);
    expect(app.stacks["cell-alpha"].output["admin-key"].sensitive).toBe(true);
  });

  test("so does the connection recipe of 'Evacuation on degradation' (router URL, registry namespace, every cell's admin key)", () => {
    const reads = outputReads(shellLinesOf(section("Evacuation on degradation")));
    expect(reads.map(([stack, output]) => `${stack} ${output}`).sort()).toEqual(["cell-alpha admin-key", "cell-beta admin-key", "edge registry-namespace-id", "edge router-url"]);
    expectOutputsExist(reads);
  });

  test("names the prerequisites the issue asked for: role-assignment rights and the workers.dev subdomain", () => {
    for (const needle of ["Owner", "User Access Administrator", "Role Based Access Control Administrator", "workers.dev subdomain", "/healthz"]) expect(deploySection).toContain(needle);
  });
});
