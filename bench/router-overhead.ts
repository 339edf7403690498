import { Headers, signatureHeaders, type Cloud, type SigningKey } from "../contract";
import { TOPOLOGY } from "../topology";
import { startNode, tsxArgs } from "./child";
import { formatTable, mean, percentile, round } from "./table";

/**
 * Section 3: what the edge router adds over calling the cell directly, on this machine. The local
 * sandbox (`startSandbox` from `sandbox/sandbox.ts`: every cell of `TOPOLOGY` with its store emulator
 * and real composition root behind a loopback HTTP host, and the bundled Worker in workerd through
 * Miniflare in front) runs in a child process (`bench/sandbox-child.ts`), so this process is only the
 * client and does not share its event loop with the cells. It serves both paths:
 *
 * - router: `GET <routerUrl>/api/tenants/<tenant>/records/<id>`, unsigned; the Worker resolves the
 *   tenant (registry cached in the isolate), signs for the cell and forwards;
 * - direct: the same GET straight to the cell's URL, signed by this client with the cell's key
 *   (`signatureHeaders`). So the direct path pays the signing in the client (timed into its latency),
 *   the router path pays it in the Worker.
 *
 * Both paths read the same record and get the same answer from the same cell. Latency: sequential
 * requests, in blocks that alternate which path goes first (ABBA), so drift on a shared machine hits
 * both. Throughput: a fixed number of requests with a fixed number in flight, in alternating blocks.
 * HTTP is Node's global fetch (undici), keep-alive.
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

export interface RouterCellResult {
  readonly cellId: string;
  readonly cloud: string;
  readonly tenantId: string;
  readonly path: string;
  readonly sequential: { readonly router: LatencyStats; readonly direct: LatencyStats };
  readonly concurrent: { readonly router: ThroughputStats; readonly direct: ThroughputStats };
  /** router / direct. */
  readonly ratios: { readonly p50: number; readonly p99: number; readonly throughput: number };
  /** router - direct, ms. */
  readonly addedMs: { readonly p50: number; readonly p90: number; readonly p99: number };
}

export interface RouterSection {
  readonly setup: string;
  readonly options: Omit<RouterOptions, "log">;
  /** Mean cost of `signatureHeaders` for an empty-body GET in this client, µs (paid inside the direct path's latency). */
  readonly clientSigningUs: number;
  readonly cells: readonly RouterCellResult[];
  /** The first failed request's error, if any failed (the tables count failures in "errors"). */
  readonly firstError?: string;
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
  readonly cells: ReadonlyArray<{ readonly cellId: string; readonly cloud: Cloud; readonly url: string; readonly key: SigningKey }>;
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

