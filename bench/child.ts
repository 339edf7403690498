import { spawn } from "node:child_process";
import * as path from "node:path";

/**
 * Fresh child processes for the measurements that must not share a heap (synth, provider imports):
 * each child starts cold, does one thing, and reports its own numbers on one stdout line that starts
 * with `RESULT_MARKER`. The parent adds the whole-process wall time (spawn to exit).
 */

/** Repository root. */
export const ROOT = path.resolve(__dirname, "..");

/** Prefix of the one stdout line a child reports its measurements on (JSON after it). */
export const RESULT_MARKER = "@@bench-result ";

/** What every child reports about itself at the end. */
export interface ChildSelf {
  /** `process.resourceUsage().maxRSS` in the child at the end, MiB. */
  readonly maxRssMiB: number;
}

/** Writes a child's result line. */
export function emitResult(result: object): void {
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ ...result, maxRssMiB })}\n`);
}

export interface ChildRun<T> {
  /** Spawn to exit, as seen by the parent, ms. */
  readonly wallMs: number;
  readonly result: T & ChildSelf;
}

/** `node --import tsx <file>`: how a TypeScript child runs (the same loader `npm run synth` uses). */
export const tsxArgs = (file: string, ...args: string[]): string[] => ["--import", "tsx", path.join(ROOT, file), ...args];

/** Runs `process.execPath args` in the repository root and returns its result line; throws on failure. */
export function runNode<T>(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      // Streams may still hold the last chunk; 'close' follows 'exit' once they are drained.
      child.on("close", () => {
        const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
        if (code !== 0 || line === undefined) {
          const command = args.map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a)).join(" ");
          reject(new Error(`child '${command}' failed (exit ${code ?? signal}):\n${stderr.slice(-2000) || stdout.slice(-2000)}`));
          return;
        }
        resolve({ wallMs, result: JSON.parse(line.slice(RESULT_MARKER.length)) as T & ChildSelf });
      });
    });
  });
}

/** A long-running child that reported its result line and keeps running until `stop()`. */
export interface RunningChild<T> {
  readonly result: T;
  readonly pid: number;
  /** Closes the child's stdin (its signal to shut down) and waits for it to exit; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `process.execPath args` in the repository root and resolves once it has written its result
 * line; the child keeps running until `stop()` closes its stdin.
 */
export function startNode<T>(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<RunningChild<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let reported = false;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    const timer = setTimeout(() => {
      if (!reported) child.kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (reported) return;
      stdout += chunk;
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER) && stdout.includes(`${l}\n`));
      if (line === undefined) return;
      reported = true;
      clearTimeout(timer);
      resolve({
        result: JSON.parse(line.slice(RESULT_MARKER.length)) as T,
        pid: child.pid!,
        stop: async (graceMs = 10_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.stdin.end();
          const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
          await exited;
          clearTimeout(kill);
        },
      });
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!reported) reject(new Error(`child '${args.join(" ")}' exited (${code ?? signal}) before reporting:\n${stderr.slice(-2000) || stdout.slice(-2000)}`));
    });
  });
}
