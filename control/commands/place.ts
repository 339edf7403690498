import { isCellId, isTenantId, TENANT_ID_PATTERN } from "../../contract";
import { emit, type Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";
import { chooseCell, type CellLoad } from "../placement";
import { occupancy, surveyCells } from "./status";

/** Workers KV needs up to about a minute to show a new value at every edge location. */
export const KV_PROPAGATION_NOTE = "Workers KV takes up to about 60 s to reach every edge location: until then some edges may still answer 404 for this tenant.";

/**
 * `cellctl place <tenant> [--cell X]`: onboards a tenant. The chosen cell takes ownership first
 * (active at epoch 1, a compare-and-set that fails if the cell ever held the tenant), then the
 * registry entry is written, so the router never sends the tenant to a cell that does not own it.
 * Running it again after a failure finishes the job; running it for a placed tenant changes nothing.
 */
export async function placeCommand(plane: ControlPlane, io: Io, tenantId: string, options: { cell?: string }): Promise<number> {
  if (!isTenantId(tenantId)) throw new CliError(`tenant id must match ${TENANT_ID_PATTERN}, got '${tenantId}'`, 2);
  if (options.cell !== undefined && !isCellId(options.cell)) throw new CliError(`--cell must be a cell id, got '${options.cell}'`, 2);
  const { reports } = await surveyCells(plane);
  const holders = reports.flatMap((r) => (r.tenants ?? []).filter((o) => o.tenantId === tenantId).map((o) => ({ cellId: r.entry.cellId, ownership: o })));
  const entry = await plane.registry.tenant(tenantId);

  const active = holders.find((h) => h.ownership.state === "active");
  if (active && options.cell !== undefined && options.cell !== active.cellId) {
    throw new CliError(`tenant '${tenantId}' is already on cell '${active.cellId}' (epoch ${active.ownership.epoch}); use 'cellctl move ${tenantId} --to ${options.cell}'`);
  }
  if (!active && holders.length > 0) {
    throw new CliError(`tenant '${tenantId}' has ownership records on ${holders.map((h) => `${h.cellId} (${h.ownership.state} @${h.ownership.epoch})`).join(", ")} but no active owner; finish or abort its move first ('cellctl move --resume/--abort ${tenantId}')`);
  }

  let cellId: string;
  let epoch: number;
  let how: string;
  if (active) {
    [cellId, epoch, how] = [active.cellId, active.ownership.epoch, "already owned there"];
  } else {
    const loads: CellLoad[] = reports.map((r) => ({ cell: r.entry, tenants: occupancy(r) ?? 0, capacity: r.capacity, reachable: r.health === "ok" }));
    if (options.cell !== undefined) {
      const load = loads.find((l) => l.cell.cellId === options.cell);
      if (!load) throw new CliError(`cell '${options.cell}' is not in the registry; cells: ${loads.map((l) => l.cell.cellId).join(", ")}`);
      if (!load.reachable) throw new CliError(`cell '${options.cell}' could not be reached; nothing was changed`);
      if (load.cell.status !== "active") throw new CliError(`cell '${options.cell}' is ${load.cell.status}; 'cellctl activate ${options.cell}' first, or leave out --cell`);
      [cellId, how] = [options.cell, "as asked"];
    } else {
      const choice = chooseCell(loads);
      if (!choice.ok) throw new CliError(choice.reason);
      [cellId, how] = [choice.cellId, choice.reason];
    }
    epoch = 1;
    await (await plane.admin(cellId)).setOwnership(tenantId, { epoch, state: "active", expected: null });
  }

  const cell = reports.find((r) => r.entry.cellId === cellId)!.entry;
  const registryUpToDate = entry?.cellId === cellId && entry.epoch === epoch && entry.status === "active";
  if (!registryUpToDate) await plane.registry.putTenant({ tenantId, cellId, status: "active", epoch }, cell);
  const changed = !active || !registryUpToDate;
  emit(io, { tenant_id: tenantId, cell_id: cellId, cloud: cell.cloud, epoch, changed }, (d) =>
    d.changed ? `placed ${d.tenant_id} on ${d.cell_id} (${d.cloud}, epoch ${d.epoch}): ${how}` : `${d.tenant_id} is already on ${d.cell_id} (${d.cloud}, epoch ${d.epoch}); nothing to do`,
  );
  if (changed && plane.connection.registry.kind === "cloudflare") io.err(KV_PROPAGATION_NOTE);
  return 0;
}
