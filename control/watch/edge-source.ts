import { EDGE_HEALTH_PATH, EDGE_HEALTH_POINT, parseEdgeHealthReport } from "../../contract";
import type { Connection } from "../connection";
import type { EdgeFigures } from "./signals";

/**
 * Where the loop reads the edge's per-cell figures over its window, one shape (`EdgeFigures`) from
 * two sources: a `local`-mode router's `GET /__edge/health?window=N` (the sandbox), and the router's
 * Workers Analytics Engine dataset through Cloudflare's SQL API (deployed systems). Either may fail;
 * the loop then judges on the cells' own health and says the edge's figures were unavailable.
 */
export interface EdgeSource {
  readonly description: string;
  /** Cell id -> figures over the last `windowSeconds`; a cell the edge did not call is absent. */
  read(windowSeconds: number): Promise<Map<string, EdgeFigures>>;
}

/** The dataset the edge stack declares by default (`constructs/edge-router.ts`). */
export const DEFAULT_EDGE_DATASET = "cells_edge_router_health";

/** The window a source is asked for: whole seconds, at most the minute the router keeps. */
const windowOf = (seconds: number) => Math.min(60, Math.max(1, Math.ceil(seconds)));

/** A `local`-mode router's own report. */
export function routerEdgeSource(routerUrl: string, fetchImpl: typeof fetch = fetch): EdgeSource {
  return {
    description: `the router's ${EDGE_HEALTH_PATH}`,
    async read(windowSeconds) {
      const response = await fetchImpl(`${routerUrl}${EDGE_HEALTH_PATH}?window=${windowOf(windowSeconds)}`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${routerUrl}${EDGE_HEALTH_PATH} answered ${response.status}`);
      const parsed = parseEdgeHealthReport(await response.json());
      if (!parsed.ok) throw new Error(parsed.error);
      return new Map(
        parsed.value.cells.map((c) => [c.cellId, { requests: c.requests, errors: c.errors, timeouts: c.timeouts, shed: c.shed, p99: c.latencyMs.p99, breaker: c.breaker.state }]),
      );
    },
  };
}

const DATASET_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The SQL over the router's data points (`EDGE_HEALTH_POINT`: blob1 cell, blob3 kind, double1
 * latency, double3 error, double4 timeout), per cell and kind, weighted by the sample interval.
 */
export function edgeHealthSql(dataset: string, windowSeconds: number): string {
  if (!DATASET_PATTERN.test(dataset)) throw new Error(`dataset must match ${DATASET_PATTERN}, got '${dataset}'`);
  const [, , kind] = EDGE_HEALTH_POINT.blobs;
  return [
    `SELECT blob1 AS cell, blob3 AS ${kind},`,
    "  SUM(_sample_interval) AS requests, SUM(_sample_interval * double3) AS errors, SUM(_sample_interval * double4) AS timeouts,",
    "  quantileWeighted(0.99)(double1, _sample_interval) AS p99",
    `FROM ${dataset}`,
    `WHERE timestamp > NOW() - INTERVAL '${windowOf(windowSeconds)}' SECOND`,
    `GROUP BY cell, ${kind}`,
    "FORMAT JSON",
  ].join("\n");
}

const num = (value: unknown): number => (typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN);

/** Folds the SQL API's rows (one per cell and kind) into figures per cell. */
export function edgeFiguresOfRows(rows: ReadonlyArray<Record<string, unknown>>): Map<string, EdgeFigures> {
  const out = new Map<string, { requests: number; errors: number; timeouts: number; shed: number; p99: number | null }>();
  for (const row of rows) {
    const cell = typeof row.cell === "string" ? row.cell : undefined;
    if (cell === undefined) continue;
    const f = out.get(cell) ?? { requests: 0, errors: 0, timeouts: 0, shed: 0, p99: null };
    if (row.kind === "shed") f.shed += Math.round(num(row.requests));
    else if (row.kind === "call") {
      f.requests += Math.round(num(row.requests));
      f.errors += Math.round(num(row.errors));
      f.timeouts += Math.round(num(row.timeouts));
      const p99 = num(row.p99);
      f.p99 = Number.isFinite(p99) ? Math.round(p99) : null;
    }
    out.set(cell, f);
  }
  return out;
}

/** The router's Analytics Engine dataset through Cloudflare's SQL API (token needs 'Account Analytics: Read'). */
export function analyticsEngineEdgeSource(options: { accountId: string; apiToken: string; dataset: string; baseUrl?: string; fetch?: typeof fetch }): EdgeSource {
  const base = (options.baseUrl ?? "https://api.cloudflare.com/client/v4").replace(/\/$/, "");
  const fetchImpl = options.fetch ?? fetch;
  return {
    description: `Analytics Engine dataset ${options.dataset}`,
    async read(windowSeconds) {
      const response = await fetchImpl(`${base}/accounts/${options.accountId}/analytics_engine/sql`, {
        method: "POST",
        headers: { authorization: `Bearer ${options.apiToken}` },
        body: edgeHealthSql(options.dataset, windowSeconds),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`the Analytics Engine SQL API answered ${response.status}: ${text.slice(0, 200)}`);
      const body = JSON.parse(text) as { data?: Array<Record<string, unknown>> };
      if (!Array.isArray(body.data)) throw new Error("the Analytics Engine SQL API answered without a data array");
      return edgeFiguresOfRows(body.data);
    },
  };
}

/** The edge source a connection implies: the sandbox's router, or the deployed router's dataset. */
export function edgeSourceOf(connection: Connection, env: Readonly<Record<string, string | undefined>>): EdgeSource | undefined {
  if (connection.registry.kind === "sandbox") return routerEdgeSource(connection.router.url);
  const apiToken = env.CLOUDFLARE_API_TOKEN;
  if (!apiToken) return undefined;
  return analyticsEngineEdgeSource({ accountId: connection.registry.accountId, apiToken, dataset: connection.edge?.dataset ?? DEFAULT_EDGE_DATASET, baseUrl: connection.registry.baseUrl });
}
