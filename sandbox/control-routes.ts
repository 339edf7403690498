import type { FaultCounts, Faults } from "./fault-proxy";

/** An answer of the sandbox's control endpoint. */
export interface ControlAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Extra routes of the sandbox's HTTP endpoint (`sandbox/registry-server.ts`): undefined when a path is not theirs. */
export type ExtraRoutes = (method: string, path: string, body: () => Promise<string>) => Promise<ControlAnswer | undefined>;

/** What the control routes can do to the running sandbox. */
export interface SandboxHandle {
  readonly cellIds: readonly string[];
  faultsOf(cellId: string): { readonly faults: Faults; readonly counts: FaultCounts };
  setStoreFaults(cellId: string, faults: Faults): Promise<void>;
  /** Whether the cell's compute runs. */
  running(cellId: string): boolean;
  /** Takes the cell's compute down (and its store and replication consumer with `store`), as in a region outage. */
  stopCell(cellId: string, options: { readonly store: boolean }): Promise<void>;
  startCell(cellId: string): Promise<void>;
}

/** The prefix of every route about one cell: `/sandbox/cells/{cellId}/...`. */
export const SANDBOX_CELLS_PATH = "/sandbox/cells";

/** The fields a faults body may carry, each with its rule, for validation and messages. */
const FAULT_FIELDS: Readonly<Record<keyof Faults, { readonly kind: "boolean" | "share" | "ms"; readonly what: string }>> = {
  delayMs: { kind: "ms", what: "delay every chunk towards the store (a slow store)" },
  errorRate: { kind: "share", what: "share of store requests cut before they reach the store (errors)" },
  dropAnswers: { kind: "share", what: "share of store answers lost after the request was applied" },
  freeze: { kind: "boolean", what: "hold every byte (a frozen store)" },
  refuse: { kind: "boolean", what: "refuse connections (an unreachable store)" },
};

/** Checks a faults body: every problem named, with the allowed fields and ranges. */
export function parseFaults(raw: unknown): { ok: true; faults: Faults } | { ok: false; error: string } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, error: "the body must be a JSON object of faults" };
  const problems: string[] = [];
  const faults: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = FAULT_FIELDS[key as keyof Faults];
    if (!field) {
      problems.push(`${key}: unknown field; allowed: ${Object.entries(FAULT_FIELDS).map(([name, f]) => `${name} (${f.what})`).join(", ")}`);
    } else if (field.kind === "boolean" ? typeof value !== "boolean" : field.kind === "share" ? !(typeof value === "number" && value >= 0 && value <= 1) : !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 60_000)) {
      problems.push(`${key}: must be ${field.kind === "boolean" ? "true or false" : field.kind === "share" ? "a number from 0 to 1" : "an integer from 0 to 60000 (ms)"}, got ${JSON.stringify(value)}`);
    } else {
      faults[key] = value as number | boolean;
    }
  }
  return problems.length > 0 ? { ok: false, error: problems.join("; ") } : { ok: true, faults: faults as Faults };
}

/**
 * The sandbox's control routes, beside the registry on the same loopback endpoint and token:
 *
 * - `GET /sandbox/cells` -> every cell: whether its compute runs, its store faults and the proxy's counts;
 * - `GET /sandbox/cells/{cell}/faults` -> one cell's;
 * - `POST /sandbox/cells/{cell}/faults` with `{delayMs?, errorRate?, dropAnswers?, freeze?, refuse?}`
 *   -> replaces that cell's store faults (`{}` clears them);
 * - `DELETE /sandbox/cells/{cell}/faults` -> clears them.
 *
 * - `POST /sandbox/cells/{cell}/stop` (body `{"store": true}` takes its store down too) and
 *   `POST /sandbox/cells/{cell}/start` -> every cell, as `GET /sandbox/cells`.
 *
 * `cellctl sandbox fault|clear|faults|stop-cell|start-cell|cells` calls them.
 */
export function sandboxControlRoutes(sandbox: SandboxHandle): ExtraRoutes {
  const view = (cellId: string) => ({ cell_id: cellId, running: sandbox.running(cellId), ...sandbox.faultsOf(cellId) });
  const everyCell = () => ({ cells: sandbox.cellIds.map(view) });
  return async (method, path, body) => {
    if (path === SANDBOX_CELLS_PATH && method === "GET") return { status: 200, body: everyCell() };
    const match = /^\/sandbox\/cells\/([^/]+)\/(faults|stop|start)$/.exec(path);
    if (!match) return path.startsWith("/sandbox/") ? { status: 404, body: { error: `no route ${method} ${path}` } } : undefined;
    const cellId = decodeURIComponent(match[1]!);
    if (!sandbox.cellIds.includes(cellId)) return { status: 404, body: { error: `no cell '${cellId}' in this sandbox; cells: ${sandbox.cellIds.join(", ")}` } };
    if (match[2] !== "faults") return stopOrStart(match[2] as "stop" | "start", cellId, method, body);
    if (method === "GET") return { status: 200, body: view(cellId) };
    if (method === "DELETE") {
      await sandbox.setStoreFaults(cellId, {});
      return { status: 200, body: view(cellId) };
    }
    if (method !== "POST") return { status: 405, body: { error: "allowed: GET, POST, DELETE" } };
    let raw: unknown;
    try {
      raw = JSON.parse((await body()) || "{}");
    } catch {
      return { status: 400, body: { error: "the body is not JSON" } };
    }
    const parsed = parseFaults(raw);
    if (!parsed.ok) return { status: 400, body: { error: parsed.error } };
    await sandbox.setStoreFaults(cellId, parsed.faults);
    return { status: 200, body: view(cellId) };
  };

  async function stopOrStart(verb: "stop" | "start", cellId: string, method: string, body: () => Promise<string>): Promise<ControlAnswer> {
    if (method !== "POST") return { status: 405, body: { error: "allowed: POST" } };
    let store = false;
    const text = (await body()).trim();
    if (text !== "") {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return { status: 400, body: { error: "the body is not JSON" } };
      }
      const given = (raw as { store?: unknown } | null)?.store;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw) || (given !== undefined && typeof given !== "boolean") || Object.keys(raw).some((k) => k !== "store"))
        return { status: 400, body: { error: 'the body must be {"store": true|false} or empty' } };
      store = given === true;
    }
    if (verb === "stop") await sandbox.stopCell(cellId, { store });
    else await sandbox.startCell(cellId);
    return { status: 200, body: everyCell() };
  }
}
