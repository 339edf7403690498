import { sumOfItemHashes, type CellEntry, type ChangeEvent, type DigestView, type ExportItem, type Ownership } from "../../contract";
import { AdminCallError, type AdminClient } from "../admin-client";
import { CliError, ControlPlane } from "../control-plane";
import { chooseCell, type CellLoad } from "../placement";
import { occupancy, surveyCells } from "../commands/status";
import { changesSince, copyPages } from "./copy";
import { JournalStore, MOVE_PHASES, type MoveJournal, type MovePhase } from "./journal";

/**
 * How far before a pass's start the next pass re-reads the source's change stream. A change's commit
 * time comes from the cell's clock when it planned the write, and a write commits within the cell's
 * function timeout (29 s at most); the margin covers that plus clock skew between cells and the
 * controller. Re-reading is harmless: imports skip what the target already has.
 */
export const DELTA_MARGIN_MS = 45_000;
/** Record ids per `export?ids=` call (the cell's limit). */
const IDS_PER_CALL = 50;

/** What a move tells the operator while it runs. */
export interface MoveProgress {
  phase(journal: MoveJournal, detail: string): void;
  copied(journal: MoveJournal, copied: number, total: number | undefined): void;
}

export const silentProgress: MoveProgress = { phase: () => {}, copied: () => {} };

export interface MoveHooks {
  readonly progress?: MoveProgress;
  /**
   * Called after each step is journaled. Tests throw from it to stand for a controller that dies at
   * that point (everything it did is in the cells, the registry and the journal; nothing in memory).
   */
  readonly afterStep?: (phase: MovePhase, journal: MoveJournal) => void | Promise<void>;
  /** Wall-clock time, for the journal and the pause measurement. @default Date.now */
  readonly now?: () => number;
}

/** A move that stopped: the journal says where, the message what to do. */
export class MoveError extends CliError {}

