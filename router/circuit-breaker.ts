import type { BreakerState } from "../contract";

/** How the breaker trips and recovers. */
export interface BreakerOptions {
  /** Consecutive failed calls to one cell that open its breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker refuses calls before it lets one probe through, ms. */
  readonly cooldownMs: number;
  /**
   * How long a probe may stay out before another one is allowed, ms: a probe whose request was
   * cancelled never reports, and the cell must not stay half-open for ever. The cell timeout plus a margin.
   */
  readonly probeTimeoutMs: number;
}

/** Whether a call to the cell may go ahead; a probe is the one call a half-open breaker lets through. */
export type Admission = { readonly allowed: true; readonly probe: boolean } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** A cell's breaker as the health figures show it. */
export interface BreakerView {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly retryAfterSeconds: number | null;
}

interface CellBreaker {
  state: BreakerState;
  consecutiveFailures: number;
  /** When the breaker last opened (open) or the probe went out (half_open), epoch ms. */
  since: number;
}

/**
 * One circuit breaker per cell, in the isolate (plain data, shared by the requests it serves). After
 * `failureThreshold` consecutive failures or timeouts of a cell its breaker opens: the cell's tenants
 * get a 503 with `Retry-After` at once, instead of each request waiting out the cell timeout. After
 * `cooldownMs` one request goes through as a probe (half-open); its success closes the breaker, its
 * failure opens it for another cool-down. Each cell has its own breaker, so one failing cell never
 * slows another's tenants.
 *
 * While open, results of calls that started before the breaker opened are ignored; while half-open,
 * only the probe's result counts.
 */
export class CircuitBreaker {
  private readonly cells = new Map<string, CellBreaker>();

  constructor(private readonly options: BreakerOptions) {}

  /** Asks to call `cellId` now. */
  admit(cellId: string, now: number): Admission {
    const cell = this.cells.get(cellId);
    if (cell === undefined || cell.state === "closed") return { allowed: true, probe: false };
    if (cell.state === "open") {
      const left = cell.since + this.options.cooldownMs - now;
      if (left > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
      cell.state = "half_open";
      cell.since = now;
      return { allowed: true, probe: true };
    }
    // half_open: one probe at a time, unless the last one went missing.
    const probeLeft = cell.since + this.options.probeTimeoutMs - now;
    if (probeLeft > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(probeLeft / 1000)) };
    cell.since = now;
    return { allowed: true, probe: true };
  }

  /** Reports how an admitted call ended: `ok` false for a failure or timeout. */
  record(cellId: string, ok: boolean, admission: { readonly probe: boolean }, now: number): void {
    const cell = this.cells.get(cellId) ?? { state: "closed" as BreakerState, consecutiveFailures: 0, since: now };
    if (cell.state === "open" || (cell.state === "half_open" && !admission.probe)) return;
    if (ok) {
      cell.state = "closed";
      cell.consecutiveFailures = 0;
    } else {
      cell.consecutiveFailures++;
      if (cell.state === "half_open" || cell.consecutiveFailures >= this.options.failureThreshold) {
        cell.state = "open";
        cell.since = now;
      }
    }
    if (cell.state === "closed" && cell.consecutiveFailures === 0) this.cells.delete(cellId);
    else this.cells.set(cellId, cell);
  }

  /** Cells whose breaker is not plainly closed (failures counted, open or half-open). */
  cellIds(): string[] {
    return [...this.cells.keys()];
  }

  /** The breaker of `cellId` as it stands (an open one whose cool-down is over still reads `open` until a request probes). */
  view(cellId: string, now: number): BreakerView {
    const cell = this.cells.get(cellId);
    if (cell === undefined) return { state: "closed", consecutiveFailures: 0, retryAfterSeconds: null };
    const retryAfterSeconds = cell.state === "open" ? Math.max(0, Math.ceil((cell.since + this.options.cooldownMs - now) / 1000)) : null;
    return { state: cell.state, consecutiveFailures: cell.consecutiveFailures, retryAfterSeconds };
  }
}
