import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * The steps of a tenant move, in order. The journal records the last step that completed, so a
 * controller that dies anywhere is finished by `--resume` from the next step, or undone by `--abort`.
 */
export const MOVE_PHASES = ["planned", "prepared", "copied", "caught-up", "fenced", "synced", "verified", "cut-over", "done", "aborted"] as const;
export type MovePhase = (typeof MOVE_PHASES)[number];

/** What a move has done so far; written after every step (and every page of the bulk copy). */
export interface MoveJournal {
  readonly v: 1;
  /** This move's id: every ownership change it makes carries it, so a resume repeats them and nobody else can. */
  readonly moveId: string;
  readonly tenantId: string;
  readonly source: string;
  readonly target: string;
  /** The epoch the tenant had on the source when the move began. */
  readonly fromEpoch: number;
  /** The epoch the target takes it at: above every epoch any cell held for the tenant when the move was planned (usually fromEpoch + 1). */
  readonly toEpoch: number;
  phase: MovePhase;
  readonly startedAt: string;
  updatedAt: string;
  /** Export cursor of the bulk copy (null once complete). */
  bulkCursor: string | null;
  /** When the bulk copy began: the catch-up pass copies what changed since then. */
  bulkStartedAt?: string;
  /** When the last catch-up pass began: the fenced delta copies what changed since then. */
  deltaSince?: string;
  copied: number;
  fencedAt?: string;
  activatedAt?: string;
  /** Fence to target active: how long the tenant's writes were paused, ms. */
  pauseMs?: number;
  finishedAt?: string;
  /** Why the last attempt stopped, for the operator. */
  lastError?: string;
}

/** Where journals live: `CELLCTL_JOURNAL_DIR`, else `.cellctl/` in the working directory. */
export function journalDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  return path.resolve(cwd, env.CELLCTL_JOURNAL_DIR ?? ".cellctl");
}

/**
 * Move journals on local disk, one JSON file per tenant (`moves/<tenant>.json`), written atomically
 * (temp file + rename), and a lock file per tenant so two `cellctl` processes on one machine never
 * drive the same move; controllers on different machines are kept apart by the cells' epoch
 * compare-and-set.
 */
export class JournalStore {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, "moves");
  }

  private file(tenantId: string): string {
    return path.join(this.dir, `${tenantId}.json`);
  }

  load(tenantId: string): MoveJournal | undefined {
    const file = this.file(tenantId);
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, "utf8")) as MoveJournal;
  }

  save(journal: MoveJournal): void {
    mkdirSync(this.dir, { recursive: true });
    journal.updatedAt = new Date().toISOString();
    const file = this.file(journal.tenantId);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(journal, null, 2)}\n`);
    renameSync(temp, file);
  }

  /** Every journal, for `evacuate --resume` and status views. */
  all(): MoveJournal[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => JSON.parse(readFileSync(path.join(this.dir, name), "utf8")) as MoveJournal);
  }

  /**
   * Takes the tenant's lock, or says who holds it. A lock whose process is gone (a crashed
   * controller) is taken over.
   */
  lock(tenantId: string): { release(): void } | { heldBy: number } {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${tenantId}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, "wx");
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return { release: () => rmSync(file, { force: true }) };
      } catch {
        const holder = Number(readFileSync(file, "utf8"));
        if (holder === process.pid || isAlive(holder)) return { heldBy: holder };
        rmSync(file, { force: true }); // the holder died: its journal says where it got to
      }
    }
    return { heldBy: Number(readFileSync(file, "utf8")) };
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
