import type { CellEntry, Ownership, TenantEntry } from "../../contract";
import { DEFAULT_CELL_CAPACITY, TOPOLOGY, capacityOf as topologyCapacity } from "../../topology";
import { emit, table, type Io } from "../cli/output";
import type { OwnershipRecord } from "../admin-client";
import { CliError, ControlPlane, reasonOf } from "../control-plane";

/** A cell's declared capacity: its topology entry's `capacity` (a cell the topology does not list: the default). */
export function capacityOf(cellId: string): number {
  const spec = TOPOLOGY.cells.find((c) => c.cellId === cellId);
  return spec ? topologyCapacity(spec) : DEFAULT_CELL_CAPACITY;
}

/** Tenant states that occupy a cell's capacity. */
const OCCUPYING: ReadonlySet<Ownership["state"]> = new Set(["active", "importing", "fenced"]);

/** What one cell says about itself and its tenants. */
export interface CellReport {
  readonly entry: CellEntry;
  readonly health: "ok" | "unreachable";
  readonly latencyMs?: number;
  readonly tenants?: OwnershipRecord[];
  readonly error?: string;
  readonly capacity: number;
}

/** Asks every registered cell for its health and its tenants, in parallel. */
export async function surveyCells(plane: ControlPlane): Promise<{ reports: CellReport[]; invalid: Array<{ key: string; error: string }> }> {
  const { cells, invalid } = await plane.cellEntries();
  const reports = await Promise.all(
    [...cells.values()].map(async (entry): Promise<CellReport> => {
      const capacity = capacityOf(entry.cellId);
      try {
        const admin = await plane.admin(entry.cellId, entry);
        const started = Date.now();
        await admin.healthz();
        const latencyMs = Date.now() - started;
        return { entry, health: "ok", latencyMs, tenants: await admin.tenants(), capacity };
      } catch (error) {
        return { entry, health: "unreachable", error: reasonOf(error), capacity };
      }
    }),
  );
  return { reports: reports.sort((a, b) => (a.entry.cellId < b.entry.cellId ? -1 : 1)), invalid };
}

export const occupancy = (report: CellReport): number | undefined => report.tenants?.filter((t) => OCCUPYING.has(t.state)).length;

/** `cellctl cells`: the registry's cells joined with what each cell reports. */
export async function cellsCommand(plane: ControlPlane, io: Io): Promise<number> {
  const { reports, invalid } = await surveyCells(plane);
  const data = {
    cells: reports.map((r) => ({
      cell_id: r.entry.cellId,
      cloud: r.entry.cloud,
      region: r.entry.region,
      status: r.entry.status,
      url: r.entry.url,
      health: r.health,
      latency_ms: r.latencyMs ?? null,
      tenants: occupancy(r) ?? null,
      capacity: r.capacity,
      error: r.error ?? null,
    })),
    invalid_entries: invalid,
  };
  emit(io, data, (d) =>
    [
      table(
        ["CELL", "CLOUD", "REGION", "STATUS", "HEALTH", "LATENCY", "TENANTS", "URL"],
        d.cells.map((c) => [c.cell_id, c.cloud, c.region, c.status, c.health, c.latency_ms === null ? null : `${c.latency_ms} ms`, c.tenants === null ? null : `${c.tenants}/${c.capacity}`, c.url]),
      ),
      ...d.cells.filter((c) => c.error).map((c) => `! ${c.cell_id}: ${c.error}`),
      ...d.invalid_entries.map((e) => `! ${e.key}: invalid registry entry: ${e.error}`),
    ].join("\n"),
  );
  return 0;
}

/** One tenant as the registry and the cells see it. */
export interface TenantView {
  readonly tenant_id: string;
  readonly registry: { readonly cell_id: string; readonly epoch: number; readonly status: TenantEntry["status"] } | null;
  /** The cell that serves it (active or fenced there), per the cells. */
  readonly owner: { readonly cell_id: string; readonly epoch: number; readonly state: Ownership["state"] } | null;
  /** Every cell's record of the tenant. */
  readonly cells: ReadonlyArray<{ readonly cell_id: string; readonly epoch: number; readonly state: Ownership["state"]; readonly moved_to: string | null }>;
  /** Its standby and how far behind it is, as the standby itself reports (no primary needed). */
  readonly standby: StandbyLagView | null;
  readonly flags: string[];
}

/** A standby's progress: the replication point (primary clock), when it last heard from its primary, and its lag. */
export interface StandbyLagView {
  readonly cell_id: string;
  readonly epoch: number;
  readonly primary: string;
  readonly seeded: boolean;
  readonly applied_through: string | null;
  readonly last_heard_at: string | null;
  /** Time behind, ms: since the last confirmed sweep, plus that sweep's own time. */
  readonly lag_ms: number | null;
  /** Changes the last sweep found that the fast path had not delivered yet. */
  readonly lag_changes: number | null;
}

/** The default lag, seconds, past which `cellctl tenants` flags a standby. */
export const DEFAULT_MAX_LAG_SECONDS = 30;

