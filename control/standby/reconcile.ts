import type { ChangeEvent, ExportItem } from "../../contract";
import { AdminCallError, type AdminClient } from "../admin-client";
import { CliError, ControlPlane } from "../control-plane";
import { changesSince } from "../moves/copy";
import { DELTA_MARGIN_MS } from "../moves/move";
import { fenceOldPrimary } from "./failover";
import { describeHolders, locate, ownershipOn, promotedOwner } from "./locate";

/**
 * `cellctl reconcile <tenant>`: after a failover, the writes the old primary committed that never
 * reached the new owner, for the operator to decide on. Nothing is dropped silently and nothing is
 * merged blindly:
 *
 * - the old primary is fenced first if it still holds the tenant as active (`moved` to the new owner);
 * - its change stream is read from the replication point (less the sweeps' margin); a change of a
 *   record is *lost* when its version is above the version the new owner had at the promotion
 *   (the version before the owner's first change of the record since the promotion, else its
 *   current one): only the old primary committed before the promotion, so everything up to that
 *   version came from it;
 * - each record with lost changes is listed with the old primary's last state and the owner's
 *   state, as `applicable` (the owner has not changed it since the failover), `conflict` (it has) or
 *   `in_sync` (the owner holds the same data already, e.g. applied before);
 * - `--apply` writes `applicable` records onto the owner as new versions (a client write on the
 *   owner, replicated and in its change stream), each only if the record is still at the version
 *   listed; a `conflict` is never applied: it is left for the operator with both states in the JSON.
 */
export interface ReconcileView {
  readonly tenant_id: string;
  readonly from: string;
  readonly to: string;
  readonly epoch: number;
  readonly replication_point: string | null;
  readonly promoted_at: string;
  /** The old primary's state of the tenant after this run (`moved` once fenced). */
  readonly old_primary: { readonly cell_id: string; readonly state: string };
  /** Where the old primary's change stream was read from (its clock). */
  readonly read_since: string;
  readonly records: readonly ReconcileRecord[];
  readonly summary: { readonly records: number; readonly lost_changes: number; readonly applicable: number; readonly conflicts: number; readonly in_sync: number; readonly applied: number };
}

export type ReconcileStatus = "applicable" | "conflict" | "in_sync" | "applied";

export interface RecordState {
  readonly version: number;
  readonly deleted: boolean;
  readonly data: unknown;
  readonly committed_at: string;
}

export interface ReconcileRecord {
  readonly record_id: string;
  /** Versions the old primary committed that never reached the owner, oldest first. */
  readonly lost_versions: number[];
  /** The old primary's last state of the record. */
  readonly primary: RecordState;
  /** The record's version on the owner when it was promoted (0: none). */
  readonly version_at_failover: number;
  /** The owner's state now (null: nothing, or a tombstone with `deleted`). */
  readonly owner: { readonly version: number; readonly deleted: boolean; readonly data: unknown } | null;
  readonly status: ReconcileStatus;
  /** Set when `--apply` wrote it: the owner's new version. */
  readonly applied_version?: number;
  /** Why it was not applied, when `--apply` named it. */
  readonly note?: string;
}

/** Record ids per `export?ids=` call (the cell's limit). */
const IDS_PER_CALL = 50;

