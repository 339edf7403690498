import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ReplicationSender, type CellHandler } from "../cells/core";
import { PATHS, buildRegistryEntries, pathOf, problemCode } from "../contract";
import type { Connection } from "../control/connection";
import { ControlPlane } from "../control/control-plane";
import { joinTenants, type CellReport } from "../control/commands/status";
import type { RegistryStore } from "../control/registry/port";
import { failover } from "../control/standby/failover";
import { reconcile } from "../control/standby/reconcile";
import { dropStandby, setUpStandby } from "../control/standby/setup";
import { JournalStore } from "../control/moves/journal";
import { NO_STANDBY, cellctlActions, failoverToStandbys } from "../control/watch/actions";
import { coreCell } from "./support/core-cell";
import { signed } from "./support/signing";

/**
 * The control plane's standby commands on two core cells (in-memory stores) reached through a fetch
 * that calls their handlers, with a short lease: fast and exact. What it checks that the sandbox
 * test cannot pin down: reconcile's statuses (applicable, conflict, in sync) and `--apply` never
 * writing over a record the new owner changed; failover refused while the primary answers; dropping a
 * standby; the lag flags of `cellctl tenants`.
 */

const LEASE_MS = 300;
const GUARD_MS = 100;
const quiet = { out: () => undefined, err: () => undefined, interactive: false, json: true } as const;