/** Joins the registry's tenant entries with the cells' ownership records and flags every disagreement. */
export function joinTenants(entries: readonly TenantEntry[], reports: readonly CellReport[], maxLagMs = DEFAULT_MAX_LAG_SECONDS * 1000): TenantView[] {
  const ids = new Set<string>(entries.map((e) => e.tenantId));
  for (const r of reports) for (const o of r.tenants ?? []) ids.add(o.tenantId);
  const unreachable = reports.filter((r) => r.health !== "ok").map((r) => r.entry.cellId);
  return [...ids].sort().map((tenantId): TenantView => {
    const entry = entries.find((e) => e.tenantId === tenantId);
    const held = reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((o) => ({ cell_id: r.entry.cellId, epoch: o.epoch, state: o.state, moved_to: o.movedTo?.cellId ?? null })));
    const serving = held.filter((h) => h.state === "active" || h.state === "fenced");
    const owner = [...serving].sort((a, b) => b.epoch - a.epoch)[0] ?? null;
    const flags: string[] = [];
    if (serving.length > 1) flags.push(`served by ${serving.length} cells (${serving.map((s) => s.cell_id).join(", ")})`);
    if (!entry && owner) flags.push("not in the registry");
    if (entry && !owner && !unreachable.includes(entry.cellId)) flags.push("no cell serves it");
    if (entry && owner && entry.cellId !== owner.cell_id) flags.push(`registry says ${entry.cellId}, cells say ${owner.cell_id}`);
    if (entry && owner && entry.cellId === owner.cell_id && entry.epoch < owner.epoch) flags.push(`registry epoch ${entry.epoch} is behind the cell's ${owner.epoch}`);
    if (owner?.state === "fenced") flags.push("fenced (a move is in progress or was interrupted)");
    if (entry && unreachable.includes(entry.cellId)) flags.push(`cell ${entry.cellId} unreachable`);
    const records = reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((o) => ({ cellId: r.entry.cellId, o })));
    const standby = standbyOf(records.find((h) => h.o.state === "standby"));
    if (standby) flags.push(...lagFlags(standby, maxLagMs, unreachable));
    const promoted = records.find((h) => h.o.state === "active" && h.o.details?.replica?.promotedAt !== undefined);
    const old = promoted?.o.details?.replica?.primary.cellId;
    if (promoted && old !== undefined && records.find((h) => h.cellId === old)?.o.state !== "moved") {
      flags.push(`failed over from ${old}; 'cellctl reconcile ${tenantId}' once ${old} is back${unreachable.includes(old) ? " (unreachable now)" : ""}`);
    }
    return {
      tenant_id: tenantId,
      registry: entry ? { cell_id: entry.cellId, epoch: entry.epoch, status: entry.status } : null,
      owner: owner ? { cell_id: owner.cell_id, epoch: owner.epoch, state: owner.state } : null,
      cells: held,
      standby,
      flags,
    };
  });
}

function standbyOf(holder: { cellId: string; o: OwnershipRecord } | undefined): StandbyLagView | null {
  const replica = holder?.o.details?.replica;
  if (!holder || !replica) return null;
  return {
    cell_id: holder.cellId,
    epoch: holder.o.epoch,
    primary: replica.primary.cellId,
    seeded: replica.seededAt !== undefined,
    applied_through: replica.appliedThrough ?? null,
    last_heard_at: replica.lastHeardAt ?? null,
    lag_ms: replica.lagMs ?? null,
    lag_changes: replica.caughtUp ?? null,
  };
}

function lagFlags(standby: StandbyLagView, maxLagMs: number, unreachable: readonly string[]): string[] {
  if (unreachable.includes(standby.primary)) return [`primary ${standby.primary} unreachable; standby on ${standby.cell_id} last heard from it at ${standby.last_heard_at ?? "never"}: 'cellctl failover' if it stays down`];
  if (!standby.seeded) return [`standby on ${standby.cell_id} is seeding`];
  if (standby.lag_ms === null) return [`standby on ${standby.cell_id} has no confirmed replication point yet`];
  if (standby.lag_ms > maxLagMs) return [`standby on ${standby.cell_id} lags ${(standby.lag_ms / 1000).toFixed(1)} s (over ${maxLagMs / 1000} s)`];
  return [];
}

/** `--max-lag <seconds>`, in ms. */
function maxLagOption(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_LAG_SECONDS * 1000;
  const seconds = /^\d{1,6}(\.\d{1,3})?$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds > 0)) throw new CliError(`--max-lag must be a positive number of seconds, got '${raw}'`, 2);
  return seconds * 1000;
}

/** `cellctl tenants [--cell X] [--max-lag S]`: every tenant, where the registry sends it, who owns it and its standby's lag, with mismatches flagged. */
export async function tenantsCommand(plane: ControlPlane, io: Io, options: { cell?: string; maxLag?: string }): Promise<number> {
  const maxLagMs = maxLagOption(options.maxLag);
  const [{ reports }, parsed] = await Promise.all([surveyCells(plane), plane.registry.tenants()]);
  const entries = parsed.flatMap((p) => ("entry" in p ? [p.entry] : []));
  const invalid = parsed.flatMap((p) => ("error" in p ? [p] : []));
  const views = joinTenants(entries, reports, maxLagMs).filter((v) => options.cell === undefined || v.registry?.cell_id === options.cell || v.cells.some((c) => c.cell_id === options.cell));
  emit(io, { tenants: views, invalid_entries: invalid }, (d) =>
    [
      table(
        ["TENANT", "REGISTRY", "OWNER (CELLS)", "STATE", "STANDBY", "LAG", "FLAGS"],
        d.tenants.map((v) => [
          v.tenant_id,
          v.registry ? `${v.registry.cell_id} @${v.registry.epoch} ${v.registry.status}` : null,
          v.owner ? `${v.owner.cell_id} @${v.owner.epoch}` : null,
          v.owner?.state,
          v.standby ? `${v.standby.cell_id} @${v.standby.epoch}` : null,
          v.standby?.lag_ms != null ? `${(v.standby.lag_ms / 1000).toFixed(1)} s, ${v.standby.lag_changes ?? 0} chg` : null,
          v.flags.join("; "),
        ]),
      ),
      ...d.invalid_entries.map((e) => `! ${e.key}: invalid registry entry: ${e.error}`),
    ].join("\n"),
  );
  return 0;
}