/** JSON with sorted keys, so equal data compares equal whatever order a store kept its keys in. */
const canonical = (value: unknown): string =>
  value === null || typeof value !== "object"
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? `[${value.map(canonical).join(",")}]`
      : `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;

async function itemsOf(cell: AdminClient, tenantId: string, ids: readonly string[]): Promise<Map<string, ExportItem>> {
  const out = new Map<string, ExportItem>();
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) for (const item of await cell.exportItems(tenantId, ids.slice(i, i + IDS_PER_CALL))) out.set(item.record_id, item);
  return out;
}

export async function reconcile(plane: ControlPlane, tenantId: string, options: { readonly apply: boolean; readonly ids?: readonly string[] }): Promise<ReconcileView> {
  const where = await locate(plane, tenantId);
  const owner = promotedOwner(where);
  const replica = owner?.ownership.details?.replica;
  if (!owner || !replica?.promotedAt) throw new CliError(`tenant '${tenantId}' has not failed over (no cell holds it as a promoted standby: ${describeHolders(where)}); nothing to reconcile`);
  const from = replica.primary;
  const oldCell = await plane.admin(from.cellId);
  const before = await ownershipOn(oldCell, tenantId);
  if (!before.reachable) throw new CliError(`${from.cellId}, the old primary of '${tenantId}', cannot be reached (${before.why}); run 'cellctl reconcile ${tenantId}' again once it is back`);
  await fenceOldPrimary(plane, tenantId, from, { cellId: owner.cellId, epoch: owner.ownership.epoch });
  const oldState = (await oldCell.ownership(tenantId))?.state ?? "unknown";

  const ownerCell = await plane.admin(owner.cellId);
  const point = replica.appliedThrough ?? replica.seededAt ?? replica.promotedAt;
  const readSince = new Date(Date.parse(point) - DELTA_MARGIN_MS).toISOString();
  const theirs = (await changesSince(oldCell, tenantId, readSince)).filter((c) => c.cell_id === from.cellId);
  const ours = (await changesSince(ownerCell, tenantId, replica.promotedAt)).filter((c) => c.cell_id === owner.cellId && c.committed_at >= replica.promotedAt!);
  const firstOurs = new Map<string, number>();
  for (const c of ours) firstOurs.set(c.record_id, Math.min(firstOurs.get(c.record_id) ?? Infinity, c.version));
  const byRecord = new Map<string, ChangeEvent[]>();
  for (const c of theirs) byRecord.set(c.record_id, [...(byRecord.get(c.record_id) ?? []), c]);
  const now = await itemsOf(ownerCell, tenantId, [...byRecord.keys()]);

  const records: ReconcileRecord[] = [];
  for (const [recordId, changes] of [...byRecord].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item = now.get(recordId);
    const atFailover = firstOurs.has(recordId) ? firstOurs.get(recordId)! - 1 : (item?.version ?? 0);
    const lost = changes.filter((c) => c.version > atFailover).sort((a, b) => a.version - b.version);
    if (lost.length === 0) continue;
    const last = lost[lost.length - 1]!;
    const primary: RecordState = { version: last.version, deleted: last.kind === "deleted", data: last.data, committed_at: last.committed_at };
    const ownerState = item ? { version: item.version, deleted: item.deleted, data: item.deleted ? null : item.data } : null;
    const ownerLive = ownerState !== null && !ownerState.deleted;
    const same = primary.deleted ? !ownerLive : ownerLive && canonical(ownerState!.data) === canonical(primary.data);
    const status: ReconcileStatus = same ? "in_sync" : (item?.version ?? 0) === atFailover ? "applicable" : "conflict";
    records.push({ record_id: recordId, lost_versions: lost.map((c) => c.version), primary, version_at_failover: atFailover, owner: ownerState, status });
  }

  const applied = options.apply ? await applyRecords(ownerCell, tenantId, records, options.ids) : records;
  const count = (s: ReconcileStatus) => applied.filter((r) => r.status === s).length;
  return {
    tenant_id: tenantId,
    from: from.cellId,
    to: owner.cellId,
    epoch: owner.ownership.epoch,
    replication_point: replica.appliedThrough ?? null,
    promoted_at: replica.promotedAt,
    old_primary: { cell_id: from.cellId, state: oldState },
    read_since: readSince,
    records: applied,
    summary: {
      records: applied.length,
      lost_changes: applied.reduce((n, r) => n + r.lost_versions.length, 0),
      applicable: count("applicable"),
      conflicts: count("conflict"),
      in_sync: count("in_sync"),
      applied: count("applied"),
    },
  };
}

/**
 * Writes the old primary's last state of each `applicable` record (all, or those `ids` names) onto
 * the owner as a new version, on the condition that the record is still at the version listed. A
 * conflict, or a record that changed since the listing, is left as it is with a note.
 */
async function applyRecords(owner: AdminClient, tenantId: string, records: readonly ReconcileRecord[], ids: readonly string[] | undefined): Promise<ReconcileRecord[]> {
  const unknown = (ids ?? []).filter((id) => !records.some((r) => r.record_id === id));
  if (unknown.length > 0) throw new CliError(`no lost changes of ${unknown.map((id) => `'${id}'`).join(", ")} to apply; 'cellctl reconcile ${tenantId}' lists them`, 2);
  const out: ReconcileRecord[] = [];
  for (const record of records) {
    if (ids !== undefined && !ids.includes(record.record_id)) {
      out.push(record);
      continue;
    }
    if (record.status === "conflict") {
      out.push({ ...record, note: `changed on the owner since the failover (now version ${record.owner?.version ?? 0}): not applied; merge it by hand from both states and write it through the API` });
      continue;
    }
    if (record.status !== "applicable") {
      out.push(record);
      continue;
    }
    const expected = record.owner && !record.owner.deleted ? record.owner.version : 0;
    try {
      const written = await owner.reconcileWrite(tenantId, record.record_id, expected, record.primary.deleted ? { deleted: true } : { data: record.primary.data });
      out.push({ ...record, status: "applied", applied_version: written.version });
    } catch (error) {
      if (!(error instanceof AdminCallError && (error.code === "version_conflict" || error.code === "record_not_found"))) throw error;
      out.push({ ...record, status: "conflict", note: `changed on the owner while reconciling: ${error.message}` });
    }
  }
  return out;
}