class MemoryRegistry implements RegistryStore {
  readonly description = "a test registry";
  readonly kv = new Map<string, string>();
  async get(key: string) {
    return this.kv.get(key);
  }
  async put(key: string, value: string) {
    this.kv.set(key, value);
  }
  async delete(key: string) {
    this.kv.delete(key);
  }
  async list(prefix: string) {
    return [...this.kv.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

function system(tenants: readonly string[] = ["T-1"]) {
  const alpha = coreCell({ cellId: "alpha", cloud: "aws" });
  const beta = coreCell({ cellId: "beta", cloud: "azure" });
  const down = new Set<string>();
  const hosts: Record<string, CellHandler> = { "alpha.test": alpha.handler, "beta.test": beta.handler };
  const fetchTo = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    if (down.has(url.host)) throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const body = init?.body instanceof Uint8Array ? init.body : new TextEncoder().encode(String(init?.body ?? ""));
    const answer = await hosts[url.host]!({ method: init?.method ?? "GET", path: url.pathname, query: url.search.slice(1), headers, body });
    return new Response(answer.body || null, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
  const registry = new MemoryRegistry();
  for (const record of buildRegistryEntries(
    [
      { cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://alpha.test" },
      { cellId: "beta", cloud: "azure", region: "eastus", url: "https://beta.test" },
    ],
    tenants.map((tenantId) => ({ tenantId, cellId: "alpha" })),
  )) {
    registry.kv.set(record.key, record.value);
  }
  const connection: Connection = {
    v: 1,
    kind: "cloud",
    router: { url: "https://router.test" },
    registry: { kind: "sandbox", url: "https://registry.test", token: "t" },
    cells: { alpha: { url: "https://alpha.test", adminKey: alpha.adminKey }, beta: { url: "https://beta.test", adminKey: beta.adminKey } },
  };
  const plane = new ControlPlane(connection, { store: registry, admin: { fetch: fetchTo } });
  const sender = new ReplicationSender({ cellId: "alpha", store: alpha.store, clock: { now: Date.now }, logger: alpha.deps.logger, fetch: fetchTo, timing: { leaseMs: LEASE_MS, guardMs: GUARD_MS, scanMarginMs: 2_000 } });
  let sweeping: NodeJS.Timeout | undefined;
  const sweeps = { start: () => (sweeping = setInterval(() => void sender.sweep(), 40)), stop: () => clearInterval(sweeping) };
  const put = async (cell: typeof alpha, recordId: string, data: unknown, expected?: number) => {
    const path = pathOf(PATHS.record, { tenantId: "T-1", recordId });
    const text = JSON.stringify({ data, ...(expected === undefined ? {} : { expected_version: expected }) });
    const spec = await signed({ method: "PUT", path, body: text }, { tenantId: "T-1", cellId: cell.deps.config.cellId, key: cell.key });
    const answer = await cell.handler({ method: "PUT", path, query: "", headers: Object.fromEntries(Object.entries(spec.headers!).map(([k, v]) => [k.toLowerCase(), v])), body: new TextEncoder().encode(text) });
    return { status: answer.status, json: JSON.parse(answer.body) };
  };
  return { alpha, beta, down, plane, registry, sweeps, put };
}

test("a failover after lost writes: reconcile lists them, applies what the new owner left alone, never what it changed, and knows what is in sync", async () => {
  const s = system();
  await s.alpha.activate("T-1");
  s.sweeps.start();
  try {
    expect((await s.put(s.alpha, "x", { v: 1 })).status).toBe(201);
    expect((await s.put(s.alpha, "y", { v: 1 })).status).toBe(201);
    const ready = await setUpStandby(s.plane, quiet, "T-1", "beta", { waitMs: 5_000 });
    expect(ready).toEqual(expect.objectContaining({ ready: true, records_copied: 2 }));

    // Refused while the primary answers: a reachable primary is moved, not failed over.
    await expect(failover(s.plane, quiet, "T-1", { waitMs: 5_000 })).rejects.toThrow(/alpha answers and serves 'T-1'/);
  } finally {
    s.sweeps.stop();
  }
  // The replication consumer is gone (no sweeps, no fast path): two writes commit on alpha and never reach beta.
  expect((await s.put(s.alpha, "x", { v: 2 }, 1)).status).toBe(200);
  expect((await s.put(s.alpha, "y", { v: 2 }, 1)).status).toBe(200);
  s.down.add("alpha.test");

  const view = await failover(s.plane, quiet, "T-1", { waitMs: 5_000 });
  expect(view).toEqual(expect.objectContaining({ from: "alpha", to: "beta", epoch: 2, old_primary: "unreachable" }));
  expect(view.waited_ms).toBeGreaterThan(0);
  expect(JSON.parse(s.registry.kv.get("tenant:T-1")!)).toEqual(expect.objectContaining({ cellId: "beta", epoch: 2 }));
  // The old primary's lease has run out: it takes no write, even from a client that still reaches it.
  const late = await s.put(s.alpha, "z", { v: 1 });
  expect([late.status, problemCode(late.json)]).toEqual([503, "tenant_unavailable"]);
  expect((await s.put(s.beta, "y", { v: "beta" }, 1)).status).toBe(200);
  await expect(reconcile(s.plane, "T-1", { apply: false })).rejects.toThrow(/alpha, the old primary of 'T-1', cannot be reached/);

  s.down.delete("alpha.test");
  const listed = await reconcile(s.plane, "T-1", { apply: false });
  expect(listed.old_primary).toEqual({ cell_id: "alpha", state: "moved" }); // fenced before anything else
  expect(listed.records.map((r) => [r.record_id, r.lost_versions, r.version_at_failover, r.status])).toEqual([
    ["x", [2], 1, "applicable"],
    ["y", [2], 1, "conflict"],
  ]);
  expect(listed.records[0]!.primary).toEqual(expect.objectContaining({ version: 2, deleted: false, data: { v: 2 } }));

  await expect(reconcile(s.plane, "T-1", { apply: true, ids: ["nope"] })).rejects.toThrow(/no lost changes of 'nope'/);
  const applied = await reconcile(s.plane, "T-1", { apply: true, ids: ["x", "y"] });
  expect(applied.records.map((r) => [r.record_id, r.status, r.applied_version ?? null])).toEqual([
    ["x", "applied", 2],
    ["y", "conflict", null],
  ]);
  expect(applied.records[1]!.note).toMatch(/not applied; merge it by hand/);
  expect(await s.beta.store.getItem("T-1", "x")).toEqual(expect.objectContaining({ version: 2, data: { v: 2 }, committedBy: "beta" }));
  expect(await s.beta.store.getItem("T-1", "y")).toEqual(expect.objectContaining({ version: 2, data: { v: "beta" } }));
  const again = await reconcile(s.plane, "T-1", { apply: true });
  expect(again.records.map((r) => [r.record_id, r.status])).toEqual([
    ["x", "in_sync"],
    ["y", "conflict"],
  ]);
  expect(again.summary).toEqual({ records: 2, lost_changes: 2, applicable: 0, conflicts: 1, in_sync: 1, applied: 0 });
});

test("the watch's failover action promotes the standby of each of a down cell's tenants, names those without one, and is unsupported when none has one", async () => {
  const s = system(["T-1", "T-2"]);
  await s.alpha.activate("T-1");
  await s.alpha.activate("T-2");
  s.sweeps.start();
  try {
    expect((await s.put(s.alpha, "x", { v: 1 })).status).toBe(201);
    expect((await setUpStandby(s.plane, quiet, "T-1", "beta", { waitMs: 5_000 })).ready).toBe(true);
    // A primary that answers is never failed over, by the loop either.
    expect(await failoverToStandbys(s.plane, "alpha", ["T-1"])).toEqual({ ok: false, error: expect.stringMatching(/^T-1: alpha answers and serves 'T-1'/) });
  } finally {
    s.sweeps.stop();
  }
  s.down.add("alpha.test");

  expect(await failoverToStandbys(s.plane, "alpha", ["T-1", "T-2"])).toEqual({ ok: true, detail: expect.stringMatching(/^failed over: T-1 -> beta \(epoch 2, replication point \S+\); no standby: T-2$/) });
  expect(JSON.parse(s.registry.kv.get("tenant:T-1")!)).toEqual(expect.objectContaining({ cellId: "beta", epoch: 2 }));
  expect(await s.beta.store.getItem("T-1", "x")).toEqual(expect.objectContaining({ version: 1, data: { v: 1 } }));
  // What is left has no standby: the loop is told, and holds the failover from then on.
  const unsupported = { ok: false, unsupported: true, error: `alpha: ${NO_STANDBY}` };
  expect(await failoverToStandbys(s.plane, "alpha", ["T-2"])).toEqual(unsupported);
  expect(await cellctlActions(s.plane, new JournalStore(mkdtempSync(path.join(tmpdir(), "journals-")))).failover("alpha", ["T-2"])).toEqual(unsupported);
});

test("dropping a standby frees the primary from its lease and lets the standby's copy go", async () => {
  const s = system();
  await s.alpha.activate("T-1");
  s.sweeps.start();
  try {
    await s.put(s.alpha, "x", { v: 1 });
    expect((await setUpStandby(s.plane, quiet, "T-1", "beta", { waitMs: 5_000 })).ready).toBe(true);
  } finally {
    s.sweeps.stop();
  }
  await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 50));
  expect((await s.put(s.alpha, "x", { v: 2 }, 1)).status).toBe(503); // no sweep: the lease ran out
  expect(await dropStandby(s.plane, quiet, "T-1")).toEqual({ tenant_id: "T-1", primary: "alpha", dropped: ["beta"], unreachable: [] });
  expect((await s.put(s.alpha, "x", { v: 2 }, 1)).status).toBe(200);
  expect(await s.beta.store.ownership("T-1")).toEqual(expect.objectContaining({ state: "moved", epoch: 3, movedTo: { cellId: "alpha", epoch: 1 } }));
  expect(await s.beta.store.getItem("T-1", "x")).toBeUndefined();
});

test("tenants flags a standby that is seeding, unconfirmed, behind the threshold, or whose primary is unreachable", () => {
  const at = "2026-11-30T00:00:00.000Z";
  const cell = (cellId: string, tenants: CellReport["tenants"], health: CellReport["health"] = "ok"): CellReport => ({
    entry: { v: 1, cellId, cloud: "aws", region: "r", url: `https://${cellId}.test`, status: "active" },
    health,
    tenants,
    capacity: 100,
  });
  const primary = { tenantId: "T-1", epoch: 1, state: "active" as const, updatedAt: at };
  const standby = (replica: Record<string, unknown>) => ({ tenantId: "T-1", epoch: 2, state: "standby" as const, updatedAt: at, details: { replica: { primary: { cellId: "alpha", epoch: 1 }, ...replica } } });
  const flags = (replica: Record<string, unknown>, alphaHealth: CellReport["health"] = "ok") =>
    joinTenants([], [cell("alpha", alphaHealth === "ok" ? [primary] : undefined, alphaHealth), cell("beta", [standby(replica)])], 10_000)[0]!.flags.filter((f) => !f.startsWith("not in the registry"));
  expect(flags({})).toEqual(["standby on beta is seeding"]);
  expect(flags({ seededAt: at })).toEqual(["standby on beta has no confirmed replication point yet"]);
  expect(flags({ seededAt: at, appliedThrough: at, lagMs: 900 })).toEqual([]);
  expect(flags({ seededAt: at, appliedThrough: at, lagMs: 12_500 })).toEqual(["standby on beta lags 12.5 s (over 10 s)"]);
  expect(flags({ seededAt: at, appliedThrough: at, lastHeardAt: at, lagMs: 1 }, "unreachable")).toEqual([`primary alpha unreachable; standby on beta last heard from it at ${at}: 'cellctl failover' if it stays down`]);
});
