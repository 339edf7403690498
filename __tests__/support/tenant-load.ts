import { PROBLEM_CONTENT_TYPE, problemCode } from "../../contract";

/**
 * Closed-loop load on one tenant through the router, with a ledger of every request and every
 * acknowledged write, for the blast-radius test. Each loop, over and over: creates a fresh record
 * (`expected_version: 0`), every other round replaces its newest record with the version it last
 * acknowledged, and reads back one of its acknowledged records. Loops never share records, so within
 * a loop every read must return exactly what was last acknowledged, unless a later write's outcome
 * is unknown (it got a 5xx: the cell may have applied it before it was cut off).
 */

/** Where the experiment stands; each request records the phase it was sent in and the one it ended in. */
export type Phase = "before" | "outage" | "restarting" | "after";

/** One request and its answer. */
export interface Exchange {
  readonly tenantId: string;
  readonly loop: number;
  readonly op: "create" | "replace" | "read";
  readonly recordId: string;
  readonly sentIn: Phase;
  readonly endedIn: Phase;
  /** The HTTP status, or why there is none: the client's own timeout, or a network error. */
  readonly status: number | "client_timeout" | "network_error";
  /** Milliseconds from sending to the end of the answer (logged, never asserted). */
  readonly durationMs: number;
  /** The problem code when the answer was an `application/problem+json` body of ours. */
  readonly problem?: string;
  /** The `x-processed-by-cloud`, `x-cell-id` and `x-request-id` headers of the answer. */
  readonly cloud?: string | null;
  readonly cellId?: string | null;
  readonly requestId?: string | null;
}

/** A record's last acknowledged state, and a later write whose outcome is unknown, if any. */
export interface LedgerEntry {
  readonly tenantId: string;
  readonly recordId: string;
  acked?: { readonly version: number; readonly data: Record<string, unknown> };
  unknown?: { readonly version: number; readonly data: Record<string, unknown> };
}

/** What every loop of a run shares. */
export interface LoadRun {
  readonly routerUrl: string;
  /** Each request's own deadline, well above the router's cell timeout. */
  readonly clientTimeoutMs: number;
  readonly phase: () => Phase;
  readonly done: () => boolean;
  /** Requests sent, counted before each is sent, so one that never ends still counts. */
  readonly sent: { count: number };
  /** Every request that ended, with its answer or why there was none. */
  readonly exchanges: Exchange[];
  /** `tenantId/recordId` -> entry. */
  readonly ledger: Map<string, LedgerEntry>;
  /** Reads that did not return what the ledger says, described for the failure message. */
  readonly violations: string[];
  /** Records are named `<prefix>-<loop>-<n>`, so one run never reuses another's ids. */
  readonly prefix: string;
  /**
   * A loop's pause after an answer that is not a success, as a polite client backs off. Without it a
   * tenant whose cell is down fails in microseconds and spins: in the sandbox every cell, emulator
   * and client share this machine's CPU, which real cells do not.
   */
  readonly backoffMs: number;
  /** Headers every request for `tenantId` carries (its bearer token, when the router authenticates clients). @default none */
  readonly headersFor?: (tenantId: string) => Record<string, string>;
}

const isSuccess = (status: Exchange["status"]): status is number => typeof status === "number" && status >= 200 && status < 300;

