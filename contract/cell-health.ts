import { EDGE_LATENCY_BUCKETS_MS } from "./edge-health";
import { CLOUDS, type Cloud } from "./registry";
import { isCellId } from "./ids";
import type { ProblemCode } from "./problem";
import { err, ok, type Result } from "./result";

/**
 * The health model: one vocabulary for the cells' own deep health check, the edge's figures
 * (`contract/edge-health.ts`) and the control loop that judges both (`cellctl watch`).
 *
 * A cell answers `GET /admin/health` (admin key, the whole cell) with a `CellHealthReport`, the same
 * on both clouds because the cell core answers it once:
 *
 * - `probe`: a write and a strongly consistent read of the cell's probe item through its store port,
 *   each timed. The item lives outside every tenant's partition and is neither a record, an outbox
 *   entry nor an ownership record, so no listing, export, digest, change stream or lake sees it.
 * - `recent`: the cell's own tenant requests over the last `window_seconds` (this process's view, a
 *   sample on platforms that run many instances): how many, how many failed (`countsAsCellError`), and
 *   a latency histogram over the edge's buckets.
 *
 * The cell reports; the control loop judges (`healthy`, `degraded`, `down`) against its policy.
 */

export const CELL_HEALTH_VERSION = 1;

/** What the control loop makes of a cell's signals, after hysteresis. */
export const CELL_CONDITIONS = ["healthy", "degraded", "down"] as const;
export type CellCondition = (typeof CELL_CONDITIONS)[number];

/** `?window=` of `GET /admin/health`, seconds. */
export const HEALTH_WINDOW_SECONDS = { default: 60, min: 1, max: 60 } as const;

/** The probe's result: both calls timed; `error` says why it failed (never a stack trace). */
export interface HealthProbeView {
  readonly ok: boolean;
  /** Time of the probe write, ms; null when it failed. */
  readonly write_ms: number | null;
  /** Time of the read back, ms; null when it failed or never ran. */
  readonly read_ms: number | null;
  readonly error: string | null;
}

/** A cell's own requests over a recent window. */
export interface RecentRequestsView {
  readonly window_seconds: number;
  readonly requests: number;
  readonly errors: number;
  readonly latency_ms: {
    readonly p50: number | null;
    readonly p99: number | null;
    /** Requests per bucket of `EDGE_LATENCY_BUCKETS_MS`, plus the overflow bucket. */
    readonly histogram: readonly number[];
  };
}

/** What `GET /admin/health` answers. */
export interface CellHealthReport {
  readonly v: typeof CELL_HEALTH_VERSION;
  readonly cell_id: string;
  readonly cloud: Cloud;
  /** ISO-8601 UTC. */
  readonly generated_at: string;
  readonly probe: HealthProbeView;
  readonly recent: RecentRequestsView;
}

/**
 * Whether an answer counts as an error in the health figures, at the edge and in the cell alike: any
 * 5xx except the 503s that are part of ownership moves (a fenced tenant's paused writes, a tenant
 * still importing), which show a cell doing its job.
 */
export function countsAsCellError(status: number, code: ProblemCode | undefined): boolean {
  if (status < 500) return false;
  return status !== 503 || (code !== "tenant_fenced" && code !== "tenant_unavailable");
}

const count = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const millis = (value: unknown): value is number | null => value === null || (typeof value === "number" && Number.isFinite(value) && value >= 0);

/** Parses a `CellHealthReport`; a malformed one is an error value naming the field. */
export function parseCellHealthReport(value: unknown): Result<CellHealthReport> {
  if (typeof value !== "object" || value === null) return err("cell health report must be a JSON object");
  const r = value as Record<string, any>;
  if (r.v !== CELL_HEALTH_VERSION) return err(`cell health report v must be ${CELL_HEALTH_VERSION}, got ${JSON.stringify(r.v)}`);
  if (!isCellId(r.cell_id)) return err(`cell health report cell_id is invalid: ${JSON.stringify(r.cell_id)}`);
  if (!(CLOUDS as readonly unknown[]).includes(r.cloud)) return err(`cell health report cloud must be one of ${CLOUDS.join(", ")}`);
  if (typeof r.generated_at !== "string" || Number.isNaN(Date.parse(r.generated_at))) return err("cell health report generated_at must be an ISO time");
  const p = r.probe as Record<string, unknown> | undefined;
  if (typeof p !== "object" || p === null || typeof p.ok !== "boolean" || !millis(p.write_ms) || !millis(p.read_ms) || !(p.error === null || typeof p.error === "string")) {
    return err("cell health report probe must be {ok, write_ms, read_ms, error}");
  }
  const recent = r.recent as Record<string, any> | undefined;
  if (typeof recent !== "object" || recent === null || !count(recent.window_seconds) || !count(recent.requests) || !count(recent.errors)) {
    return err("cell health report recent must be {window_seconds, requests, errors, latency_ms}");
  }
  const l = recent.latency_ms as Record<string, unknown> | undefined;
  if (typeof l !== "object" || l === null || !millis(l.p50) || !millis(l.p99) || !Array.isArray(l.histogram) || l.histogram.length !== EDGE_LATENCY_BUCKETS_MS.length + 1 || !l.histogram.every(count)) {
    return err(`cell health report recent.latency_ms must be {p50, p99, histogram of ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts}`);
  }
  return ok({
    v: CELL_HEALTH_VERSION,
    cell_id: r.cell_id,
    cloud: r.cloud,
    generated_at: r.generated_at,
    probe: { ok: p.ok, write_ms: p.write_ms as number | null, read_ms: p.read_ms as number | null, error: p.error as string | null },
    recent: {
      window_seconds: recent.window_seconds,
      requests: recent.requests,
      errors: recent.errors,
      latency_ms: { p50: l.p50 as number | null, p99: l.p99 as number | null, histogram: l.histogram as number[] },
    },
  });
}
