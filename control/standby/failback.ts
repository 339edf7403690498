import type { Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";
import type { JournalStore, MoveJournal } from "../moves/journal";
import { Mover, type MoveHooks } from "../moves/move";
import { describeHolders, locate, ownershipOn, promotedOwner } from "./locate";
import { reconcile } from "./reconcile";
import { setUpStandby, type StandbyView } from "./setup";

/** What `cellctl failback` did. */
export interface FailbackView {
  readonly tenant_id: string;
  readonly from: string;
  readonly to: string;
  readonly epoch: number;
  readonly purged: number;
  readonly discarded: number;
  readonly write_pause_ms: number | null;
  /** The standby set up again on the cell the tenant left (null with `--no-standby`). */
  readonly standby: StandbyView | null;
}

/**
 * `cellctl failback <tenant>`: returns a failed-over tenant to its original cell once that cell is
 * healthy, and makes the cell it leaves its standby again.
 *
 * 1. the original cell must answer; if it still holds the tenant as active it is fenced (`moved`);
 * 2. `reconcile` must have nothing left: records the old primary committed that never reached the
 *    owner are applied first (`cellctl reconcile --apply`), or given up explicitly with
 *    `--discard-unreconciled` (the count is reported), never dropped silently;
 * 3. the original cell's stale copy is purged (it may hold versions the owner never had);
 * 4. the tenant moves back with the live move (copy while serving, a short fence, verification, cut
 *    over; journaled and resumable with `cellctl move --resume`);
 * 5. unless `--no-standby`, the cell it left becomes its standby again.
 */
export async function failback(
  plane: ControlPlane,
  io: Io,
  journals: JournalStore,
  tenantId: string,
  options: { readonly discardUnreconciled: boolean; readonly standby: boolean; readonly waitMs: number; readonly hooks?: MoveHooks },
): Promise<FailbackView> {
  const where = await locate(plane, tenantId);
  const owner = promotedOwner(where);
  const original = owner?.ownership.details?.replica?.primary;
  if (!owner || !original) throw new CliError(`tenant '${tenantId}' has not failed over (${describeHolders(where)}); nothing to fail back`);
  const back = await ownershipOn(await plane.admin(original.cellId), tenantId);
  if (!back.reachable) throw new CliError(`${original.cellId} cannot be reached (${back.why}); fail back once it is healthy`);

  const pending = await reconcile(plane, tenantId, { apply: false });
  const open = pending.records.filter((r) => r.status !== "in_sync");
  if (open.length > 0 && !options.discardUnreconciled) {
    throw new CliError(
      `${open.length} records of '${tenantId}' have changes ${original.cellId} committed that never reached ${owner.cellId} (${open.map((r) => r.record_id).slice(0, 5).join(", ")}${open.length > 5 ? ", ..." : ""}); ` +
        `'cellctl reconcile ${tenantId} --apply' first, or give them up with --discard-unreconciled`,
    );
  }
  if (open.length > 0) io.err(`${tenantId}: discarding ${open.length} records' changes that ${original.cellId} committed and ${owner.cellId} never had (as asked)`);

  const stale = await plane.admin(original.cellId);
  let purged = 0;
  for (let more = true; more; ) {
    const page = await stale.purge(tenantId);
    purged += page.deleted;
    more = page.more;
  }
  io.err(`${tenantId}: purged ${purged} stale items from ${original.cellId}; moving it back from ${owner.cellId}...`);
  const journal: MoveJournal = await new Mover(plane, journals, options.hooks ?? {}).start(tenantId, original.cellId);
  const standby = options.standby ? await setUpStandby(plane, io, tenantId, owner.cellId, { waitMs: options.waitMs }) : null;
  return {
    tenant_id: tenantId,
    from: owner.cellId,
    to: original.cellId,
    epoch: journal.toEpoch,
    purged,
    discarded: options.discardUnreconciled ? open.length : 0,
    write_pause_ms: journal.pauseMs ?? null,
    standby,
  };
}
