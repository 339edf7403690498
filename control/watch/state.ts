import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Connection } from "../connection";
import { takePidLock } from "../pid-lock";
import { emptyState, type WatchState } from "./decide";

/**
 * The loop's memory on disk, beside the move journals (`<journal dir>/watch/state.json`): the cells'
 * hysteresis, the open episodes and the moves it started. A restarted loop keeps its hourly limit, its
 * cooldowns, the moves to resume and what it drained; a CI job keeps the journal directory between
 * runs for the same reason. Written atomically after every window; one loop per directory (a lock
 * file with the owner's pid, taken over when that process is gone).
 *
 * The memory belongs to one system (`systemOf`): a state file written for another one (the sandbox
 * of an earlier `npm start`, another registry) is not read, since its cooldowns, hourly limit and
 * moves are about tenants and cells that are not these, and the first save keeps it as
 * `state.previous.json`.
 */
export class WatchStateFile {
  readonly file: string;
  private readonly lockFile: string;

  constructor(
    journalRoot: string,
    /** The system watched (`systemOf(connection)`). */
    private readonly system: string,
  ) {
    this.file = path.join(journalRoot, "watch", "state.json");
    this.lockFile = path.join(journalRoot, "watch", "lock");
  }

  /** The system the file on disk was written for, when it is another one than this loop's. */
  otherSystem(): string | undefined {
    const stored = this.read();
    return stored?.system !== undefined && stored.system !== this.system ? stored.system : undefined;
  }

  load(): WatchState {
    const stored = this.read();
    if (stored === undefined || (stored.system !== undefined && stored.system !== this.system)) return { ...emptyState(), system: this.system };
    return { ...stored, system: this.system };
  }

  save(state: WatchState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (this.otherSystem() !== undefined) renameSync(this.file, path.join(path.dirname(this.file), "state.previous.json"));
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ ...state, system: this.system }, null, 2)}\n`);
    renameSync(temp, this.file);
  }

  private read(): WatchState | undefined {
    if (!existsSync(this.file)) return undefined;
    const state = JSON.parse(readFileSync(this.file, "utf8")) as WatchState;
    return state.v === 1 ? state : undefined;
  }

  /** Takes the loop's lock, or names the process that holds it. */
  lock(): { release(): void } | { heldBy: number } {
    return takePidLock(this.lockFile);
  }
}

/**
 * Names the system a connection reaches, for the state file: the Cloudflare account and KV namespace
 * of a deployed registry, or one run of the sandbox (its registry endpoint and the token each
 * `npm start` draws afresh, hashed: the file never holds the token).
 */
export function systemOf(connection: Connection): string {
  const r = connection.registry;
  if (r.kind === "cloudflare") return `cloudflare:${r.accountId}/${r.namespaceId}`;
  return `sandbox:${r.url} #${createHash("sha256").update(r.token).digest("hex").slice(0, 12)}`;
}
