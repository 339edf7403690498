import { Headers, signatureHeaders, type Cloud, type SigningKey } from "../contract";
import { TOPOLOGY } from "../topology";
import { startNode, tsxArgs } from "./child";
import { formatRouterBreakdown, runRouterBreakdown, type OpResult } from "./router-breakdown";
import { formatTable, mean, percentile, round } from "./table";

/**
 * Section 3: what the edge router adds over calling the cell directly, on this machine. The local
 * sandbox (`startSandbox` from `sandbox/sandbox.ts`: every cell of `TOPOLOGY` with its store emulator
 * and real composition root behind a loopback HTTP host, and the bundled Worker in workerd on a socket
 * of its own in front) runs in a child process (`bench/sandbox-child.ts`), so this process is only the
 * client and does not share its event loop with the cells. It serves every path:
 *
 * - router: `GET <routerUrl>/api/tenants/<tenant>/records/<id>` with the tenant's bearer token from the
 *   sandbox's issuer; the Worker verifies the token (ES256, key set cached in the isolate), resolves
 *   the tenant (registry cached in the isolate), signs for the cell and forwards;
 * - router, auth off: the same through a second router with `AUTH_MODE=none` in front of the same
 *   cells, so the difference is what client authentication costs;
 * - router through Miniflare's development proxy: a third router with auth, reached through
 *   Miniflare's entry worker rather than its own socket (how the sandbox served it before; Cloudflare's
 *   edge has no such proxy), so the difference is what that proxy costs;
 * - direct: the same GET straight to the cell's URL, signed by this client with the cell's key
 *   (`signatureHeaders`). So the direct path pays the signing in the client (timed into its latency),
 *   the router path pays it in the Worker.
 *
 * Every path reads the same record and gets the same answer from the same cell. Latency: sequential
 * requests, in blocks whose path order rotates, so drift on a shared machine hits all of them.
 * Throughput: a fixed number of requests with a fixed number in flight, in rotating blocks. HTTP is
 * Node's global fetch (undici), keep-alive. Then `bench/router-breakdown.ts` times the router's own
 * operations inside workerd, to say where the time goes.
 */

export interface RouterOptions {
  /** Sequential requests per path per cell. */
  readonly requests: number;
  /** Warm-up requests per path per cell, not measured. */
  readonly warmup: number;
  /** Requests in flight in the throughput runs. */
  readonly concurrency: number;
  /** Requests per path per cell in the throughput runs. */
  readonly throughputRequests: number;
  /** Sequential requests per block before switching paths. */
  readonly blockSize: number;
  readonly log: (line: string) => void;
}

