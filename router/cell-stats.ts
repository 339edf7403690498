import { EDGE_HEALTH_VERSION, EDGE_LATENCY_BUCKETS_MS, histogramPercentile, type Cloud, type EdgeCellHealth, type EdgeHealthReport } from "../contract";
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

/** The rolling window: 6 slots of 10 s, so the figures cover the last 50 to 60 s. */
export const STATS_WINDOW = { slots: 6, slotMs: 10_000 } as const;

interface Slot {
  readonly index: number;
  requests: number;
  errors: number;
  timeouts: number;
  shed: number;
  readonly histogram: number[];
}

const bucketOf = (ms: number): number => {
  const i = EDGE_LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return i === -1 ? EDGE_LATENCY_BUCKETS_MS.length : i;
};

/**
 * Per-cell call counts and a latency histogram over a rolling window, in the isolate: the local
 * source of the edge's health figures (`contract/edge-health.ts`). Constant memory per cell.
 */
export class CellStats {
  private readonly cells = new Map<string, Slot[]>();

  constructor(private readonly window: { readonly slots: number; readonly slotMs: number } = STATS_WINDOW) {}

  record(call: CellCall, now: number): void {
    const index = Math.floor(now / this.window.slotMs);
    const slots = (this.cells.get(call.cellId) ?? []).filter((s) => s.index > index - this.window.slots);
    let slot = slots.find((s) => s.index === index);
    if (slot === undefined) {
      slot = { index, requests: 0, errors: 0, timeouts: 0, shed: 0, histogram: new Array<number>(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0) };
      slots.push(slot);
    }
    if (call.kind === "shed") slot.shed++;
    else {
      slot.requests++;
      if (call.error) slot.errors++;
      if (call.timeout) slot.timeouts++;
      slot.histogram[bucketOf(call.latencyMs)]!++;
    }
    this.cells.set(call.cellId, slots);
  }

  /** The figures of every cell seen in the window (and every cell whose breaker is not closed), by cell id. */
  report(now: number, breaker: { view(cellId: string, now: number): BreakerView; cellIds(): string[] }): EdgeHealthReport {
    const current = Math.floor(now / this.window.slotMs);
    const ids = [...new Set([...this.cells.keys(), ...breaker.cellIds()])].sort();
    const cells = ids.map((cellId): EdgeCellHealth => {
      const slots = (this.cells.get(cellId) ?? []).filter((s) => s.index > current - this.window.slots);
      const histogram = new Array<number>(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0);
      for (const s of slots) s.histogram.forEach((n, i) => (histogram[i]! += n));
      const sum = (field: "requests" | "errors" | "timeouts" | "shed") => slots.reduce((n, s) => n + s[field], 0);
      return {
        cellId,
        requests: sum("requests"),
        errors: sum("errors"),
        timeouts: sum("timeouts"),
        shed: sum("shed"),
        latencyMs: { p50: histogramPercentile(histogram, 50), p99: histogramPercentile(histogram, 99), histogram },
        breaker: breaker.view(cellId, now),
      };
    });
    return { v: EDGE_HEALTH_VERSION, generatedAt: new Date(now).toISOString(), windowSeconds: (this.window.slots * this.window.slotMs) / 1000, cells };
  }
}