      const put = await fetch(`${sandbox.routerUrl}${path}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: { purpose: "router overhead benchmark", cell: cell.cellId, n: 42 } }),
      });
      const putBody = await put.text();
      if (put.status !== 200 && put.status !== 201) throw new Error(`creating the record for ${tenant.tenantId} failed: ${put.status} ${putBody}`);

      const key: SigningKey = cell.key;
      const viaRouter: Call = () => timed(() => fetch(`${sandbox.routerUrl}${path}`), cell.cellId);
      const direct: Call = () =>
        timed(async () => {
          const headers = await signatureHeaders(key, { method: "GET", path, query: "", cellId: cell.cellId, tenantId: tenant.tenantId, body: EMPTY });
          return fetch(`${cell.url}${path}`, { headers });
        }, cell.cellId);

      options.log(`router: ${tenant.tenantId} -> ${cell.cellId} (${cell.cloud}): warm-up`);
      const discard: number[] = [];
      for (const size of blocks(options.warmup, options.blockSize)) {
        await sequential(viaRouter, size, discard);
        await sequential(direct, size, discard);
      }

      options.log(`router: ${tenant.tenantId}: ${options.requests} sequential GETs each way`);
      const seq = { router: [] as number[], direct: [] as number[] };
      const seqErrors = { router: 0, direct: 0 };
      for (const [i, size] of blocks(options.requests, options.blockSize).entries()) {
        // ABBA: router first in even blocks, direct first in odd ones.
        const order: Array<"router" | "direct"> = i % 2 === 0 ? ["router", "direct"] : ["direct", "router"];
        for (const which of order) seqErrors[which] += await sequential(which === "router" ? viaRouter : direct, size, seq[which]);
      }

      options.log(`router: ${tenant.tenantId}: ${options.throughputRequests} GETs each way, ${options.concurrency} in flight`);
      const load = { router: [] as number[], direct: [] as number[] };
      const loadMs = { router: 0, direct: 0 };
      const loadErrors = { router: 0, direct: 0 };
      for (const [i, size] of blocks(options.throughputRequests, Math.ceil(options.throughputRequests / 4)).entries()) {
        const order: Array<"router" | "direct"> = i % 2 === 0 ? ["router", "direct"] : ["direct", "router"];
        for (const which of order) {
          const run = await concurrent(which === "router" ? viaRouter : direct, size, options.concurrency, load[which]);
          loadMs[which] += run.ms;
          loadErrors[which] += run.errors;
        }
      }
      const throughput = (which: "router" | "direct"): ThroughputStats => ({
        n: load[which].length + loadErrors[which],
        errors: loadErrors[which],
        concurrency: options.concurrency,
        seconds: loadMs[which] / 1000,
        reqPerSec: (load[which].length + loadErrors[which]) / (loadMs[which] / 1000),
        p50: percentile(load[which], 50),
        p99: percentile(load[which], 99),
      });

      const router = stats(seq.router, seqErrors.router);
      const directStats = stats(seq.direct, seqErrors.direct);
      const concurrentResult = { router: throughput("router"), direct: throughput("direct") };
      results.push({
        cellId: cell.cellId,
        cloud: cell.cloud,
        tenantId: tenant.tenantId,
        path,
        sequential: { router, direct: directStats },
        concurrent: concurrentResult,
        ratios: { p50: router.p50 / directStats.p50, p99: router.p99 / directStats.p99, throughput: concurrentResult.router.reqPerSec / concurrentResult.direct.reqPerSec },
        addedMs: { p50: router.p50 - directStats.p50, p90: router.p90 - directStats.p90, p99: router.p99 - directStats.p99 },
      });
    }
    const { log: _log, ...rest } = options;
    return {
      setup: "startSandbox({ routerPort: 0 }) from sandbox/sandbox.ts in a child process: TOPOLOGY's cells on DynamoDB Local / cosmosdb-server, the router bundle in workerd (Miniflare); this process is the client",
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
  type Line = { cell: RouterCellResult; path: "router" | "direct" };
  const lines: Line[] = section.cells.flatMap((cell) => [
    { cell, path: "router" as const },
    { cell, path: "direct" as const },
  ]);
  const table = formatTable<Line>(
    [
      { header: "tenant -> cell", value: ({ cell }) => `${cell.tenantId} -> ${cell.cellId} (${cell.cloud})`, align: "left" },
      { header: "path", value: ({ path }) => (path === "router" ? "via router" : "direct, client-signed"), align: "left" },
      { header: "n", value: ({ cell, path }) => cell.sequential[path].n },
      { header: "p50 ms", value: ({ cell, path }) => round(cell.sequential[path].p50, 2) },
      { header: "p90 ms", value: ({ cell, path }) => round(cell.sequential[path].p90, 2) },
      { header: "p99 ms", value: ({ cell, path }) => round(cell.sequential[path].p99, 2) },
      { header: "mean ms", value: ({ cell, path }) => round(cell.sequential[path].mean, 2) },
      { header: `req/s @${section.options.concurrency}`, value: ({ cell, path }) => round(cell.concurrent[path].reqPerSec, 0) },
      { header: "p50/p99 under load", value: ({ cell, path }) => `${round(cell.concurrent[path].p50, 1)}/${round(cell.concurrent[path].p99, 1)}`, align: "right" },
      { header: "errors", value: ({ cell, path }) => cell.sequential[path].errors + cell.concurrent[path].errors },
      { header: "router/direct", value: ({ cell, path }) => (path === "router" ? `p50 ${round(cell.ratios.p50, 2)}x p99 ${round(cell.ratios.p99, 2)}x tput ${round(cell.ratios.throughput, 2)}x` : undefined), align: "left" },
    ],
    lines,
  );
  const o = section.options;
  const summary = [
    `${o.requests} sequential GETs per path per cell after ${o.warmup} warm-up each, in alternating blocks of ${o.blockSize}; throughput: ${o.throughputRequests} GETs per path, ${o.concurrency} in flight, 4 alternating blocks. Keep-alive fetch on loopback.`,
    `The direct path signs in this client (signatureHeaders: ${round(section.clientSigningUs, 0)} µs a request, inside its latency); the router path signs in the Worker. Both paths end in the same cell and store emulator.`,
    ...(section.firstError ? [`first failed request: ${section.firstError}`] : []),
    ...section.cells.map(
      (c) =>
        `router: ${c.tenantId} -> ${c.cellId} (${c.cloud}): ${signed(c.addedMs.p50)} ms at p50, ${signed(c.addedMs.p99)} ms at p99 (${round(c.ratios.p50, 2)}x / ${round(c.ratios.p99, 2)}x direct); ` +
        `throughput ${round(c.concurrent.router.reqPerSec, 0)} vs ${round(c.concurrent.direct.reqPerSec, 0)} req/s (${round(c.ratios.throughput, 2)}x)`,
    ),
  ];
  return { table, summary };
}
