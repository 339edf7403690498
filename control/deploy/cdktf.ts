import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * Runs the `cdktf` CLI: one child process per call, its output prefixed with the stack it works on
 * (`[cell-alpha] ...`) so parallel deploys stay readable. An abort forwards SIGINT to every running
 * child, which lets Terraform stop at a safe point; nothing is killed harder.
 */
export interface CdktfRunner {
  /** Runs `cdktf <args>`; resolves with its exit code (a signal counts as failure). */
  run(args: readonly string[], label: string): Promise<number>;
}

export interface CdktfRunnerOptions {
  /** The executable: the project's `node_modules/.bin/cdktf`, or a stand-in. */
  readonly bin: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Receives each output line, prefixed. */
  readonly log: (line: string) => void;
  /** Aborting it sends SIGINT to every running child. */
  readonly signal?: AbortSignal;
}

export function cdktfRunner(options: CdktfRunnerOptions): CdktfRunner {
  const running = new Set<ChildProcess>();
  options.signal?.addEventListener("abort", () => running.forEach((child) => child.kill("SIGINT")), { once: true });
  return {
    run: (args, label) =>
      new Promise((resolve) => {
        // CHECKPOINT_DISABLE: the CDKTF CLI otherwise phones home on every run.
        const child = spawn(options.bin, [...args], { cwd: options.cwd, env: { CHECKPOINT_DISABLE: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
        running.add(child);
        for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", (line) => options.log(`[${label}] ${line}`));
        child.once("error", (error) => {
          running.delete(child);
          options.log(`[${label}] could not run ${options.bin}: ${error.message}`);
          resolve(127);
        });
        child.once("close", (code) => {
          running.delete(child);
          resolve(code ?? 1);
        });
      }),
  };
}