/** Sends one request with its own deadline; never throws. */
async function exchange(
  run: LoadRun,
  base: Pick<Exchange, "tenantId" | "loop" | "op" | "recordId">,
  method: string,
  body?: unknown,
): Promise<{ exchange: Exchange; json: any }> {
  const sentIn = run.phase();
  const started = Date.now();
  run.sent.count++;
  const url = `${run.routerUrl}/api/tenants/${base.tenantId}/records/${base.recordId}`;
  let status: Exchange["status"];
  let json: any;
  let headers: Headers | undefined;
  try {
    const response = await fetch(url, {
      method,
      headers: { ...run.headersFor?.(base.tenantId), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(run.clientTimeoutMs),
    });
    headers = response.headers;
    const text = await response.text();
    status = response.status;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  } catch (error) {
    status = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "client_timeout" : "network_error";
  }
  const isProblem = (headers?.get("content-type") ?? "").startsWith(PROBLEM_CONTENT_TYPE);
  const done: Exchange = {
    ...base,
    sentIn,
    endedIn: run.phase(),
    status,
    durationMs: Date.now() - started,
    problem: isProblem ? (problemCode(json) ?? "not-ours") : undefined,
    cloud: headers?.get("x-processed-by-cloud"),
    cellId: headers?.get("x-cell-id"),
    requestId: headers?.get("x-request-id"),
  };
  run.exchanges.push(done);
  if (!isSuccess(status)) await new Promise((resolve) => setTimeout(resolve, run.backoffMs));
  return { exchange: done, json };
}

function entryOf(run: LoadRun, tenantId: string, recordId: string): LedgerEntry {
  const key = `${tenantId}/${recordId}`;
  let entry = run.ledger.get(key);
  if (!entry) {
    entry = { tenantId, recordId };
    run.ledger.set(key, entry);
  }
  return entry;
}

/** Books a write's answer: acknowledged (2xx), or of unknown outcome (5xx or no answer: the cell may have applied it). */
function book(entry: LedgerEntry, result: { exchange: Exchange; json: any }, attempted: { version: number; data: Record<string, unknown> }, run: LoadRun): void {
  const { status } = result.exchange;
  if (isSuccess(status)) {
    const got = result.json as { version?: unknown; data?: unknown } | undefined;
    if (got?.version !== attempted.version || JSON.stringify(got.data) !== JSON.stringify(attempted.data)) {
      run.violations.push(`${entry.recordId}: write acknowledged as ${JSON.stringify(got)} instead of version ${attempted.version}`);
    }
    entry.acked = attempted;
    entry.unknown = undefined;
  } else if (typeof status !== "number" || status >= 500) {
    entry.unknown = attempted;
  }
}

/** Whether `got` is a state the ledger allows for `entry`: the acknowledged one, or the one of unknown outcome. */
export function matchesLedger(entry: LedgerEntry, got: { version?: unknown; data?: unknown } | undefined): boolean {
  const same = (state: LedgerEntry["acked"]) => state !== undefined && got?.version === state.version && JSON.stringify(got.data) === JSON.stringify(state.data);
  return same(entry.acked) || same(entry.unknown);
}

/** One closed loop on `tenantId` until `run.done()`. */
export async function tenantLoop(run: LoadRun, tenantId: string, loop: number): Promise<void> {
  const mine: LedgerEntry[] = [];
  for (let n = 0; !run.done(); n++) {
    const recordId = `${run.prefix}-${loop}-${n}`;
    const entry = entryOf(run, tenantId, recordId);
    mine.push(entry);
    const created = { version: 1, data: { loop, n, round: 1 } };
    book(entry, await exchange(run, { tenantId, loop, op: "create", recordId }, "PUT", { data: created.data, expected_version: 0 }), created, run);

    // Replace the newest record whose state is known, stating the version being replaced.
    const target = n % 2 === 0 ? [...mine].reverse().find((e) => e.acked !== undefined && e.unknown === undefined) : undefined;
    if (target?.acked && !run.done()) {
      const next = { version: target.acked.version + 1, data: { loop, n, round: target.acked.version + 1 } };
      const replaced = await exchange(run, { tenantId, loop, op: "replace", recordId: target.recordId }, "PUT", { data: next.data, expected_version: target.acked.version });
      book(target, replaced, next, run);
    }

    const readable = mine.filter((e) => e.acked !== undefined);
    const pick = readable[(n * 7919) % Math.max(readable.length, 1)];
    if (pick && !run.done()) {
      const read = await exchange(run, { tenantId, loop, op: "read", recordId: pick.recordId }, "GET");
      if (isSuccess(read.exchange.status) && !matchesLedger(pick, read.json)) {
        run.violations.push(`${tenantId}/${pick.recordId}: read ${JSON.stringify(read.json)}, ledger ${JSON.stringify(pick)}`);
      }
    }
  }
}
