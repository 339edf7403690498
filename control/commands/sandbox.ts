import { isCellId } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";

/**
 * `cellctl sandbox stop-cell|start-cell|cells`: the running sandbox's control routes (beside its
 * registry endpoint, with the same token from `.sandbox/connection.json`): take a cell down, with its
 * store and its replication consumer as in a region outage, and bring it back. Only a sandbox
 * connection has them.
 */
interface CellsAnswer {
  readonly cells: ReadonlyArray<{ readonly cell_id: string; readonly running: boolean }>;
}

async function control(plane: ControlPlane, method: "GET" | "POST", path: string, body?: unknown): Promise<CellsAnswer> {
  const registry = plane.connection.registry;
  if (registry.kind !== "sandbox") throw new CliError("'cellctl sandbox' works on the local sandbox only (npm start); this connection is for deployed cells");
  let response: Response;
  try {
    response = await fetch(`${registry.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${registry.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`the sandbox at ${registry.url} could not be reached (${error instanceof Error ? error.message : String(error)}); is 'npm start' running?`);
  }
  const text = await response.text();
  if (!response.ok) throw new CliError(`the sandbox refused ${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as CellsAnswer;
}

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
