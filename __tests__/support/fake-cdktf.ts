import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * A stand-in for the `cdktf` executable, for the deploy orchestrator's tests: `fake-cdktf.sh`, a
 * small POSIX shell script (it starts in a millisecond, where node takes a tenth of a second). It
 * records every call (arguments, start and end times in ms, exit code) to a log, writes an outputs
 * file the way `cdktf deploy --outputs-file` does (`{ "<stack>": { "endpoint-url": ... } }`), takes
 * `delayMs` per deploy, fails the stacks it is told to, and exits 130 on SIGINT. Needs GNU `date`.
 */

export interface CdktfCall {
  readonly args: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly code: number;
  readonly signal?: string;
}

export interface FakeCdktf {
  /** The executable's path (what `CELLS_CDKTF` names). */
  readonly bin: string;
  /** Environment for the orchestrator's children: the stand-in's settings on top of this process's. */
  env(options: { urls?: Record<string, string>; fail?: readonly string[]; delayMs?: number }): Record<string, string | undefined>;
  /** Every call so far, in the order they ended. */
  calls(): CdktfCall[];
  /** The stacks `cdktf deploy` was called for, in the order the calls started. */
  deployOrder(): string[];
  /** Most deploys that ran at the same time. */
  maxConcurrentDeploys(): number;
  remove(): void;
}

export function fakeCdktf(): FakeCdktf {
  const dir = mkdtempSync(path.join(tmpdir(), "fake-cdktf-"));
  const bin = path.join(dir, "cdktf");
  const log = path.join(dir, "calls.jsonl");
  copyFileSync(path.join(__dirname, "fake-cdktf.sh"), bin);
  chmodSync(bin, 0o755);
  const calls = (): CdktfCall[] => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as CdktfCall) : []);
  const deploys = () => calls().filter((c) => c.args[0] === "deploy");
  return {
    bin,
    env: ({ urls = {}, fail = [], delayMs = 0 }) => ({
      ...process.env,
      CELLS_CDKTF: bin,
      FAKE_CDKTF_LOG: log,
      FAKE_CDKTF_FAIL: fail.join(","),
      FAKE_CDKTF_DELAY_MS: String(delayMs),
      ...Object.fromEntries(Object.entries(urls).map(([stack, url]) => [`FAKE_URL_${stack.replace(/-/g, "_")}`, url])),
    }),
    calls,
    deployOrder: () => [...deploys()].sort((a, b) => a.start - b.start).map((c) => c.args[1]!),
    maxConcurrentDeploys: () => {
      const all = deploys();
      return Math.max(0, ...all.map((c) => all.filter((o) => o.start <= c.start && c.start < o.end).length));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
