import { isCellId } from "./ids";
import { err, ok, type Result } from "./result";

/**
 * The router's per-cell error and latency figures: what the edge saw of each cell, for the control
 * loop that decides whether a cell is healthy, degraded or down. One shape, two sources:
 *
 * - in the cloud, every call is a Workers Analytics Engine data point (`EDGE_HEALTH_POINT` says which
 *   field holds what), and the figures are a SQL query over the dataset;
 * - locally (and in tests), the router serves one isolate's figures as an `EdgeHealthReport` at
 *   `EDGE_HEALTH_PATH`, in `local` mode only.
 */

export const EDGE_HEALTH_VERSION = 1;

/** Where a `local`-mode router serves its `EdgeHealthReport` (GET, no token needed). */
export const EDGE_HEALTH_PATH = "/__edge/health";

/**
 * Upper bounds, ms, of the latency histogram's buckets; one more bucket counts everything slower.
 * Roughly 1-2-5 steps, so a percentile read from the histogram is within a factor 2.5 of the truth.
 */
export const EDGE_LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000] as const;

/** Circuit breaker states: `closed` (calls flow), `open` (the cell's tenants get 503 at once), `half_open` (one probe call is out). */
export const BREAKER_STATES = ["closed", "open", "half_open"] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** One cell as the edge saw it over the window. */
export interface EdgeCellHealth {
  readonly cellId: string;
  /** Calls made to the cell. */
  readonly requests: number;
  /** Calls that failed: a 5xx answer, an unreachable cell, an answer the router would not pass on, or a timeout. */
  readonly errors: number;
  /** Calls that timed out (also counted in `errors`). */
  readonly timeouts: number;
  /** Requests for the cell's tenants answered 503 by its open breaker, without a call. */
  readonly shed: number;
  readonly latencyMs: {
    /** Estimated from the histogram (the upper bound of the bucket holding the percentile); null without calls. */
    readonly p50: number | null;
    readonly p99: number | null;
    /** Calls per bucket of `EDGE_LATENCY_BUCKETS_MS`, plus the overflow bucket: `EDGE_LATENCY_BUCKETS_MS.length + 1` counts. */
    readonly histogram: readonly number[];
  };
  readonly breaker: {
    readonly state: BreakerState;
    readonly consecutiveFailures: number;
    /** While open: seconds until a probe may go through; otherwise null. */
    readonly retryAfterSeconds: number | null;
  };
}

/** One router isolate's figures for every cell it has called. */
export interface EdgeHealthReport {
  readonly v: typeof EDGE_HEALTH_VERSION;
  /** ISO-8601 UTC. */
  readonly generatedAt: string;
  /** The figures cover the last `windowSeconds` (or less, since the isolate started). */
  readonly windowSeconds: number;
  readonly cells: readonly EdgeCellHealth[];
}

/**
 * The Analytics Engine data point the router writes per call (and per shed request), so a SQL query
 * can build the same figures: `index1` and `blob1` the cell id, `blob2` its cloud, `blob3` the kind
 * (`call` or `shed`), `double1` the latency in ms, `double2` the HTTP status (0 when there was no
 * answer), `double3` 1 for an error, `double4` 1 for a timeout. For example, per cell over 5 minutes:
 * `SELECT blob1 AS cell, SUM(_sample_interval * double3) / SUM(_sample_interval) AS error_rate,
 * quantileWeighted(0.99)(double1, _sample_interval) AS p99_ms FROM <dataset>
 * WHERE timestamp > NOW() - INTERVAL '5' MINUTE AND blob3 = 'call' GROUP BY cell`.
 */
export const EDGE_HEALTH_POINT = {
  index: "cellId",
  blobs: ["cellId", "cloud", "kind"],
  doubles: ["latencyMs", "status", "error", "timeout"],
} as const;

/**
 * The value at percentile `q` (0 to 100) of a histogram over `EDGE_LATENCY_BUCKETS_MS`: its bucket's
 * upper bound (the last bound for the overflow bucket: no call outlives the longest cell timeout), or
 * null when the histogram is empty.
 */
export function histogramPercentile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((q / 100) * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return EDGE_LATENCY_BUCKETS_MS[Math.min(i, EDGE_LATENCY_BUCKETS_MS.length - 1)]!;
  }
  return EDGE_LATENCY_BUCKETS_MS[EDGE_LATENCY_BUCKETS_MS.length - 1]!;
}

const count = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const latency = (value: unknown): value is number | null => value === null || (typeof value === "number" && value >= 0);

/** Parses an `EdgeHealthReport` (what `EDGE_HEALTH_PATH` answers); a malformed one is an error value. */
export function parseEdgeHealthReport(value: unknown): Result<EdgeHealthReport> {
  if (typeof value !== "object" || value === null) return err("edge health report must be a JSON object");
  const r = value as Record<string, unknown>;
  if (r.v !== EDGE_HEALTH_VERSION) return err(`edge health report v must be ${EDGE_HEALTH_VERSION}, got ${JSON.stringify(r.v)}`);
  if (typeof r.generatedAt !== "string" || Number.isNaN(Date.parse(r.generatedAt))) return err("edge health report generatedAt must be an ISO time");
  if (!count(r.windowSeconds)) return err("edge health report windowSeconds must be a non-negative integer");
  if (!Array.isArray(r.cells)) return err("edge health report cells must be an array");
  const cells: EdgeCellHealth[] = [];
  for (const [i, raw] of r.cells.entries()) {
    const c = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, any>;
    const where = `edge health report cells[${i}]`;
    if (!isCellId(c.cellId)) return err(`${where}.cellId is invalid: ${JSON.stringify(c.cellId)}`);
    for (const field of ["requests", "errors", "timeouts", "shed"] as const) if (!count(c[field])) return err(`${where}.${field} must be a non-negative integer`);
    const l = c.latencyMs as Record<string, unknown> | undefined;
    if (typeof l !== "object" || l === null || !latency(l.p50) || !latency(l.p99)) return err(`${where}.latencyMs must have p50 and p99 (numbers or null)`);
    if (!Array.isArray(l.histogram) || l.histogram.length !== EDGE_LATENCY_BUCKETS_MS.length + 1 || !l.histogram.every(count)) {
      return err(`${where}.latencyMs.histogram must hold ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts`);
    }
    const b = c.breaker as Record<string, unknown> | undefined;
    if (typeof b !== "object" || b === null || !(BREAKER_STATES as readonly unknown[]).includes(b.state) || !count(b.consecutiveFailures) || !(b.retryAfterSeconds === null || count(b.retryAfterSeconds))) {
      return err(`${where}.breaker must be {state: ${BREAKER_STATES.join(" | ")}, consecutiveFailures, retryAfterSeconds}`);
    }
    cells.push({
      cellId: c.cellId,
      requests: c.requests,
      errors: c.errors,
      timeouts: c.timeouts,
      shed: c.shed,
      latencyMs: { p50: l.p50 as number | null, p99: l.p99 as number | null, histogram: l.histogram as number[] },
      breaker: { state: b.state as BreakerState, consecutiveFailures: b.consecutiveFailures as number, retryAfterSeconds: b.retryAfterSeconds as number | null },
    });
  }
  return ok({ v: EDGE_HEALTH_VERSION, generatedAt: r.generatedAt, windowSeconds: r.windowSeconds, cells });
}
