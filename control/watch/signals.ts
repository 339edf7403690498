import type { BreakerState, CellEntry, CellHealthReport, Ownership } from "../../contract";
import type { WatchPolicy } from "./policy";

/**
 * What the loop sees of one cell in one window, and how one window is judged: the cell's deep health
 * (its store probe and its recent requests), the edge's figures for it, its registry entry and its
 * tenants. Pure: the loop gathers observations (`gather.ts`), this file judges them.
 */

/** The edge's figures for one cell over the window (from the router's report or Analytics Engine). */
export interface EdgeFigures {
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly shed: number;
  readonly p99: number | null;
  /** The router's breaker, when the source knows it (a local router does; Analytics Engine does not). */
  readonly breaker?: BreakerState;
}

/** One cell, one window. */
export interface CellObservation {
  readonly cell: CellEntry;
  readonly capacity: number;
  /** The cell's tenants as it reports them; undefined when it could not be asked. */
  readonly tenants: readonly Ownership[] | undefined;
  /** The deep health report, or why it could not be had (the cell did not answer). */
  readonly deep: { readonly ok: true; readonly report: CellHealthReport } | { readonly ok: false; readonly error: string };
  /** The edge's figures: `undefined` when the edge made no calls to it, `null` when the edge's figures could not be read. */
  readonly edge: EdgeFigures | undefined | null;
}

/** One window's verdict: `down` (the cell or its store does not answer), `degraded` (slow or failing), or `ok`. */
export type WindowVerdict = "ok" | "degraded" | "down";

export interface WindowJudgement {
  readonly verdict: WindowVerdict;
  /** Why, one phrase per signal over its threshold; empty for an ok window. */
  readonly reasons: readonly string[];
  /** The figures the verdict rests on, for the log line. */
  readonly evidence: Readonly<Record<string, number | string | boolean | null>>;
}

const percent = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

/** Judges one window of one cell against the policy's thresholds. */
export function judgeWindow(o: CellObservation, thresholds: WatchPolicy["thresholds"]): WindowJudgement {
  const down: string[] = [];
  const degraded: string[] = [];
  const evidence: Record<string, number | string | boolean | null> = {};
  if (!o.deep.ok) {
    down.push(`cell did not answer its health check (${o.deep.error})`);
    evidence.cell = "unreachable";
  } else {
    const { probe, recent } = o.deep.report;
    evidence.probe_ok = probe.ok;
    evidence.probe_ms = probe.write_ms === null ? null : probe.write_ms + (probe.read_ms ?? 0);
    if (!probe.ok) down.push(`store probe failed (${probe.error})`);
    else if (evidence.probe_ms !== null && evidence.probe_ms > thresholds.probeLatencyMs) degraded.push(`store probe ${evidence.probe_ms} ms > ${thresholds.probeLatencyMs} ms`);
    evidence.cell_requests = recent.requests;
    evidence.cell_errors = recent.errors;
    evidence.cell_p99_ms = recent.latency_ms.p99;
    if (recent.requests >= thresholds.minRequests) {
      const rate = recent.errors / recent.requests;
      if (rate > thresholds.errorRate) degraded.push(`cell errors ${percent(rate)} > ${percent(thresholds.errorRate)} (${recent.errors}/${recent.requests})`);
      if ((recent.latency_ms.p99 ?? 0) > thresholds.p99LatencyMs) degraded.push(`cell p99 ${recent.latency_ms.p99} ms > ${thresholds.p99LatencyMs} ms`);
    }
  }
  if (o.edge === null) {
    evidence.edge = "unavailable";
  } else if (o.edge !== undefined) {
    const e = o.edge;
    Object.assign(evidence, { edge_requests: e.requests, edge_errors: e.errors, edge_timeouts: e.timeouts, edge_shed: e.shed, edge_p99_ms: e.p99, ...(e.breaker ? { edge_breaker: e.breaker } : {}) });
    if (e.breaker !== undefined && e.breaker !== "closed") degraded.push(`edge breaker ${e.breaker.replace("_", "-")}`);
    if (e.requests >= thresholds.minRequests) {
      const rate = e.errors / e.requests;
      if (rate > thresholds.errorRate) degraded.push(`edge errors ${percent(rate)} > ${percent(thresholds.errorRate)} (${e.errors}/${e.requests})`);
      if ((e.p99 ?? 0) > thresholds.p99LatencyMs) degraded.push(`edge p99 ${e.p99} ms > ${thresholds.p99LatencyMs} ms`);
    }
  }
  const verdict: WindowVerdict = down.length > 0 ? "down" : degraded.length > 0 ? "degraded" : "ok";
  return { verdict, reasons: [...down, ...degraded], evidence };
}