export interface LatencyStats {
  readonly n: number;
  readonly errors: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export interface ThroughputStats {
  readonly n: number;
  readonly errors: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * The ways a request reaches the cell: through the router with a token, through a router without
 * auth, through the router with a token but via Miniflare's development proxy (what the sandbox served
 * before; not part of Cloudflare's edge), through a Worker that only forwards (the floor of any Worker
 * in front of the cell), straight to the cell.
 */
export const PATHS = ["router", "open", "devproxy", "passthrough", "direct"] as const;
export type BenchPath = (typeof PATHS)[number];

export interface RouterCellResult {
  readonly cellId: string;
  readonly cloud: string;
  readonly tenantId: string;
  readonly path: string;
  readonly sequential: Readonly<Record<BenchPath, LatencyStats>>;
  readonly concurrent: Readonly<Record<BenchPath, ThroughputStats>>;
  /** router (auth on) / direct. */
  readonly ratios: { readonly p50: number; readonly p99: number; readonly throughput: number };
  /** router (auth on) - direct, ms. */
  readonly addedMs: { readonly p50: number; readonly p90: number; readonly p99: number };
  /** router with auth off - direct, ms, and its throughput ratio. */
  readonly openAddedMs: { readonly p50: number; readonly p99: number; readonly throughputRatio: number };
  /** router with auth, through Miniflare's development proxy - direct, ms, and its throughput ratio. */
  readonly devProxyAddedMs: { readonly p50: number; readonly p99: number; readonly throughputRatio: number };
  /** a Worker that only forwards - direct, ms, and its throughput ratio: the hop's own cost. */
  readonly passThroughAddedMs: { readonly p50: number; readonly p99: number; readonly throughputRatio: number };
}

export interface RouterSection {
  readonly setup: string;
  readonly options: Omit<RouterOptions, "log">;
  /** Mean cost of `signatureHeaders` for an empty-body GET in this client, µs (paid inside the direct path's latency). */
  readonly clientSigningUs: number;
  readonly cells: readonly RouterCellResult[];
  /** The first failed request's error, if any failed (the tables count failures in "errors"). */
  readonly firstError?: string;
  /** What each of the router's operations costs inside workerd (`bench/router-breakdown.ts`). */
  readonly breakdown: readonly OpResult[];
}

/** One request; resolves to its latency in ms, or throws when the answer is not the expected 200 from `cellId`. */
type Call = () => Promise<number>;

const EMPTY = new Uint8Array();

async function timed(send: () => Promise<Response>, cellId: string): Promise<number> {
  const start = performance.now();
  const response = await send();
  await response.arrayBuffer();
  const ms = performance.now() - start;
  if (response.status !== 200 || response.headers.get(Headers.cellId) !== cellId) {
    throw new Error(`expected 200 from ${cellId}, got ${response.status} from ${response.headers.get(Headers.cellId) ?? "?"}`);
  }
  return ms;
}

function stats(samples: readonly number[], errors: number): LatencyStats {
  return {
    n: samples.length,
    errors,
    p50: percentile(samples, 50),
    p90: percentile(samples, 90),
    p99: percentile(samples, 99),
    mean: mean(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** The first failed request's message, kept for the report (failures are counted, not timed). */
let firstError: string | undefined;
const noteError = (error: unknown) => {
  firstError ??= error instanceof Error ? error.message : String(error);
};

/** `count` sequential calls; returns the number that failed. */
async function sequential(call: Call, count: number, into: number[]): Promise<number> {
  let errors = 0;
  for (let i = 0; i < count; i++) {
    try {
      into.push(await call());
    } catch (error) {
      noteError(error);
      errors++;
    }
  }
  return errors;
}

/** `count` calls with `concurrency` in flight; returns the elapsed ms. */
async function concurrent(call: Call, count: number, concurrency: number, into: number[]): Promise<{ ms: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        into.push(await call());
      } catch (error) {
        noteError(error);
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { ms: performance.now() - start, errors };
}

/** Splits `total` into blocks of about `size`. */
const blocks = (total: number, size: number): number[] => {
  const out: number[] = [];
  for (let left = total; left > 0; left -= size) out.push(Math.min(size, left));
  return out;
};

/** What `bench/sandbox-child.ts` reports: the parts of `Sandbox` a client needs. */
interface SandboxInfo {
  readonly routerUrl: string;
  /** The router with `AUTH_MODE=none` in front of the same cells. */
  readonly openRouterUrl: string;
  /** A router with auth, reached through Miniflare's development proxy. */
  readonly devProxyRouterUrl: string;
  /** A Worker that forwards to `x-bench-target` and does nothing else. */
  readonly passThroughUrl: string;
  readonly cells: ReadonlyArray<{ readonly cellId: string; readonly cloud: Cloud; readonly url: string; readonly key: SigningKey }>;
  /** Tenant id -> bearer token. */
  readonly tokens: Readonly<Record<string, string>>;
}

export async function runRouterSection(options: RouterOptions): Promise<RouterSection> {
  options.log("router: starting the sandbox in a child process (emulators, cells, workerd)");
  const child = await startNode<SandboxInfo>(tsxArgs("bench/sandbox-child.ts"));
  const sandbox = child.result;
  try {
    // The client's signing cost alone (after a warm-up), for the reader to weigh the direct path's latency.
    const anyCell = sandbox.cells[0]!;
    const sign = () => signatureHeaders(anyCell.key, { method: "GET", path: "/api/tenants/T-100/records/bench", query: "", cellId: anyCell.cellId, tenantId: "T-100", body: EMPTY });
    for (let i = 0; i < 200; i++) await sign();
    const signRuns = 2000;
    const signStart = performance.now();
    for (let i = 0; i < signRuns; i++) await sign();
    const clientSigningUs = ((performance.now() - signStart) / signRuns) * 1000;

    const results: RouterCellResult[] = [];
    for (const tenant of TOPOLOGY.tenants) {
      const cell = sandbox.cells.find((c) => c.cellId === tenant.cellId);
      if (!cell) throw new Error(`the sandbox runs no cell '${tenant.cellId}' for tenant ${tenant.tenantId}`);
      const path = `/api/tenants/${encodeURIComponent(tenant.tenantId)}/records/bench-record`;

      const token = sandbox.tokens[tenant.tenantId];
      if (token === undefined) throw new Error(`the sandbox issued no token for ${tenant.tenantId}`);
      const authorization = `Bearer ${token}`;
      const put = await fetch(`${sandbox.routerUrl}${path}`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({ data: { purpose: "router overhead benchmark", cell: cell.cellId, n: 42 } }),
      });
      const putBody = await put.text();
      if (put.status !== 200 && put.status !== 201) throw new Error(`creating the record for ${tenant.tenantId} failed: ${put.status} ${putBody}`);

      const key: SigningKey = cell.key;
      const viaRouter: Call = () => timed(() => fetch(`${sandbox.routerUrl}${path}`, { headers: { authorization } }), cell.cellId);
      const viaOpenRouter: Call = () => timed(() => fetch(`${sandbox.openRouterUrl}${path}`), cell.cellId);
      const viaDevProxy: Call = () => timed(() => fetch(`${sandbox.devProxyRouterUrl}${path}`, { headers: { authorization } }), cell.cellId);
      const direct: Call = () =>
        timed(async () => {
          const headers = await signatureHeaders(key, { method: "GET", path, query: "", cellId: cell.cellId, tenantId: tenant.tenantId, body: EMPTY });
          return fetch(`${cell.url}${path}`, { headers });
        }, cell.cellId);

      options.log(`router: ${tenant.tenantId} -> ${cell.cellId} (${cell.cloud}): warm-up`);
      const viaPassThrough: Call = () =>
        timed(async () => {
          const headers = await signatureHeaders(key, { method: "GET", path, query: "", cellId: cell.cellId, tenantId: tenant.tenantId, body: EMPTY });
          return fetch(`${sandbox.passThroughUrl}${path}`, { headers: { ...headers, "x-bench-target": cell.url } });
        }, cell.cellId);
      const calls: Record<BenchPath, Call> = { router: viaRouter, open: viaOpenRouter, devproxy: viaDevProxy, passthrough: viaPassThrough, direct };
      const discard: number[] = [];
      for (const size of blocks(options.warmup, options.blockSize)) {
        for (const which of PATHS) await sequential(calls[which], size, discard);
      }

      // Each block runs every path; the order rotates block by block, so drift on a shared machine hits all three.
      const rotated = (i: number): BenchPath[] => [...PATHS.slice(i % PATHS.length), ...PATHS.slice(0, i % PATHS.length)];
      options.log(`router: ${tenant.tenantId}: ${options.requests} sequential GETs each way`);
      const seq: Record<BenchPath, number[]> = { router: [], open: [], devproxy: [], passthrough: [], direct: [] };
      const seqErrors: Record<BenchPath, number> = { router: 0, open: 0, devproxy: 0, passthrough: 0, direct: 0 };
      for (const [i, size] of blocks(options.requests, options.blockSize).entries()) {
        for (const which of rotated(i)) seqErrors[which] += await sequential(calls[which], size, seq[which]);
      }

      options.log(`router: ${tenant.tenantId}: ${options.throughputRequests} GETs each way, ${options.concurrency} in flight`);
      const load: Record<BenchPath, number[]> = { router: [], open: [], devproxy: [], passthrough: [], direct: [] };
      const loadMs: Record<BenchPath, number> = { router: 0, open: 0, devproxy: 0, passthrough: 0, direct: 0 };
      const loadErrors: Record<BenchPath, number> = { router: 0, open: 0, devproxy: 0, passthrough: 0, direct: 0 };
      for (const [i, size] of blocks(options.throughputRequests, Math.ceil(options.throughputRequests / PATHS.length)).entries()) {
        for (const which of rotated(i)) {
          const run = await concurrent(calls[which], size, options.concurrency, load[which]);
          loadMs[which] += run.ms;
          loadErrors[which] += run.errors;
        }
      }
      const throughput = (which: BenchPath): ThroughputStats => ({
        n: load[which].length + loadErrors[which],
        errors: loadErrors[which],
        concurrency: options.concurrency,
        seconds: loadMs[which] / 1000,
        reqPerSec: (load[which].length + loadErrors[which]) / (loadMs[which] / 1000),
        p50: percentile(load[which], 50),
        p99: percentile(load[which], 99),
      });

      const router = stats(seq.router, seqErrors.router);
      const openStats = stats(seq.open, seqErrors.open);
      const devProxyStats = stats(seq.devproxy, seqErrors.devproxy);
      const passThroughStats = stats(seq.passthrough, seqErrors.passthrough);
      const directStats = stats(seq.direct, seqErrors.direct);
      const concurrentResult = {
        router: throughput("router"),
        open: throughput("open"),
        devproxy: throughput("devproxy"),
        passthrough: throughput("passthrough"),
        direct: throughput("direct"),
      };
      results.push({
        cellId: cell.cellId,
        cloud: cell.cloud,
        tenantId: tenant.tenantId,
        path,
        sequential: { router, open: openStats, devproxy: devProxyStats, passthrough: passThroughStats, direct: directStats },
        concurrent: concurrentResult,
        ratios: { p50: router.p50 / directStats.p50, p99: router.p99 / directStats.p99, throughput: concurrentResult.router.reqPerSec / concurrentResult.direct.reqPerSec },
        addedMs: { p50: router.p50 - directStats.p50, p90: router.p90 - directStats.p90, p99: router.p99 - directStats.p99 },
        openAddedMs: { p50: openStats.p50 - directStats.p50, p99: openStats.p99 - directStats.p99, throughputRatio: concurrentResult.open.reqPerSec / concurrentResult.direct.reqPerSec },
        devProxyAddedMs: {
          p50: devProxyStats.p50 - directStats.p50,
          p99: devProxyStats.p99 - directStats.p99,
          throughputRatio: concurrentResult.devproxy.reqPerSec / concurrentResult.direct.reqPerSec,
        },
        passThroughAddedMs: {
          p50: passThroughStats.p50 - directStats.p50,
          p99: passThroughStats.p99 - directStats.p99,
          throughputRatio: concurrentResult.passthrough.reqPerSec / concurrentResult.direct.reqPerSec,
        },
      });
    }
    await child.stop();
    const breakdown = await runRouterBreakdown(options.log);
    const { log: _log, ...rest } = options;
    return {
      breakdown,
      setup:
        "startSandbox({ routerPort: 0 }) from sandbox/sandbox.ts in a child process: TOPOLOGY's cells on DynamoDB Local / cosmosdb-server, the router bundle in workerd (Miniflare) verifying the sandbox issuer's ES256 tokens, plus a second router with AUTH_MODE=none in front of the same cells; this process is the client",
      options: rest,
      clientSigningUs,
      cells: results,
      firstError,
    };
  } finally {
    await child.stop();
  }
}

const signed = (ms: number): string => `${ms >= 0 ? "+" : "-"}${Math.abs(round(ms, 2)).toFixed(2)}`;

export function formatRouterSection(section: RouterSection): { table: string; summary: string[] } {
  type Line = { cell: RouterCellResult; path: BenchPath };
  const lines: Line[] = section.cells.flatMap((cell) => PATHS.map((path) => ({ cell, path })));
  const label: Record<BenchPath, string> = {
    router: "via router, token verified",
    open: "via router, auth off",
    devproxy: "via Miniflare's dev proxy, token",
    passthrough: "via a forward-only Worker",
    direct: "direct, client-signed",
  };
  const table = formatTable<Line>(
    [
      { header: "tenant -> cell", value: ({ cell }) => `${cell.tenantId} -> ${cell.cellId} (${cell.cloud})`, align: "left" },
      { header: "path", value: ({ path }) => label[path], align: "left" },
      { header: "n", value: ({ cell, path }) => cell.sequential[path].n },
      { header: "p50 ms", value: ({ cell, path }) => round(cell.sequential[path].p50, 2) },
      { header: "p90 ms", value: ({ cell, path }) => round(cell.sequential[path].p90, 2) },
      { header: "p99 ms", value: ({ cell, path }) => round(cell.sequential[path].p99, 2) },
      { header: "mean ms", value: ({ cell, path }) => round(cell.sequential[path].mean, 2) },
      { header: `req/s @${section.options.concurrency}`, value: ({ cell, path }) => round(cell.concurrent[path].reqPerSec, 0) },
      { header: "p50/p99 under load", value: ({ cell, path }) => `${round(cell.concurrent[path].p50, 1)}/${round(cell.concurrent[path].p99, 1)}`, align: "right" },
      { header: "errors", value: ({ cell, path }) => cell.sequential[path].errors + cell.concurrent[path].errors },
      {
        header: "vs direct",
        value: ({ cell, path }) =>
          path === "router"
            ? `${signed(cell.addedMs.p50)} ms p50, tput ${round(cell.ratios.throughput, 2)}x`
            : path === "open"
              ? `${signed(cell.openAddedMs.p50)} ms p50, tput ${round(cell.openAddedMs.throughputRatio, 2)}x`
              : path === "devproxy"
                ? `${signed(cell.devProxyAddedMs.p50)} ms p50, tput ${round(cell.devProxyAddedMs.throughputRatio, 2)}x`
                : path === "passthrough"
                  ? `${signed(cell.passThroughAddedMs.p50)} ms p50, tput ${round(cell.passThroughAddedMs.throughputRatio, 2)}x`
                  : undefined,
        align: "left",
      },
    ],
    lines,
  );
  const o = section.options;
  const byOp = Object.fromEntries(section.breakdown.map((r) => [r.op, r.usPerOp]));
  const us = (op: string) => `${round(byOp[op] ?? NaN, 0)} µs`;
  const summary = [
    "",
    formatRouterBreakdown(section.breakdown),
    `Inside workerd the routing logic costs ${us("route-auth-off")} a request with auth off and ${us("route-auth-on-remembered")} with a remembered token (${us("route-auth-on")} when every request verifies its ES256 token; RS256 verifies in ${us("verify-rs256")}); signing ${us("sign-headers")}, of which the HMAC key import ${us("hmac-import-key")}. The rest of the overhead is the extra loopback hop and workerd's HTTP handling (the forward-only row), and Miniflare's development proxy where it is in the path (the dev-proxy row).`,
    "",
    `${o.requests} sequential GETs per path per cell after ${o.warmup} warm-up each, in rotating blocks of ${o.blockSize}; throughput: ${o.throughputRequests} GETs per path, ${o.concurrency} in flight, ${PATHS.length} rotating blocks. Keep-alive fetch on loopback.`,
    `The direct path signs in this client (signatureHeaders: ${round(section.clientSigningUs, 0)} µs a request, inside its latency); the router paths sign in the Worker. All paths end in the same cell and store emulator.`,
    ...(section.firstError ? [`first failed request: ${section.firstError}`] : []),
    ...section.cells.map(
      (c) =>
        `router: ${c.tenantId} -> ${c.cellId} (${c.cloud}): auth on ${signed(c.addedMs.p50)} ms at p50, ${signed(c.addedMs.p99)} ms at p99 (${round(c.ratios.p50, 2)}x / ${round(c.ratios.p99, 2)}x direct), ` +
        `throughput ${round(c.concurrent.router.reqPerSec, 0)} vs ${round(c.concurrent.direct.reqPerSec, 0)} req/s (${round(c.ratios.throughput, 2)}x); ` +
        `auth off ${signed(c.openAddedMs.p50)} ms at p50, ${signed(c.openAddedMs.p99)} ms at p99, throughput ${round(c.openAddedMs.throughputRatio, 2)}x; ` +
        `through Miniflare's dev proxy ${signed(c.devProxyAddedMs.p50)} ms at p50; a forward-only Worker ${signed(c.passThroughAddedMs.p50)} ms at p50`,
    ),
  ];
  return { table, summary };
}
