import { PATHS, pathOf, problemCode, signatureHeaders, type Cloud, type SigningKey } from "../contract";
import { AdminClient } from "../control/admin-client";
import type { Connection } from "../control/connection";
import { ControlPlane } from "../control/control-plane";
import { failover } from "../control/standby/failover";
import { setUpStandby } from "../control/standby/setup";
import { TOPOLOGY } from "../topology";
import { startNode, tsxArgs } from "./child";
import { formatTable, percentile, round } from "./table";

/**
 * Section 7: cross-cloud standby.
 *
 * The sandbox with its replication consumers runs in a child process (`bench/sandbox-child.ts
 * --standby`): TOPOLOGY's two cells, each tenant with a standby on the other cell (`cellctl
 * standby`'s own code), so both directions replicate at once, as an active-active pair would.
 *
 * - lag: this process writes records at a steady rate to each tenant's primary (signed as the router
 *   signs, open loop: 5 a second per tenant by default; at 20 the Cosmos DB emulator, in the sandbox's
 *   one process, passed its store budget on a shared 2-core machine and most writes were refused) and watches the standby through its admin API (an export of the records not yet seen,
 *   every 50 ms). A write's lag is the moment its version is readable on the standby minus the moment
 *   this client had its 201; both clocks are this machine's. Beside it, the lag each standby reports
 *   itself (`cellctl tenants`: since its last confirmed sweep), sampled every 250 ms.
 * - failover: once a sweep has confirmed afresh, the primary's cell and store go down (the sandbox's control route), then `cellctl
 *   failover`'s code runs; the time to the first write the new owner accepts (signed straight to it,
 *   retried every 50 ms from the moment the failover began) and, within it, the wait for the old
 *   primary's write lease to run out. The lease and the guard are the sandbox's (5 s, and three store
 *   budgets plus 1 s); deployed cells use 150 s / 90 s leases and a guard past the function timeout.
 */

export interface StandbyOptions {
  readonly seconds: number;
  readonly ratePerTenant: number;
  readonly log: (line: string) => void;
}

export interface DirectionStats {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly direction: string;
  readonly writes: number;
  readonly applied: number;
  readonly errors: number;
  /** Ack to readable on the standby, ms. */
  readonly lag: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** The lag the standby reported about itself, ms. */
  readonly reported: { readonly p50: number; readonly p99: number };
  /** From the start of `failover` to the first write the new owner accepted, ms. */
  readonly failoverToFirstWriteMs: number;
  /** Of which the wait for the old primary's write lease (and guard). */
  readonly leaseWaitMs: number;
}

export interface StandbySection {
  readonly setup: string;
  readonly options: Omit<StandbyOptions, "log">;
  readonly timing: Record<string, number>;
  readonly directions: readonly DirectionStats[];
  readonly firstError?: string;
}

