import { isCellId, isTenantId, TENANT_ID_PATTERN } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { moveProgress } from "../cli/progress";
import { CliError, ControlPlane } from "../control-plane";
import { JournalStore, type MoveJournal } from "../moves/journal";
import { Mover, type MoveHooks } from "../moves/move";

/** A move's journal as `--json` prints it and as a table row. */
export const moveView = (j: MoveJournal) => ({
  tenant_id: j.tenantId,
  from: j.source,
  to: j.target,
  epoch: j.toEpoch,
  phase: j.phase,
  records_copied: j.copied,
  write_pause_ms: j.pauseMs ?? null,
  started_at: j.startedAt,
  finished_at: j.finishedAt ?? null,
  last_error: j.lastError ?? null,
});

/** `cellctl move <tenant> --to <cell> | --resume | --abort`. */
export async function moveCommand(
  plane: ControlPlane,
  io: Io,
  journals: JournalStore,
  tenantId: string,
  options: { to?: string; resume?: boolean; abort?: boolean },
  hooks: Omit<MoveHooks, "progress"> = {},
): Promise<number> {
  if (!isTenantId(tenantId)) throw new CliError(`tenant id must match ${TENANT_ID_PATTERN}, got '${tenantId}'`, 2);
  if (options.to !== undefined && !isCellId(options.to)) throw new CliError(`--to must be a cell id, got '${options.to}'`, 2);
  if ([options.to !== undefined, options.resume, options.abort].filter(Boolean).length > 1) throw new CliError("give one of --to, --resume and --abort", 2);
  const progress = moveProgress(io);
  const mover = new Mover(plane, journals, { ...hooks, progress });
  try {
    const journal = options.abort ? await mover.abort(tenantId) : options.resume ? await mover.resume(tenantId) : await mover.start(tenantId, options.to);
    emit(io, moveView(journal), (v) =>
      v.phase === "aborted"
        ? `move of ${v.tenant_id} aborted: it stays on ${v.from}`
        : `moved ${v.tenant_id} from ${v.from} to ${v.to} (epoch ${v.epoch}): ${v.records_copied} records copied, writes paused ${v.write_pause_ms ?? "?"} ms`,
    );
    return 0;
  } finally {
    progress.stop();
  }
}

/** `cellctl moves`: every journaled move on this machine. */
export async function movesCommand(io: Io, journals: JournalStore): Promise<number> {
  const views = journals.all().map(moveView).sort((a, b) => (a.started_at < b.started_at ? -1 : 1));
  emit(io, { moves: views }, (d) =>
    table(["TENANT", "FROM", "TO", "EPOCH", "PHASE", "COPIED", "PAUSE", "ERROR"], d.moves.map((m) => [m.tenant_id, m.from, m.to, m.epoch, m.phase, m.records_copied, m.write_pause_ms === null ? null : `${m.write_pause_ms} ms`, m.last_error])),
  );
  return 0;
}

/**
 * `cellctl purge <tenant> --cell <cell>`: deletes a moved tenant's old copy. Refused unless the
 * tenant is `moved` on that cell and the cell it moved to serves it (`active`).
 */
export async function purgeCommand(plane: ControlPlane, io: Io, tenantId: string, options: { cell: string }): Promise<number> {
  if (!isTenantId(tenantId)) throw new CliError(`tenant id must match ${TENANT_ID_PATTERN}, got '${tenantId}'`, 2);
  const cell = await plane.admin(options.cell);
  const here = await cell.ownership(tenantId);
  if (here?.state !== "moved" || !here.movedTo) {
    throw new CliError(`'${tenantId}' is ${here ? `${here.state} at epoch ${here.epoch}` : "unknown"} on ${options.cell}; only a tenant that moved away can be purged`);
  }
  const there = await (await plane.admin(here.movedTo.cellId)).ownership(tenantId);
  if (there?.state !== "active") {
    throw new CliError(`'${tenantId}' moved to ${here.movedTo.cellId}, which has it ${there ? there.state : "not at all"}; purging now could lose its only copy`);
  }
  let deleted = 0;
  for (let more = true; more; ) {
    const page = await cell.purge(tenantId);
    deleted += page.deleted;
    more = page.more;
    if (more) io.err(`${tenantId}: purged ${deleted} items from ${options.cell} so far`);
  }
  emit(io, { tenant_id: tenantId, cell_id: options.cell, deleted }, (d) => `purged ${d.deleted} items of ${d.tenant_id} from ${d.cell_id}; it keeps answering tenant_moved for it`);
  return 0;
}
