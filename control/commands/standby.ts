import { isCellId, isRecordId } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { moveProgress } from "../cli/progress";
import { CliError, ControlPlane } from "../control-plane";
import type { JournalStore } from "../moves/journal";
import type { MoveHooks } from "../moves/move";
import { failback } from "../standby/failback";
import { failover } from "../standby/failover";
import { checkTenantId } from "../standby/locate";
import { reconcile, type ReconcileView } from "../standby/reconcile";
import { dropStandby, setUpStandby } from "../standby/setup";

/** `--wait <seconds>` as milliseconds: a positive whole number of seconds, at most a day. */
export function waitOption(raw: string | undefined, fallbackSeconds: number): number {
  if (raw === undefined) return fallbackSeconds * 1000;
  const seconds = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= 86_400)) throw new CliError(`--wait must be a whole number of seconds from 1 to 86400, got '${raw}'`, 2);
  return seconds * 1000;
}

const checkCell = (flag: string, cellId: string | undefined) => {
  if (cellId !== undefined && !isCellId(cellId)) throw new CliError(`${flag} must be a cell id, got '${cellId}'`, 2);
};

/** `cellctl standby <tenant> --cell <cell> [--wait <s>]` and `cellctl standby <tenant> --off`. */
export async function standbyCommand(plane: ControlPlane, io: Io, tenantId: string, options: { cell?: string; off?: boolean; wait?: string }): Promise<number> {
  checkTenantId(tenantId);
  checkCell("--cell", options.cell);
  if ((options.cell === undefined) === (options.off !== true)) throw new CliError("give --cell <cell> (set up a standby) or --off (drop it)", 2);
  if (options.off) {
    const dropped = await dropStandby(plane, io, tenantId);
    emit(io, dropped, (d) =>
      d.dropped.length === 0 && d.unreachable.length === 0 ? `${d.tenant_id} has no standby; nothing to do` : `${d.tenant_id}: standby dropped${d.dropped.length > 0 ? ` on ${d.dropped.join(", ")}` : ""}${d.unreachable.length > 0 ? `; ${d.unreachable.join(", ")} could not be reached: run again once it is back` : ""}`,
    );
    return 0;
  }
  const view = await setUpStandby(plane, io, tenantId, options.cell!, { waitMs: waitOption(options.wait, 120) });
  emit(io, view, (v) =>
    v.ready
      ? `${v.tenant_id}: ${v.standby.cell_id} is its standby (epoch ${v.standby.epoch}) of ${v.primary.cell_id}: ${v.records_copied} records seeded, replicating; replication point ${v.applied_through}, lag ${v.lag_ms ?? "?"} ms`
      : `${v.tenant_id}: ${v.standby.cell_id} is seeded (${v.records_copied} records) but no sweep of ${v.primary.cell_id} confirmed it within --wait`,
  );
  if (!view.ready) io.err(`is the replication consumer on ${view.primary.cell_id} deployed ('standby: {}' on that cell in topology.ts)? The standby becomes ready with its first sweep; 'cellctl tenants' shows it`);
  return view.ready ? 0 : 1;
}

/** `cellctl failover <tenant> [--to <cell>] [--wait <s>]`. */
export async function failoverCommand(plane: ControlPlane, io: Io, tenantId: string, options: { to?: string; wait?: string }): Promise<number> {
  checkTenantId(tenantId);
  checkCell("--to", options.to);
  const view = await failover(plane, io, tenantId, { to: options.to, waitMs: waitOption(options.wait, 600) });
  emit(io, view, (v) =>
    [
      `${v.tenant_id} failed over from ${v.from} to ${v.to} at epoch ${v.epoch} (waited ${(v.waited_ms / 1000).toFixed(1)} s for ${v.from}'s write lease); the registry names ${v.to}`,
      `every change ${v.from} committed at or before ${v.replication_point ?? "?"} (its clock) is on ${v.to}; later ones may not be.`,
      v.old_primary === "moved" ? `${v.from} answers tenant_moved now.` : `${v.from} is unreachable: it takes no writes (its lease ran out) and learns of epoch ${v.epoch} when it is back; then 'cellctl reconcile ${v.tenant_id}' lists what it committed that ${v.to} never got.`,
    ].join("\n"),
  );
  return 0;
}

