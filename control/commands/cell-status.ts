import { isCellId, type CellStatus } from "../../contract";
import { emit, type Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";

/**
 * `cellctl drain <cell>` / `cellctl activate <cell>`: takes a cell out of placement (its registry
 * status becomes `draining`: the router keeps serving its tenants, `place` and moves never choose it)
 * and puts it back. A second run is a no-op.
 */
export async function setCellStatusCommand(plane: ControlPlane, io: Io, cellId: string, status: Extract<CellStatus, "active" | "draining">): Promise<number> {
  if (!isCellId(cellId)) throw new CliError(`cell id must be a cell id, got '${cellId}'`, 2);
  const { previous, changed } = await setCellStatus(plane, cellId, status);
  emit(io, { cell_id: cellId, status, previous, changed }, (d) =>
    d.changed
      ? `${d.cell_id}: ${d.previous} -> ${d.status}${status === "draining" ? " (its tenants keep being served; new tenants go elsewhere)" : ""}`
      : `${d.cell_id} is already ${d.status}; nothing to do`,
  );
  return 0;
}

/** Drains or activates a cell in the registry: what `cellctl drain|activate` and `cellctl watch` do. A second call is a no-op. */
export async function setCellStatus(plane: ControlPlane, cellId: string, status: Extract<CellStatus, "active" | "draining">): Promise<{ previous: CellStatus; changed: boolean }> {
  const entry = await plane.registry.cell(cellId);
  if (!entry) {
    const { cells } = await plane.cellEntries();
    throw new CliError(`cell '${cellId}' is not in the registry; cells: ${[...cells.keys()].join(", ") || "none"}`);
  }
  const changed = entry.status !== status;
  if (changed) await plane.registry.putCellStatus(entry, status);
  return { previous: entry.status, changed };
}