interface ChildInfo {
  readonly cells: ReadonlyArray<{ readonly cellId: string; readonly cloud: Cloud; readonly url: string; readonly key: SigningKey }>;
  readonly connection: Connection;
  readonly standbyTiming: Record<string, number>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = { out: () => undefined, err: () => undefined, interactive: false, json: true } as const;

/** Writes one record straight to a cell, signed as the router signs; its status, and the problem's code on a refusal. */
async function put(cell: ChildInfo["cells"][number], tenantId: string, recordId: string, body: string): Promise<{ status: number; problem?: string }> {
  const path = pathOf(PATHS.record, { tenantId, recordId });
  const headers = await signatureHeaders(cell.key, { method: "PUT", path, query: "", cellId: cell.cellId, tenantId, body: new TextEncoder().encode(body) });
  const response = await fetch(`${cell.url}${path}`, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return response.status < 300 ? { status: response.status } : { status: response.status, problem: problemCode(JSON.parse(text || "{}")) ?? "none" };
}

export async function runStandbySection(options: StandbyOptions): Promise<StandbySection> {
  options.log("standby: starting the sandbox with its replication consumers in a child process");
  const child = await startNode<ChildInfo>(tsxArgs("bench/sandbox-child.ts", "--standby"));
  let firstError: string | undefined;
  try {
    const info = child.result;
    const plane = new ControlPlane(info.connection);
    const cellOf = (cellId: string) => info.cells.find((c) => c.cellId === cellId)!;
    const admin = (cellId: string) => new AdminClient({ cellId, url: cellOf(cellId).url, key: info.connection.cells[cellId]!.adminKey });
    const pairs = TOPOLOGY.tenants.map((t) => ({ tenantId: t.tenantId, from: t.cellId, to: TOPOLOGY.cells.find((c) => c.cellId !== t.cellId)!.cellId }));
    for (const p of pairs) {
      const ready = await setUpStandby(plane, quiet, p.tenantId, p.to, { waitMs: 60_000 });
      if (!ready.ready) throw new Error(`the standby of ${p.tenantId} on ${p.to} was not confirmed within 60 s`);
    }
    options.log(`standby: ${pairs.map((p) => `${p.tenantId} ${p.from} -> ${p.to}`).join(", ")} replicating; ${options.ratePerTenant} writes/s per tenant for ${options.seconds} s`);

    const runId = Date.now().toString(36);
    const acked = new Map<string, Map<string, number>>(pairs.map((p) => [p.tenantId, new Map()]));
    const applied = new Map<string, Map<string, number>>(pairs.map((p) => [p.tenantId, new Map()]));
    const reported = new Map<string, number[]>(pairs.map((p) => [p.tenantId, []]));
    const errors = new Map<string, number>(pairs.map((p) => [p.tenantId, 0]));
    const failures = new Map<string, number>();
    let writing = true;
    let deadline = Number.POSITIVE_INFINITY;
    // Watchers: the records acknowledged and not yet seen on the standby, every 50 ms; the standby's own lag report every 250 ms.
    const watchers = pairs.flatMap((p) => [
      (async () => {
        const standby = admin(p.to);
        const pending = () => [...acked.get(p.tenantId)!.keys()].filter((id) => !applied.get(p.tenantId)!.has(id));
        while (writing || pending().length > 0) {
          const ids = pending().slice(0, 50);
          if (ids.length > 0) {
            const seenAt = Date.now();
            for (const item of await standby.exportItems(p.tenantId, ids).catch(() => [])) applied.get(p.tenantId)!.set(item.record_id, seenAt);
          }
          await pause(50);
          if (!writing && Date.now() > deadline) break;
        }
      })(),
      (async () => {
        const standby = admin(p.to);
        while (writing) {
          const lag = (await standby.ownership(p.tenantId).catch(() => undefined))?.details?.replica?.lagMs;
          if (lag !== undefined) reported.get(p.tenantId)!.push(lag);
          await pause(250);
        }
      })(),
    ]);
    const intervalMs = 1000 / options.ratePerTenant;
    const start = performance.now();
    const inFlight: Array<Promise<void>> = [];
    const total = Math.round(options.seconds * options.ratePerTenant);
    for (let n = 0; n < total; n++) {
      const wait = start + n * intervalMs - performance.now();
      if (wait > 0) await pause(wait);
      for (const p of pairs) {
        const recordId = `lag-${runId}-${n}`;
        inFlight.push(
          put(cellOf(p.from), p.tenantId, recordId, JSON.stringify({ data: { n, purpose: "standby lag benchmark" } }))
            .then(({ status, problem }) => {
              if (status !== 201) throw new Error(`PUT ${recordId} of ${p.tenantId} answered ${status} ${problem}`);
              acked.get(p.tenantId)!.set(recordId, Date.now());
            })
            .catch((error: unknown) => {
              const message = error instanceof Error ? error.message : String(error);
              failures.set(message.replace(/PUT \S+ /, ""), (failures.get(message.replace(/PUT \S+ /, "")) ?? 0) + 1);
              firstError ??= message;
              errors.set(p.tenantId, errors.get(p.tenantId)! + 1);
            }),
        );
      }
    }
    await Promise.all(inFlight);
    if (failures.size > 0) options.log(`standby: failed writes: ${JSON.stringify(Object.fromEntries(failures))}`);
    deadline = Date.now() + 30_000;
    writing = false;
    await Promise.all(watchers);

    // Failovers, one direction after the other: the primary's cell and store go down, `failover` runs,
    // a client retries a write on the new owner every 50 ms from the moment the failover began.
    const control = async (cellId: string, verb: "stop" | "start") => {
      const registry = info.connection.registry as { url: string; token: string };
      const response = await fetch(`${registry.url}/sandbox/cells/${cellId}/${verb}`, { method: "POST", headers: { authorization: `Bearer ${registry.token}`, "content-type": "application/json" }, body: JSON.stringify({ store: verb === "stop" }) });
      if (!response.ok) throw new Error(`the sandbox refused to ${verb} ${cellId}: ${response.status}`);
    };
    const failovers = new Map<string, { total: number; leaseWait: number }>();
    for (const p of pairs) {
      // From a steady state: a sweep confirmed after this point (the previous failover stopped the
      // other cell, so this tenant's pushes failed meanwhile and its lease may have run out already).
      const steadyFrom = Date.now();
      for (;;) {
        const heard = (await admin(p.to).ownership(p.tenantId).catch(() => undefined))?.details?.replica?.lastHeardAt;
        if (heard !== undefined && Date.parse(heard) > steadyFrom) break;
        if (Date.now() - steadyFrom > 60_000) throw new Error(`the standby of ${p.tenantId} on ${p.to} heard no sweep within 60 s`);
        await pause(100);
      }
      options.log(`standby: failing ${p.tenantId} over from ${p.from} to ${p.to}`);
      await control(p.from, "stop");
      const began = Date.now();
      const accepted = (async () => {
        for (let i = 0; ; i++) {
          const { status } = await put(cellOf(p.to), p.tenantId, `first-${runId}`, JSON.stringify({ data: { after: "failover" } })).catch(() => ({ status: 0 }));
          if (status === 201) return Date.now();
          if (Date.now() - began > 120_000) throw new Error(`no write accepted on ${p.to} within 120 s`);
          await pause(50);
        }
      })();
      const view = await failover(plane, quiet, p.tenantId, { waitMs: 120_000 });
      failovers.set(p.tenantId, { total: (await accepted) - began, leaseWait: view.waited_ms });
      await control(p.from, "start");
    }

    const directions = pairs.map((p): DirectionStats => {
      const samples = [...applied.get(p.tenantId)!].map(([id, at]) => at - acked.get(p.tenantId)!.get(id)!);
      const own = reported.get(p.tenantId)!;
      const f = failovers.get(p.tenantId)!;
      return {
        tenantId: p.tenantId,
        from: p.from,
        to: p.to,
        direction: `${cellOf(p.from).cloud} ${p.from} -> ${cellOf(p.to).cloud} ${p.to}`,
        writes: acked.get(p.tenantId)!.size,
        applied: applied.get(p.tenantId)!.size,
        errors: errors.get(p.tenantId)!,
        lag: { p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), max: samples.length ? Math.max(...samples) : NaN },
        reported: { p50: percentile(own, 50), p99: percentile(own, 99) },
        failoverToFirstWriteMs: f.total,
        leaseWaitMs: f.leaseWait,
      };
    });
    return {
      setup: "startSandbox({ standby: true }) in a child process (bench/sandbox-child.ts --standby): each tenant of TOPOLOGY with a standby on the other cell; this process writes to the primaries, watches the standbys, and fails each over",
      options: { seconds: options.seconds, ratePerTenant: options.ratePerTenant },
      timing: info.standbyTiming,
      directions,
      ...(firstError ? { firstError } : {}),
    };
  } finally {
    await child.stop();
  }
}

export function formatStandbySection(section: StandbySection): { table: string; summary: string[] } {
  const table = formatTable<DirectionStats>(
    [
      { header: "tenant: primary -> standby", value: (r) => `${r.tenantId}: ${r.direction}`, align: "left" },
      { header: "writes", value: (r) => r.writes },
      { header: "applied", value: (r) => r.applied },
      { header: "errors", value: (r) => r.errors },
      { header: "lag p50 ms", value: (r) => round(r.lag.p50, 0) },
      { header: "p90 ms", value: (r) => round(r.lag.p90, 0) },
      { header: "p99 ms", value: (r) => round(r.lag.p99, 0) },
      { header: "max ms", value: (r) => round(r.lag.max, 0) },
      { header: "reported p50/p99 ms", value: (r) => `${round(r.reported.p50, 0)}/${round(r.reported.p99, 0)}`, align: "right" },
      { header: "failover -> 1st write ms", value: (r) => round(r.failoverToFirstWriteMs, 0) },
      { header: "lease wait ms", value: (r) => round(r.leaseWaitMs, 0) },
    ],
    section.directions,
  );
  const t = section.timing;
  return {
    table,
    summary: [
      `lag = the moment the write's version is readable on the standby (its admin export, polled every 50 ms) - the moment the client had its 201; ${section.options.ratePerTenant} writes/s per tenant for ${section.options.seconds} s, both directions at once. "reported" is the standby's own figure (since its last confirmed sweep, as 'cellctl tenants' shows it).`,
      `failover -> 1st write: from the start of 'cellctl failover' (the primary's cell and store down) to the first write the new owner accepted; most of it is the wait for the old primary's write lease (${t.leaseMs} ms) and guard (${t.guardMs} ms) after its last confirmed sweep (every ${t.sweepMs} ms).`,
      ...(section.firstError ? [`first failed write: ${section.firstError}`] : []),
    ],
  };
}
