import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { takePidLock } from "../pid-lock";
import { emptyState, type WatchState } from "./decide";

/**
 * The loop's memory on disk, beside the move journals (`<journal dir>/watch/state.json`): the cells'
 * hysteresis, the open episodes and the moves it started. A restarted loop keeps its hourly limit, its
 * cooldowns, the moves to resume and what it drained; a CI job keeps the journal directory between
 * runs for the same reason. Written atomically after every window; one loop per directory (a lock
 * file with the owner's pid, taken over when that process is gone).
 */
export class WatchStateFile {
  readonly file: string;
  private readonly lockFile: string;

  constructor(journalRoot: string) {
    this.file = path.join(journalRoot, "watch", "state.json");
    this.lockFile = path.join(journalRoot, "watch", "lock");
  }

  load(): WatchState {
    if (!existsSync(this.file)) return emptyState();
    const state = JSON.parse(readFileSync(this.file, "utf8")) as WatchState;
    return state.v === 1 ? state : emptyState();
  }

  save(state: WatchState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(temp, this.file);
  }

  /** Takes the loop's lock, or names the process that holds it. */
  lock(): { release(): void } | { heldBy: number } {
    return takePidLock(this.lockFile);
  }
}
