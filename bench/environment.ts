import { execFileSync } from "node:child_process";
import * as os from "node:os";
import { ROOT } from "./child";

/** Where and on what the benchmark ran: enough to compare two result files honestly. */
export interface BenchEnvironment {
  readonly date: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryMiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews timings. */
  readonly loadAverageAtStart: readonly number[];
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export function benchEnvironment(): BenchEnvironment {
  const cpus = os.cpus();
  const commit = git(["rev-parse", "HEAD"]);
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuCount: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    git: commit === undefined ? null : { commit, dirty: (git(["status", "--porcelain"]) ?? "") !== "" },
  };
}