const nextOf = (phase: MovePhase): MovePhase => MOVE_PHASES[MOVE_PHASES.indexOf(phase) + 1]!;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Moves live tenants between cells, across clouds or within one, through the cells' admin APIs only:
 *
 * 1. **prepare**: the target takes the tenant as `importing` at epoch e+1;
 * 2. **copy**: the source's records (and tombstones) are exported page by page and imported, while
 *    the source stays `active` and keeps taking writes;
 * 3. **catch up**: what changed during the copy is copied again (from the source's change stream),
 *    still without a pause, so the fenced step has little left to do;
 * 4. **fence**: the source takes the tenant as `fenced` at e+1: no write can commit there any more
 *    (the check is atomic with every write), reads keep being served, writes get 503 + `Retry-After`;
 * 5. **delta**: what changed since the catch-up began is copied;
 * 6. **verify**: the source's and the target's digests (count and an order-independent hash of every
 *    id, version and data) must be equal; a mismatch is repaired once from the id/version listings,
 *    else the move stops and says why;
 * 7. **cut over**: the target becomes `active` at e+1 (the write pause ends), the source `moved` to
 *    it, and the registry's tenant entry names the target and e+1.
 *
 * Every step is journaled (`JournalStore`), so a controller that dies is finished by `resume` or
 * undone by `abort`. Two controllers cannot both win: the target's and the source's ownership changes
 * are compare-and-sets on the epoch.
 */
export class Mover {
  private readonly now: () => number;
  private readonly progress: MoveProgress;
  /**
   * The version of each record this process has copied to a target, per move: a later pass skips a
   * change the target already has, so the fenced delta copies only what changed since the catch-up
   * (not everything inside the safety margin). Lost with the process: a resumed move copies a little more.
   */
  private readonly copiedVersions = new Map<string, Map<string, number>>();
  /**
   * Per move: each cell's per-item digest shares, listed after the catch-up (before the fence), the
   * time that listing began, and the ids this process imported since. Verification then asks both
   * cells again only for what changed after, so the fenced window does not grow with the tenant's size.
   */
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(
    private readonly plane: ControlPlane,
    private readonly journals: JournalStore,
    private readonly hooks: MoveHooks = {},
  ) {
    this.now = hooks.now ?? Date.now;
    this.progress = hooks.progress ?? silentProgress;
  }

  /** Starts a move of `tenantId` to `to` (or the active cell with the lowest utilisation) and runs it to the end. */
  async start(tenantId: string, to?: string): Promise<MoveJournal> {
    const existing = this.journals.load(tenantId);
    if (existing && existing.phase !== "done" && existing.phase !== "aborted") {
      throw new MoveError(`a move of '${tenantId}' from ${existing.source} to ${existing.target} stopped at '${existing.phase}'; finish it with 'cellctl move ${tenantId} --resume' or undo it with '--abort'`);
    }
    return this.locked(tenantId, async () => {
      const journal = await this.plan(tenantId, to);
      this.journals.save(journal);
      await this.step("planned", journal);
      return this.drive(journal);
    });
  }

  /** Finishes a move that stopped (a crashed controller, a failed step), from its journal. */
  async resume(tenantId: string): Promise<MoveJournal> {
    return this.locked(tenantId, async () => {
      const journal = this.journals.load(tenantId);
      if (!journal) throw new MoveError(`no move of '${tenantId}' to resume (no journal in ${this.journalsHint()})`);
      if (journal.phase === "done" || journal.phase === "aborted") return journal;
      return this.drive(journal);
    });
  }

  /**
   * Undoes a move that has not cut over: the source takes the tenant back (active at a fresh epoch if
   * it was fenced), the target lets go of it (`moved` back to the source) and its copy is purged, and
   * the registry names the source. A move that already cut over is refused: move the tenant back instead.
   */
  async abort(tenantId: string): Promise<MoveJournal> {
    return this.locked(tenantId, async () => {
      const journal = this.journals.load(tenantId);
      if (!journal) throw new MoveError(`no move of '${tenantId}' to abort (no journal in ${this.journalsHint()})`);
      if (journal.phase === "aborted") return journal;
      const [source, target] = await Promise.all([this.plane.admin(journal.source), this.plane.admin(journal.target)]);
      const [onSource, onTarget] = await Promise.all([source.ownership(tenantId), target.ownership(tenantId)]);
      // Only what this move changed is undone: another controller's changes carry another operation id.
      const ours = (o: Ownership | undefined): o is Ownership => o?.operation === journal.moveId;
      if (journal.phase === "done" || (ours(onSource) && onSource.state === "moved")) {
        throw new MoveError(`the move of '${tenantId}' to ${journal.target} has cut over; to undo it, move the tenant back: 'cellctl move ${tenantId} --to ${journal.source}'`);
      }
      const back = journal.toEpoch + 1;
      if (ours(onSource) && onSource.state === "fenced") {
        await source.setOwnership(tenantId, { epoch: back, state: "active", operation: journal.moveId, expected: { epoch: onSource.epoch, state: "fenced" } });
        const sourceCell = await this.cellEntry(journal.source);
        await this.plane.registry.putTenant({ tenantId, cellId: journal.source, status: "active", epoch: back }, sourceCell);
        this.progress.phase(journal, `source ${journal.source} serves '${tenantId}' again at epoch ${back}`);
      }
      if (ours(onTarget) && onTarget.state !== "moved") {
        const sourceNow = await source.ownership(tenantId);
        await target.setOwnership(tenantId, {
          epoch: Math.max(back, onTarget.epoch + 1),
          state: "moved",
          movedTo: { cellId: journal.source, epoch: sourceNow?.epoch ?? journal.fromEpoch },
          operation: journal.moveId,
          expected: { epoch: onTarget.epoch, state: onTarget.state },
        });
        let purged = 0;
        for (let more = true; more; ) {
          const result = await target.purge(tenantId);
          purged += result.deleted;
          more = result.more;
        }
        this.progress.phase(journal, `target ${journal.target} let go of '${tenantId}' and purged ${purged} items`);
      }
      journal.phase = "aborted";
      journal.finishedAt = iso(this.now());
      this.journals.save(journal);
      return journal;
    });
  }

  private journalsHint(): string {
    return "the journal directory (.cellctl/ or CELLCTL_JOURNAL_DIR)";
  }

  private async locked<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const lock = this.journals.lock(tenantId);
    if ("heldBy" in lock) throw new MoveError(`another cellctl (pid ${lock.heldBy}) is moving '${tenantId}' on this machine`);
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  /** Works out where the tenant is and where it goes; checks both ends before anything changes. */
  private async plan(tenantId: string, to: string | undefined): Promise<MoveJournal> {
    const { reports } = await surveyCells(this.plane);
    const holders = reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((o) => ({ cellId: r.entry.cellId, ownership: o })));
    const active = holders.filter((h) => h.ownership.state === "active");
    if (active.length !== 1) {
      const where = holders.map((h) => `${h.cellId}: ${h.ownership.state} @${h.ownership.epoch}`).join(", ") || "no cell holds it";
      throw new MoveError(`tenant '${tenantId}' has no single active owner (${where}); a move needs one`);
    }
    const standby = holders.find((h) => h.ownership.state === "standby");
    if (standby) {
      throw new MoveError(`tenant '${tenantId}' has a standby on ${standby.cellId}; drop it first ('cellctl standby ${tenantId} --off'), then move it (or fail over to the standby: 'cellctl failover ${tenantId}')`);
    }
    const inFlight = holders.filter((h) => h.ownership.state === "importing" || h.ownership.state === "fenced");
    if (inFlight.length > 0) {
      throw new MoveError(`tenant '${tenantId}' is already being moved (${inFlight.map((h) => `${h.cellId}: ${h.ownership.state} @${h.ownership.epoch}`).join(", ")}); another controller is at work, or a move stopped: see its journal`);
    }
    const source = active[0]!;
    if (to === source.cellId) throw new MoveError(`tenant '${tenantId}' is already on ${to}`);
    let target: string;
    if (to !== undefined) {
      const report = reports.find((r) => r.entry.cellId === to);
      if (!report) throw new MoveError(`cell '${to}' is not in the registry; cells: ${reports.map((r) => r.entry.cellId).join(", ")}`);
      if (report.entry.status !== "active") throw new MoveError(`cell '${to}' is ${report.entry.status}; a move only goes into an active cell`);
      if (report.health !== "ok") throw new MoveError(`cell '${to}' could not be reached: ${report.error ?? "no answer"}`);
      target = to;
    } else {
      const loads: CellLoad[] = reports.map((r) => ({ cell: r.entry, tenants: occupancy(r) ?? 0, capacity: r.capacity, reachable: r.health === "ok" }));
      const choice = chooseCell(loads, new Set([source.cellId]));
      if (!choice.ok) throw new MoveError(choice.reason);
      target = choice.cellId;
    }
    const startedAt = iso(this.now());
    // Above every epoch any cell holds for the tenant: an aborted move leaves its target (and a fenced
    // source) past the owner's epoch, and epochs only grow.
    const toEpoch = Math.max(...holders.map((h) => h.ownership.epoch)) + 1;
    return {
      v: 1,
      moveId: `move-${crypto.randomUUID()}`,
      tenantId,
      source: source.cellId,
      target,
      fromEpoch: source.ownership.epoch,
      toEpoch,
      phase: "planned",
      startedAt,
      updatedAt: startedAt,
      bulkCursor: null,
      copied: 0,
    };
  }

  /** Runs the steps after the journal's phase, journaling each. */
  private async drive(journal: MoveJournal): Promise<MoveJournal> {
    const [source, target] = await Promise.all([this.plane.admin(journal.source), this.plane.admin(journal.target)]);
    const steps: Partial<Record<MovePhase, () => Promise<void>>> = {
      prepared: () => this.prepare(journal, target),
      copied: () => this.bulkCopy(journal, source, target),
      "caught-up": () => this.catchUp(journal, source, target),
      fenced: () => this.fence(journal, source),
      synced: () => this.delta(journal, source, target),
      verified: () => this.verify(journal, source, target),
      "cut-over": () => this.cutOver(journal, source, target),
    };
    try {
      while (journal.phase !== "done") {
        const next = nextOf(journal.phase);
        if (next === "done") {
          journal.finishedAt = iso(this.now());
          journal.phase = "done";
          this.journals.save(journal);
          this.progress.phase(journal, `done: '${journal.tenantId}' is on ${journal.target} at epoch ${journal.toEpoch}; write pause ${journal.pauseMs ?? "?"} ms`);
          break;
        }
        await steps[next]!();
        journal.phase = next;
        journal.lastError = undefined;
        this.journals.save(journal);
        await this.step(next, journal);
      }
      return journal;
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      journal.lastError = error instanceof Error ? error.message : String(error);
      this.journals.save(journal);
      if (error instanceof MoveError) throw error;
      throw new MoveError(
        `the move of '${journal.tenantId}' stopped after '${journal.phase}': ${journal.lastError}; fix the cause, then 'cellctl move ${journal.tenantId} --resume' (or '--abort')`,
      );
    }
  }

  private async step(phase: MovePhase, journal: MoveJournal): Promise<void> {
    await this.hooks.afterStep?.(phase, journal);
  }

  private async prepare(journal: MoveJournal, target: AdminClient): Promise<void> {
    const current = await target.ownership(journal.tenantId);
    await this.cas(target, journal, { epoch: journal.toEpoch, state: "importing" }, current);
    this.progress.phase(journal, `prepared: ${journal.target} takes '${journal.tenantId}' as importing at epoch ${journal.toEpoch}`);
  }

  private async bulkCopy(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<void> {
    journal.bulkStartedAt ??= iso(this.now());
    const total = (await source.digest(journal.tenantId)).count;
    this.progress.phase(journal, `copying ${total} records from ${journal.source} while it keeps serving`);
    await copyPages(source, target, journal.tenantId, journal.bulkCursor, (items, next) => {
      this.remember(journal, items);
      journal.copied += items.length;
      journal.bulkCursor = next;
      this.journals.save(journal);
      this.progress.copied(journal, journal.copied, total);
    });
  }

  private async catchUp(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<void> {
    const passStarted = this.now();
    const copied = await this.copyChangedSince(journal, source, target, Date.parse(journal.bulkStartedAt!) - DELTA_MARGIN_MS);
    journal.deltaSince = iso(passStarted);
    this.progress.phase(journal, `caught up: ${copied} records changed during the copy`);
    const at = this.now();
    const [onSource, onTarget] = await Promise.all([itemHashes(source, journal.tenantId), itemHashes(target, journal.tenantId)]);
    this.snapshots.set(journal.moveId, { at, source: onSource, target: onTarget, touched: new Set() });
    // (`named` is filled by the fenced delta: every id the change stream named after the fence.)
    this.progress.phase(journal, `listed ${onSource.size} items on ${journal.source} and ${onTarget.size} on ${journal.target} for the verification`);
  }

  private async fence(journal: MoveJournal, source: AdminClient): Promise<void> {
    const current = await source.ownership(journal.tenantId);
    if (current?.state === "active" && current.epoch !== journal.fromEpoch) {
      throw new MoveError(`'${journal.tenantId}' is active on ${journal.source} at epoch ${current.epoch}, not ${journal.fromEpoch}: another controller changed it`);
    }
    await this.cas(source, journal, { epoch: journal.toEpoch, state: "fenced" }, current);
    journal.fencedAt ??= iso(this.now());
    this.progress.phase(journal, `fenced on ${journal.source}: writes pause, reads go on`);
  }

  private async delta(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<void> {
    const named = new Set<string>();
    const copied = await this.copyChangedSince(journal, source, target, Date.parse(journal.deltaSince!) - DELTA_MARGIN_MS, named);
    // Read after the fence, from before the listings began: every change the verification must re-check.
    const snapshot = this.snapshots.get(journal.moveId);
    if (snapshot) snapshot.named = named;
    this.progress.phase(journal, `delta: ${copied} records changed since the catch-up`);
  }

  private async verify(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<void> {
    const snapshot = this.snapshots.get(journal.moveId);
    if (snapshot && (await this.verifyIncrementally(journal, source, target, snapshot))) return;
    const digests = () => Promise.all([source.digest(journal.tenantId), target.digest(journal.tenantId)]);
    let [ds, dt] = await digests();
    if (!sameDigest(ds, dt)) {
      // A change the stream did not surface in time (clock skew past the margin): repair from the listings once.
      const repaired = await this.copyListingDifferences(journal, source, target);
      this.progress.phase(journal, `digests differed; repaired ${repaired} records from the id/version listings`);
      [ds, dt] = await digests();
    }
    if (!sameDigest(ds, dt)) {
      throw new MoveError(
        `verification failed: ${journal.source} has ${ds.count} records, ${ds.tombstones} tombstones, hash ${ds.hash.slice(0, 12)}; ` +
          `${journal.target} has ${dt.count}, ${dt.tombstones}, ${dt.hash.slice(0, 12)}. The tenant stays fenced on ${journal.source}: ` +
          `'cellctl move ${journal.tenantId} --resume' tries again, '--abort' gives it back to ${journal.source}`,
      );
    }
    this.progress.phase(journal, `verified: ${ds.count} records, ${ds.tombstones} tombstones, hash ${ds.hash.slice(0, 12)} on both cells`);
  }

  /**
   * Brings the pre-fence listings up to date with what changed since they began (the source's change
   * stream, and what this process imported), then compares them item by item: equal listings are
   * equal digests. False when they differ (the caller falls back to repairing and full digests).
   */
  private async verifyIncrementally(
    journal: MoveJournal,
    source: AdminClient,
    target: AdminClient,
    snapshot: Snapshot,
  ): Promise<boolean> {
    const changed = new Set<string>(snapshot.touched);
    if (snapshot.named) {
      for (const id of snapshot.named) changed.add(id);
    } else {
      await this.namedSince(journal, source, snapshot.at - DELTA_MARGIN_MS, changed);
    }
    const ids = [...changed];
    const refresh = async (cell: AdminClient, map: Map<string, string>) => {
      for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
        const chunk = ids.slice(i, i + IDS_PER_CALL);
        const found = new Map((await cell.itemHashesOf(journal.tenantId, chunk)).map((h) => [h.record_id, h.hash]));
        for (const id of chunk) {
          const hash = found.get(id);
          if (hash === undefined) map.delete(id);
          else map.set(id, hash);
        }
      }
    };
    await Promise.all([refresh(source, snapshot.source), refresh(target, snapshot.target)]);
    const differing = [...snapshot.source].filter(([id, hash]) => snapshot.target.get(id) !== hash).length + [...snapshot.target.keys()].filter((id) => !snapshot.source.has(id)).length;
    if (differing > 0) {
      this.progress.phase(journal, `${differing} items differ after the delta; repairing and checking the full digests`);
      return false;
    }
    const hash = sumOfItemHashes(snapshot.source.values());
    this.progress.phase(journal, `verified: ${snapshot.source.size} items (records and tombstones), digest ${hash.slice(0, 12)} on both cells (${ids.length} re-checked after the fence)`);
    return true;
  }

  private async cutOver(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<void> {
    const onTarget = await target.ownership(journal.tenantId);
    await this.cas(target, journal, { epoch: journal.toEpoch, state: "active" }, onTarget);
    if (journal.activatedAt === undefined) {
      const activated = this.now();
      journal.activatedAt = iso(activated);
      if (journal.fencedAt) journal.pauseMs = activated - Date.parse(journal.fencedAt);
      this.journals.save(journal);
    }
    const onSource = await source.ownership(journal.tenantId);
    await this.cas(source, journal, { epoch: journal.toEpoch, state: "moved", movedTo: { cellId: journal.target, epoch: journal.toEpoch } }, onSource);
    const cell = await this.cellEntry(journal.target);
    await this.plane.registry.putTenant({ tenantId: journal.tenantId, cellId: journal.target, status: "active", epoch: journal.toEpoch }, cell);
    this.progress.phase(journal, `cut over: ${journal.target} serves '${journal.tenantId}' at epoch ${journal.toEpoch}; ${journal.source} answers tenant_moved; registry updated`);
  }

  /** An ownership compare-and-set from what the cell holds now; asking for what is there already succeeds. */
  private async cas(cell: AdminClient, journal: MoveJournal, want: { epoch: number; state: Ownership["state"]; movedTo?: { cellId: string; epoch: number } }, current: Ownership | undefined): Promise<void> {
    try {
      await cell.setOwnership(journal.tenantId, { ...want, operation: journal.moveId, expected: current ? { epoch: current.epoch, state: current.state } : null });
    } catch (error) {
      if (error instanceof AdminCallError && (error.code === "epoch_conflict" || error.code === "ownership_state")) {
        throw new MoveError(`${cell.target.cellId} refused '${journal.tenantId}' -> ${want.state} at epoch ${want.epoch}: ${error.message}. Another controller may be moving it`);
      }
      throw error;
    }
  }

  private async cellEntry(cellId: string): Promise<CellEntry> {
    const entry = await this.plane.registry.cell(cellId);
    if (!entry) throw new MoveError(`cell '${cellId}' has no registry entry`);
    return entry;
  }

  private remember(journal: MoveJournal, items: readonly ExportItem[]): void {
    let versions = this.copiedVersions.get(journal.moveId);
    if (!versions) this.copiedVersions.set(journal.moveId, (versions = new Map()));
    const touched = this.snapshots.get(journal.moveId)?.touched;
    for (const item of items) {
      versions.set(item.record_id, Math.max(versions.get(item.record_id) ?? 0, item.version));
      touched?.add(item.record_id);
    }
  }

  /**
   * Copies the current state of every record the source's change stream names since `sinceMs`, except
   * those whose named version this move has copied already.
   */
  private async copyChangedSince(journal: MoveJournal, source: AdminClient, target: AdminClient, sinceMs: number, named = new Set<string>()): Promise<number> {
    const copied = this.copiedVersions.get(journal.moveId);
    const ids = new Set<string>();
    for (const change of await this.namedSince(journal, source, sinceMs, named)) if ((copied?.get(change.record_id) ?? 0) < change.version) ids.add(change.record_id);
    return this.copyIds(journal, source, target, [...ids]);
  }

  /** Reads the source's change stream from `sinceMs`, adding every record id it names to `named`. */
  private async namedSince(journal: MoveJournal, source: AdminClient, sinceMs: number, named: Set<string>): Promise<ChangeEvent[]> {
    const all = await changesSince(source, journal.tenantId, iso(sinceMs));
    for (const change of all) named.add(change.record_id);
    return all;
  }

  /** Copies the records whose id/version differ between the two cells' listings. */
  private async copyListingDifferences(journal: MoveJournal, source: AdminClient, target: AdminClient): Promise<number> {
    const listing = async (cell: AdminClient) => {
      const versions = new Map<string, number>();
      let cursor: string | undefined;
      do {
        const page = await cell.exportPage(journal.tenantId, { cursor, fields: "versions" });
        for (const item of page.items) versions.set(item.record_id, item.version);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return versions;
    };
    const [onSource, onTarget] = await Promise.all([listing(source), listing(target)]);
    const differing = [...onSource].filter(([id, version]) => onTarget.get(id) !== version).map(([id]) => id);
    return this.copyIds(journal, source, target, differing);
  }

  private async copyIds(journal: MoveJournal, source: AdminClient, target: AdminClient, ids: readonly string[]): Promise<number> {
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const items: ExportItem[] = await source.exportItems(journal.tenantId, ids.slice(i, i + IDS_PER_CALL));
      if (items.length > 0) await target.importPage(journal.tenantId, items);
      this.remember(journal, items);
    }
    return ids.length;
  }
}

/** A move's pre-fence listings (see `Mover.snapshots`). */
interface Snapshot {
  readonly at: number;
  readonly source: Map<string, string>;
  readonly target: Map<string, string>;
  readonly touched: Set<string>;
  named?: Set<string>;
}

/** Every item's digest share on one cell, listed page by page. */
async function itemHashes(cell: AdminClient, tenantId: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await cell.itemHashPage(tenantId, cursor);
    for (const item of page.items) hashes.set(item.record_id, item.hash);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return hashes;
}

const sameDigest = (a: DigestView, b: DigestView): boolean => a.count === b.count && a.tombstones === b.tombstones && a.hash === b.hash;

/** Thrown by tests' `afterStep` hooks to stand for a controller that dies right there. */
export class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
}
