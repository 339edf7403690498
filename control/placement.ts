import type { CellEntry } from "../contract";

/** What placement needs to know of one cell. */
export interface CellLoad {
  readonly cell: CellEntry;
  /** Tenants the cell holds (active, importing or fenced there), as the cell itself reports. */
  readonly tenants: number;
  readonly capacity: number;
  /** False when the cell could not be asked (it is then never chosen). */
  readonly reachable: boolean;
}

export type PlacementChoice = { readonly ok: true; readonly cellId: string; readonly reason: string } | { readonly ok: false; readonly reason: string };

/**
 * Picks the cell a new tenant goes to: an `active`, reachable cell with room, the one with the lowest
 * utilisation (tenants / capacity); ties go to the cell with more room left, then to the lower cell id,
 * so the same state always gives the same answer. `exclude` keeps cells out (a move's source).
 */
export function chooseCell(loads: readonly CellLoad[], exclude: ReadonlySet<string> = new Set()): PlacementChoice {
  const candidates = loads.filter((l) => !exclude.has(l.cell.cellId) && l.cell.status === "active" && l.reachable && l.tenants < l.capacity);
  if (candidates.length === 0) {
    const why = loads
      .filter((l) => !exclude.has(l.cell.cellId))
      .map((l) => `${l.cell.cellId}: ${l.cell.status !== "active" ? l.cell.status : !l.reachable ? "unreachable" : `full (${l.tenants}/${l.capacity})`}`);
    return { ok: false, reason: `no cell can take a tenant (${why.join("; ") || "no cells"})` };
  }
  const best = [...candidates].sort(
    (a, b) => a.tenants / a.capacity - b.tenants / b.capacity || b.capacity - b.tenants - (a.capacity - a.tenants) || (a.cell.cellId < b.cell.cellId ? -1 : 1),
  )[0]!;
  return { ok: true, cellId: best.cell.cellId, reason: `lowest utilisation: ${best.tenants}/${best.capacity}` };
}