/** `cellctl reconcile <tenant> [--apply] [--id <record>...]`. */
export async function reconcileCommand(plane: ControlPlane, io: Io, tenantId: string, options: { apply?: boolean; id?: string[] }): Promise<number> {
  checkTenantId(tenantId);
  const bad = (options.id ?? []).filter((id) => !isRecordId(id));
  if (bad.length > 0) throw new CliError(`--id takes record ids, got ${bad.map((id) => `'${id}'`).join(", ")}`, 2);
  if (options.id !== undefined && !options.apply) throw new CliError("--id names the records to --apply; give --apply too (listing shows them all)", 2);
  const view = await reconcile(plane, tenantId, { apply: options.apply ?? false, ids: options.id });
  emit(io, view, renderReconcile);
  return 0;
}

function renderReconcile(v: ReconcileView): string {
  const head = `${v.tenant_id}: failed over from ${v.from} to ${v.to} at ${v.promoted_at} (epoch ${v.epoch}); ${v.from} is ${v.old_primary.state}; read its changes since ${v.read_since}`;
  if (v.records.length === 0) return `${head}\nnothing was lost: every change ${v.from} committed reached ${v.to}`;
  const rows = v.records.map((r) => [
    r.record_id,
    r.lost_versions.join(","),
    r.primary.deleted ? `deleted @${r.primary.version}` : `@${r.primary.version}`,
    r.version_at_failover,
    r.owner ? `${r.owner.deleted ? "deleted " : ""}@${r.owner.version}` : null,
    r.status === "applied" ? `applied @${r.applied_version}` : r.status,
    r.note,
  ]);
  const s = v.summary;
  return [
    head,
    table(["RECORD", "LOST VERSIONS", `ON ${v.from.toUpperCase()}`, "AT FAILOVER", `ON ${v.to.toUpperCase()} NOW`, "STATUS", "NOTE"], rows),
    `${s.records} records, ${s.lost_changes} changes never reached ${v.to}: ${s.applicable} applicable, ${s.conflicts} in conflict, ${s.in_sync} in sync, ${s.applied} applied. ` +
      (s.applicable > 0 ? `'--apply' writes the applicable ones onto ${v.to} as new versions ('--apply --id <record>' one by one); ` : "") +
      (s.conflicts > 0 ? "conflicts are never applied: '--json' has both states to merge by hand." : ""),
  ].join("\n");
}

/** `cellctl failback <tenant> [--discard-unreconciled] [--no-standby] [--wait <s>]`. */
export async function failbackCommand(
  plane: ControlPlane,
  io: Io,
  journals: JournalStore,
  tenantId: string,
  options: { discardUnreconciled?: boolean; standby?: boolean; wait?: string },
  hooks: Omit<MoveHooks, "progress"> = {},
): Promise<number> {
  checkTenantId(tenantId);
  const progress = moveProgress(io);
  try {
    const view = await failback(plane, io, journals, tenantId, {
      discardUnreconciled: options.discardUnreconciled ?? false,
      standby: options.standby ?? true,
      waitMs: waitOption(options.wait, 120),
      hooks: { ...hooks, progress },
    });
    emit(io, view, (v) =>
      `${v.tenant_id} is back on ${v.to} (epoch ${v.epoch}; writes paused ${v.write_pause_ms ?? "?"} ms)${v.standby ? `; ${v.standby.standby.cell_id} is its standby again` : ""}${v.discarded > 0 ? `; ${v.discarded} records' lost changes discarded as asked` : ""}`,
    );
    return 0;
  } finally {
    progress.stop();
  }
}
