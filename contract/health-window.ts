import { EDGE_LATENCY_BUCKETS_MS, histogramPercentile } from "./edge-health";

/**
 * Error and latency figures over a rolling window of time slots: how the edge router counts its calls
 * to each cell and how a cell counts its own recent requests, so both sides of the health model
 * (`contract/edge-health.ts`, `contract/cell-health.ts`) count the same way. Constant memory: one
 * slot per `slotMs`, at most `slots` of them. A caller may ask for the figures of the last few slots
 * only, so a control loop that reads every N seconds judges each window on its own calls.
 */

/** One call (or one request answered without a call, `shed`), as the window counts it. */
export interface WindowSample {
  /** True for a request the edge's open breaker answered without calling the cell. */
  readonly shed?: boolean;
  /** Counts as an error (see `countsAsCellError`). */
  readonly error?: boolean;
  readonly timeout?: boolean;
  readonly latencyMs: number;
}

/** The figures of a window. */
export interface WindowFigures {
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly shed: number;
  /** Calls per bucket of `EDGE_LATENCY_BUCKETS_MS`, plus the overflow bucket. */
  readonly histogram: number[];
  readonly p50: number | null;
  readonly p99: number | null;
}

/** 60 slots of 1 s: figures over the last minute, readable second by second. */
export const ROLLING_WINDOW = { slots: 60, slotMs: 1_000 } as const;

interface Slot {
  readonly index: number;
  requests: number;
  errors: number;
  timeouts: number;
  shed: number;
  readonly histogram: number[];
}

const emptyHistogram = (): number[] => new Array<number>(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0);

/** The histogram bucket of a latency. */
export function latencyBucket(ms: number): number {
  const i = EDGE_LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return i === -1 ? EDGE_LATENCY_BUCKETS_MS.length : i;
}

export class RollingWindow {
  /** Oldest first; never more than `shape.slots`, never older than the window. */
  private readonly slots: Slot[] = [];

  constructor(readonly shape: { readonly slots: number; readonly slotMs: number } = ROLLING_WINDOW) {}

  record(sample: WindowSample, now: number): void {
    const index = Math.floor(now / this.shape.slotMs);
    // A clock that stepped back counts the sample in the newest slot rather than losing it.
    let slot = this.slots[this.slots.length - 1];
    if (slot === undefined || slot.index < index) {
      slot = { index, requests: 0, errors: 0, timeouts: 0, shed: 0, histogram: emptyHistogram() };
      this.slots.push(slot);
      while (this.slots[0]!.index <= index - this.shape.slots) this.slots.shift();
    }
    if (sample.shed) {
      slot.shed++;
      return;
    }
    slot.requests++;
    if (sample.error) slot.errors++;
    if (sample.timeout) slot.timeouts++;
    slot.histogram[latencyBucket(sample.latencyMs)]!++;
  }

  /** The figures of the last `lastSlots` slots (the current, partial one included). */
  figures(now: number, lastSlots: number = this.shape.slots): WindowFigures {
    const current = Math.floor(now / this.shape.slotMs);
    const from = current - Math.min(Math.max(1, lastSlots), this.shape.slots);
    const histogram = emptyHistogram();
    let requests = 0;
    let errors = 0;
    let timeouts = 0;
    let shed = 0;
    for (const s of this.slots) {
      if (s.index <= from) continue;
      requests += s.requests;
      errors += s.errors;
      timeouts += s.timeouts;
      shed += s.shed;
      s.histogram.forEach((n, i) => (histogram[i]! += n));
    }
    return { requests, errors, timeouts, shed, histogram, p50: histogramPercentile(histogram, 50), p99: histogramPercentile(histogram, 99) };
  }

  /** How many slots cover `seconds` (at least one, at most the whole window). */
  slotsFor(seconds: number): number {
    return Math.min(this.shape.slots, Math.max(1, Math.ceil((seconds * 1000) / this.shape.slotMs)));
  }

  /** The length of `slots` slots in seconds. */
  secondsOf(slots: number): number {
    return (slots * this.shape.slotMs) / 1000;
  }
}
