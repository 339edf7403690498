import { isCellId, isTenantId, TENANT_ID_PATTERN } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";
import { chooseCell, type CellLoad } from "../placement";
import { occupancy, surveyCells } from "./status";

/** Workers KV needs up to about a minute to show a new value at every edge location. */
export const KV_PROPAGATION_NOTE = "Workers KV takes up to about 60 s to reach every edge location: until then some edges may still answer 404 for this tenant.";

/** Where `placeTenant` put a tenant, and whether it changed anything. */
export interface Placement {
  readonly tenant_id: string;
  readonly cell_id: string;
  readonly cloud: string;
  readonly epoch: number;
  readonly changed: boolean;
  /** Why this cell: "as asked", "already owned there", or the capacity choice's reason. */
  readonly how: string;
}

type Survey = Awaited<ReturnType<typeof surveyCells>>;

/**
 * `cellctl place <tenant> [--cell X]`: onboards a tenant. The chosen cell takes ownership first
 * (active at epoch 1, a compare-and-set that fails if the cell ever held the tenant), then the
 * registry entry is written, so the router never sends the tenant to a cell that does not own it.
 * Running it again after a failure finishes the job; running it for a placed tenant changes nothing.
 */
export async function placeCommand(plane: ControlPlane, io: Io, tenantId: string, options: { cell?: string }): Promise<number> {
  if (!isTenantId(tenantId)) throw new CliError(`tenant id must match ${TENANT_ID_PATTERN}, got '${tenantId}'`, 2);
  if (options.cell !== undefined && !isCellId(options.cell)) throw new CliError(`--cell must be a cell id, got '${options.cell}'`, 2);
  const placed = await placeTenant(plane, await surveyCells(plane), tenantId, options.cell);
  emit(io, placed, (d) =>
    d.changed ? `placed ${d.tenant_id} on ${d.cell_id} (${d.cloud}, epoch ${d.epoch}): ${d.how}` : `${d.tenant_id} is already on ${d.cell_id} (${d.cloud}, epoch ${d.epoch}); nothing to do`,
  );
  if (placed.changed && plane.connection.registry.kind === "cloudflare") io.err(KV_PROPAGATION_NOTE);
  return 0;
}

/**
 * `cellctl init`: gives every tenant of the topology its ownership record on its topology cell and
 * its registry entry, as the sandbox does when it starts; for deployed cells, run it once after the
 * first deploy. A tenant that already has an owner (it may have moved since) is left where it is, and
 * one in the middle of a move is left alone; both are reported. Running it again changes nothing.
 */
export async function initCommand(plane: ControlPlane, io: Io, tenants: ReadonlyArray<{ readonly tenantId: string; readonly cellId: string }>): Promise<number> {
  const survey = await surveyCells(plane);
  const rows: Array<{ tenant_id: string; topology_cell: string; cell_id: string | null; epoch: number | null; result: string }> = [];
  for (const { tenantId, cellId } of tenants) {
    const holders = holdersOf(survey, tenantId);
    const active = holders.find((h) => h.ownership.state === "active");
    if (active && active.cellId !== cellId) {
      rows.push({ tenant_id: tenantId, topology_cell: cellId, cell_id: active.cellId, epoch: active.ownership.epoch, result: `owned by ${active.cellId}: left there` });
    } else if (!active && holders.length > 0) {
      rows.push({ tenant_id: tenantId, topology_cell: cellId, cell_id: null, epoch: null, result: `in a move (${describeHolders(holders)}): left alone` });
    } else {
      const placed = await placeTenant(plane, survey, tenantId, cellId);
      rows.push({ tenant_id: tenantId, topology_cell: cellId, cell_id: placed.cell_id, epoch: placed.epoch, result: placed.changed ? "placed" : "already placed" });
    }
  }
  emit(io, { tenants: rows }, (d) => table(["TENANT", "TOPOLOGY", "CELL", "EPOCH", "RESULT"], d.tenants.map((r) => [r.tenant_id, r.topology_cell, r.cell_id, r.epoch, r.result])));
  if (rows.some((r) => r.result === "placed") && plane.connection.registry.kind === "cloudflare") io.err(KV_PROPAGATION_NOTE);
  return 0;
}

const holdersOf = (survey: Survey, tenantId: string) =>
  survey.reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((o) => ({ cellId: r.entry.cellId, ownership: o })));

const describeHolders = (holders: ReturnType<typeof holdersOf>) => holders.map((h) => `${h.cellId} (${h.ownership.state} @${h.ownership.epoch})`).join(", ");

/** Places `tenantId` on `cell` (or by capacity) unless it is placed already; see `placeCommand`. */
export async function placeTenant(plane: ControlPlane, survey: Survey, tenantId: string, cell: string | undefined): Promise<Placement> {
  const { reports } = survey;
  const holders = holdersOf(survey, tenantId);
  const entry = await plane.registry.tenant(tenantId);

  const active = holders.find((h) => h.ownership.state === "active");
  if (active && cell !== undefined && cell !== active.cellId) {
    throw new CliError(`tenant '${tenantId}' is already on cell '${active.cellId}' (epoch ${active.ownership.epoch}); use 'cellctl move ${tenantId} --to ${cell}'`);
  }
  if (!active && holders.length > 0) {
    throw new CliError(`tenant '${tenantId}' has ownership records on ${describeHolders(holders)} but no active owner; finish or abort its move first ('cellctl move --resume/--abort ${tenantId}')`);
  }

  let cellId: string;
  let epoch: number;
  let how: string;
  if (active) {
    [cellId, epoch, how] = [active.cellId, active.ownership.epoch, "already owned there"];
  } else {
    const loads: CellLoad[] = reports.map((r) => ({ cell: r.entry, tenants: occupancy(r) ?? 0, capacity: r.capacity, reachable: r.health === "ok" }));
    if (cell !== undefined) {
      const load = loads.find((l) => l.cell.cellId === cell);
      if (!load) throw new CliError(`cell '${cell}' is not in the registry; cells: ${loads.map((l) => l.cell.cellId).join(", ")}`);
      if (!load.reachable) throw new CliError(`cell '${cell}' could not be reached; nothing was changed`);
      if (load.cell.status !== "active") throw new CliError(`cell '${cell}' is ${load.cell.status}; 'cellctl activate ${cell}' first, or leave out --cell`);
      [cellId, how] = [cell, "as asked"];
    } else {
      const choice = chooseCell(loads);
      if (!choice.ok) throw new CliError(choice.reason);
      [cellId, how] = [choice.cellId, choice.reason];
    }
    epoch = 1;
    await (await plane.admin(cellId)).setOwnership(tenantId, { epoch, state: "active", expected: null });
  }

  const registryCell = reports.find((r) => r.entry.cellId === cellId)!.entry;
  const registryUpToDate = entry?.cellId === cellId && entry.epoch === epoch && entry.status === "active";
  if (!registryUpToDate) await plane.registry.putTenant({ tenantId, cellId, status: "active", epoch }, registryCell);
  return { tenant_id: tenantId, cell_id: cellId, cloud: registryCell.cloud, epoch, changed: !active || !registryUpToDate, how };
}
