import { isCellId } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { CliError, type ControlPlane } from "../control-plane";
import { callSandbox } from "./sandbox-faults";

/**
 * `cellctl sandbox stop-cell|start-cell|cells`: the running sandbox's control routes (beside its
 * registry endpoint, with the same token from `.sandbox/connection.json`): take a cell down, with its
 * store and its replication consumer as in a region outage, and bring it back. Only a sandbox
 * connection has them.
 */
interface CellsAnswer {
  readonly cells: ReadonlyArray<{ readonly cell_id: string; readonly running: boolean }>;
}

/** Stopping a cell closes its ports and stores; starting one waits for it to answer. */
const CELL_SWITCH_TIMEOUT_MS = 30_000;

const control = async (plane: ControlPlane, method: "GET" | "POST", path: string, body?: unknown) =>
  (await callSandbox(plane, method, path, body, CELL_SWITCH_TIMEOUT_MS)) as CellsAnswer;

const render = (d: CellsAnswer) => table(["CELL", "COMPUTE"], d.cells.map((c) => [c.cell_id, c.running ? "running" : "stopped"]));

export async function sandboxCellCommand(plane: ControlPlane, io: Io, verb: "stop" | "start", cellId: string, options: { store?: boolean }): Promise<number> {
  if (!isCellId(cellId)) throw new CliError(`cell id expected, got '${cellId}'`, 2);
  if (verb === "start" && options.store) throw new CliError("--store is for stop-cell (start-cell brings the store back too)", 2);
  const answer = await control(plane, "POST", `/sandbox/cells/${cellId}/${verb}`, verb === "stop" ? { store: options.store ?? false } : undefined);
  io.err(verb === "stop" ? `stopped ${cellId}${options.store ? " and its store" : ""} (its replication consumer too)` : `started ${cellId} (its store and replication consumer too)`);
  emit(io, answer, render);
  return 0;
}

export async function sandboxCellsCommand(plane: ControlPlane, io: Io): Promise<number> {
  emit(io, await control(plane, "GET", "/sandbox/cells"), render);
  return 0;
}
