import { isCellId } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { CliError, type ControlPlane } from "../control-plane";

/** One cell's store faults and the fault proxy's counts, as the sandbox's control endpoint answers. */
interface CellFaultsView {
  readonly cell_id: string;
  readonly faults: Record<string, number | boolean>;
  readonly counts: Record<string, number>;
}

/** What `cellctl sandbox fault` takes. */
export interface FaultOptions {
  readonly delay?: number;
  readonly errors?: number;
  readonly drop?: number;
  readonly freeze?: boolean;
  readonly refuse?: boolean;
}

/** Calls the sandbox's control endpoint (`sandbox/control-routes.ts`) with the connection's token. */
export async function callSandbox(plane: ControlPlane, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<unknown> {
  const sandbox = plane.connection.sandbox;
  if (!sandbox) throw new CliError("this connection is not a running sandbox ('npm start' writes one); 'cellctl sandbox' works on the local sandbox only");
  let response: Response;
  try {
    response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sandbox.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new CliError(`the sandbox at ${sandbox.url} could not be reached (${error instanceof Error ? error.message : String(error)}); is 'npm start' running?`);
  }
  const json = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new CliError(`the sandbox refused ${method} ${path}: ${json.error ?? response.status}`, response.status === 400 ? 2 : 1);
  return json;
}

const describeFaults = (f: Record<string, number | boolean>): string =>
  Object.keys(f).length === 0
    ? "none"
    : Object.entries(f)
        .map(([k, v]) => (k === "delayMs" ? `delay ${v} ms` : k === "errorRate" ? `errors ${v}` : k === "dropAnswers" ? `lost answers ${v}` : v ? k : ""))
        .filter(Boolean)
        .join(", ");

/** The flag of each field of a faults body, so the sandbox's refusals name what the operator typed. */
const FLAG_OF: Readonly<Record<string, string>> = { delayMs: "--delay", errorRate: "--errors", dropAnswers: "--drop", freeze: "--freeze", refuse: "--refuse" };

/** Sets a cell's faults; a refusal's field names become the flags that set them. */
async function setFaults(plane: ControlPlane, path: string, options: FaultOptions): Promise<unknown> {
  try {
    return await callSandbox(plane, "POST", path, faultsOf(options));
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new CliError(error.message.replace(/\b(delayMs|errorRate|dropAnswers|freeze|refuse):/g, (_, field: string) => `${FLAG_OF[field]}:`), error.exitCode);
  }
}

/** Builds the faults body from the flags; at least one fault. */
function faultsOf(options: FaultOptions): Record<string, number | boolean> {
  const faults = {
    ...(options.delay === undefined ? {} : { delayMs: options.delay }),
    ...(options.errors === undefined ? {} : { errorRate: options.errors }),
    ...(options.drop === undefined ? {} : { dropAnswers: options.drop }),
    ...(options.freeze ? { freeze: true } : {}),
    ...(options.refuse ? { refuse: true } : {}),
  };
  if (Object.keys(faults).length === 0) throw new CliError("name at least one fault: --delay <ms>, --errors <share>, --drop <share>, --freeze or --refuse ('cellctl sandbox clear <cell>' clears them)", 2);
  return faults;
}

/**
 * `cellctl sandbox fault <cell> --delay 800 --errors 0.3`: puts faults between a sandbox cell and its
 * store (the cell's fault proxy), replacing the ones it had; `cellctl sandbox clear <cell>` removes
 * them; `cellctl sandbox faults` lists every cell's.
 */
export async function sandboxFaultsCommand(plane: ControlPlane, io: Io, action: "set" | "clear" | "list", cellId?: string, options: FaultOptions = {}): Promise<number> {
  if (action === "list") {
    const { cells } = (await callSandbox(plane, "GET", "/sandbox/cells")) as { cells: CellFaultsView[] };
    emit(io, { cells }, (d) =>
      table(
        ["CELL", "FAULTS", "STORE REQUESTS", "FAILED", "ANSWERS LOST", "REFUSED"],
        d.cells.map((c) => [c.cell_id, describeFaults(c.faults), c.counts.requests, c.counts.errors, c.counts.answersDropped, c.counts.refused]),
      ),
    );
    return 0;
  }
  if (!isCellId(cellId)) throw new CliError(`cell id must be a cell id, got '${cellId}'`, 2);
  const path = `/sandbox/cells/${encodeURIComponent(cellId)}/faults`;
  const view = (await (action === "clear" ? callSandbox(plane, "DELETE", path) : setFaults(plane, path, options))) as CellFaultsView;
  emit(io, view, (v) => (action === "clear" ? `${v.cell_id}: store faults cleared` : `${v.cell_id}: store faults now ${describeFaults(v.faults)} ('cellctl sandbox clear ${v.cell_id}' clears them)`));
  return 0;
}
