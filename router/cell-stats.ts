import { EDGE_HEALTH_VERSION, ROLLING_WINDOW, RollingWindow, type Cloud, type EdgeCellHealth, type EdgeHealthReport } from "../contract";
import type { BreakerView } from "./circuit-breaker";

/** One call to a cell (or one request its open breaker answered), as the health figures count it. */
export interface CellCall {
  readonly cellId: string;
  readonly cloud: Cloud;
  /** `call`: the router called the cell; `shed`: its open breaker answered 503 without a call. */
  readonly kind: "call" | "shed";
  /** The cell's answer's status; 0 when there was none (unreachable, timeout, shed). */
  readonly status: number;
  readonly latencyMs: number;
  /** A 5xx answer, an unreachable cell, an answer the router would not pass on, or a timeout. */
  readonly error: boolean;
  readonly timeout: boolean;
}

/** The rolling window: 60 slots of 1 s, so the figures cover the last minute, or its last N seconds on request. */
export const STATS_WINDOW = ROLLING_WINDOW;

/**
 * Per-cell call counts and a latency histogram over a rolling window, in the isolate: the local
 * source of the edge's health figures (`contract/edge-health.ts`). Constant memory per cell.
 */
export class CellStats {
  private readonly cells = new Map<string, RollingWindow>();

  constructor(private readonly window: { readonly slots: number; readonly slotMs: number } = STATS_WINDOW) {}

  record(call: CellCall, now: number): void {
    let figures = this.cells.get(call.cellId);
    if (figures === undefined) this.cells.set(call.cellId, (figures = new RollingWindow(this.window)));
    figures.record({ shed: call.kind === "shed", error: call.error, timeout: call.timeout, latencyMs: call.latencyMs }, now);
  }

  /**
   * The figures of every cell seen in the window (and every cell whose breaker is not closed), by
   * cell id, over the whole window or its last `windowSeconds` (rounded up to whole slots).
   */
  report(now: number, breaker: { view(cellId: string, now: number): BreakerView; cellIds(): string[] }, windowSeconds?: number): EdgeHealthReport {
    const shape = new RollingWindow(this.window);
    const slots = windowSeconds === undefined ? this.window.slots : shape.slotsFor(windowSeconds);
    const ids = [...new Set([...this.cells.keys(), ...breaker.cellIds()])].sort();
    const cells = ids.map((cellId): EdgeCellHealth => {
      const f = (this.cells.get(cellId) ?? shape).figures(now, slots);
      return {
        cellId,
        requests: f.requests,
        errors: f.errors,
        timeouts: f.timeouts,
        shed: f.shed,
        latencyMs: { p50: f.p50, p99: f.p99, histogram: f.histogram },
        breaker: breaker.view(cellId, now),
      };
    });
    return { v: EDGE_HEALTH_VERSION, generatedAt: new Date(now).toISOString(), windowSeconds: shape.secondsOf(slots), cells };
  }
}
