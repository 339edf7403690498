import {
  CELL_HEALTH_VERSION,
  RollingWindow,
  countsAsCellError,
  type CellHealthReport,
  type Cloud,
  type HealthProbeView,
  type ProblemCode,
} from "../../contract";
import type { Clock, TenantStore } from "./ports";

/** How long a store keeps the probe item after its last write (the next check overwrites it long before). */
export const PROBE_TTL_SECONDS = 60 * 60;

/** A failed probe's reason is cut to this many characters: a message, never a stack. */
const PROBE_ERROR_CHARS = 200;

/**
 * The cell's deep health (`GET /admin/health`, `contract/cell-health.ts`), once for both clouds: a
 * timed write and read of the probe item through the store port, and the error and latency figures of
 * this process's recent tenant requests over a rolling minute (`RollingWindow`, as the edge counts).
 */
export class CellHealth {
  private readonly recent = new RollingWindow();

  constructor(private readonly deps: { readonly cellId: string; readonly cloud: Cloud; readonly store: TenantStore; readonly clock: Clock }) {}

  /** Counts one tenant request that took `latencyMs` and was answered with `status` (and problem `code`). */
  observe(status: number, code: ProblemCode | undefined, latencyMs: number): void {
    this.recent.record({ error: countsAsCellError(status, code), latencyMs }, this.deps.clock.now());
  }

  /** Probes the store, then reports with the figures of the last `windowSeconds`. */
  async report(windowSeconds: number): Promise<CellHealthReport> {
    const probe = await probeStore(this.deps.store, this.deps.clock);
    const now = this.deps.clock.now();
    const slots = this.recent.slotsFor(windowSeconds);
    const f = this.recent.figures(now, slots);
    return {
      v: CELL_HEALTH_VERSION,
      cell_id: this.deps.cellId,
      cloud: this.deps.cloud,
      generated_at: new Date(now).toISOString(),
      probe,
      recent: { window_seconds: this.recent.secondsOf(slots), requests: f.requests, errors: f.errors, latency_ms: { p50: f.p50, p99: f.p99, histogram: f.histogram } },
    };
  }
}

/**
 * Writes a fresh probe item and reads it back, timing each call. The read passes when it finds this
 * probe or a later one (another checker may have written in between); anything else, or a store
 * error of any kind, fails the probe with the reason.
 */
export async function probeStore(store: TenantStore, clock: Clock): Promise<HealthProbeView> {
  const started = clock.now();
  const token = crypto.randomUUID();
  const writtenAt = new Date(started).toISOString();
  let writeMs: number | null = null;
  try {
    await store.writeProbe({ token, writtenAt, expiresAtSec: Math.floor(started / 1000) + PROBE_TTL_SECONDS });
    writeMs = clock.now() - started;
    const readStarted = clock.now();
    const found = await store.readProbe();
    const readMs = clock.now() - readStarted;
    if (found === undefined) return { ok: false, write_ms: writeMs, read_ms: readMs, error: "the probe item just written was not found" };
    if (found.token !== token && found.writtenAt < writtenAt) return { ok: false, write_ms: writeMs, read_ms: readMs, error: "the read back returned an older probe than the one just written" };
    return { ok: true, write_ms: writeMs, read_ms: readMs, error: null };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, write_ms: writeMs, read_ms: null, error: reason.length > PROBE_ERROR_CHARS ? `${reason.slice(0, PROBE_ERROR_CHARS - 3)}...` : reason };
  }
}
