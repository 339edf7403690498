import { ReplicationSender, type CellHandler, type Clock } from "../cells/core";
import { PATHS, pathOf, problemCode, type ChangeEvent } from "../contract";
import { coreCell } from "./support/core-cell";
import { signed } from "./support/signing";

/**
 * Standby replication in the core, two cells on the in-memory stores, the primary's sender talking to
 * the standby's handler through a fetch that calls it directly: seed, fast path, sweeps and the
 * replication point, the write lease, promotion only after the lease, the old primary superseded,
 * reconcile writes on a condition. The same code runs in the Lambda, the Azure trigger and the sandbox.
 */

let offsetMs = 0;
const clock: Clock = { now: () => Date.now() + offsetMs };
const LEASE_MS = 2_000;
const GUARD_MS = 500;

function cells() {
  const alpha = coreCell({ cellId: "alpha", cloud: "aws", overrides: { clock } });
  const beta = coreCell({ cellId: "beta", cloud: "azure", overrides: { clock } });
  const hosts: Record<string, CellHandler> = { "alpha.test": alpha.handler, "beta.test": beta.handler };
  const calls: string[] = [];
  const fetchTo = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? "GET"} ${url.host}${url.pathname}`);
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const body = init?.body instanceof Uint8Array ? init.body : new TextEncoder().encode(String(init?.body ?? ""));
    const answer = await hosts[url.host]!({ method: init?.method ?? "GET", path: url.pathname, query: url.search.slice(1), headers, body });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
  const sender = new ReplicationSender({ cellId: "alpha", store: alpha.store, clock, logger: alpha.deps.logger, fetch: fetchTo, timing: { leaseMs: LEASE_MS, guardMs: GUARD_MS, scanMarginMs: 5_000 } });
  const call = async (cell: typeof alpha, tenantId: string, method: string, path: string, body?: unknown, admin = false) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const spec = await signed({ method, path, body: text, headers: text ? { "content-type": "application/json" } : {} }, { tenantId, cellId: cell.deps.config.cellId, key: admin ? cell.adminKey : cell.key });
    const answer = await cell.handler({ method, path, query: "", headers: Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: new TextEncoder().encode(text ?? "") });
    return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : undefined };
  };
  const put = (cell: typeof alpha, tenantId: string, recordId: string, data: unknown, expected?: number) =>
    call(cell, tenantId, "PUT", pathOf(PATHS.record, { tenantId, recordId }), { data, ...(expected === undefined ? {} : { expected_version: expected }) });
  return { alpha, beta, sender, call, put, calls };
}

const KEY = { key_id: "repl-00112233aabbccdd", secret: "k".repeat(48) };

/** T on alpha (active, epoch 1) with beta as its seeded standby at epoch 2. */
async function linked(tenantId: string) {
  const c = cells();
  await c.alpha.activate(tenantId);
  const replica = { epoch: 2, primary: { cell_id: "alpha", epoch: 1 }, ...KEY, expected: null };
  expect((await c.call(c.beta, tenantId, "PUT", pathOf(PATHS.adminReplica, { tenantId }), replica, true)).status).toBe(200);
  const link = await c.call(c.alpha, tenantId, "PUT", pathOf(PATHS.adminStandby, { tenantId }), { cell_id: "beta", url: "http://beta.test", ...KEY, expected: { epoch: 1 } }, true);
  expect(link.status).toBe(200);
  const since = link.json.standby.since as string;
  const seeded = await c.call(c.beta, tenantId, "PUT", pathOf(PATHS.adminReplica, { tenantId }), { ...replica, expected: { epoch: 2, state: "standby" }, seeded_from: since }, true);
  expect(seeded.json.replica.seeded_at).toEqual(expect.any(String));
  return c;
}

beforeEach(() => {
  offsetMs = 0;
});

test("the fast path and the sweeps copy every change with its version; the sweep sets the replication point and the lease", async () => {
  const c = await linked("T-R1");
  expect((await c.put(c.alpha, "T-R1", "a", { n: 1 })).status).toBe(201);
  expect((await c.put(c.alpha, "T-R1", "a", { n: 2 }, 1)).status).toBe(200);
  expect((await c.put(c.alpha, "T-R1", "b", { n: 1 })).status).toBe(201);
  const outbox = await c.alpha.store.changes("T-R1", { limit: 100 });
  expect(await c.sender.deliver(outbox.slice(0, 2).map((event) => ({ partitionTenantId: "T-R1", event })))).toBe(2);
  expect(await c.beta.store.getItem("T-R1", "a")).toEqual(expect.objectContaining({ version: 2, data: { n: 2 }, committedBy: "alpha" }));
  expect(await c.beta.store.getItem("T-R1", "b")).toBeUndefined(); // the fast path missed it...

  // ...the first sweep after the seed only learns it is seeded and renews the lease; the next reads the outbox.
  const first = await c.sender.sweep();
  expect(first).toEqual([expect.objectContaining({ tenantId: "T-R1", outcome: "confirmed" })]);
  expect((await c.beta.store.ownership("T-R1"))?.replica?.appliedThrough).toBeUndefined();
  const lease = (await c.alpha.store.ownership("T-R1"))!.leaseUntil!;
  expect(lease).toBeGreaterThan(clock.now());
  const before = clock.now();
  await c.sender.sweep();
  const replica = (await c.beta.store.ownership("T-R1"))!.replica!;
  expect(Date.parse(replica.appliedThrough!)).toBeGreaterThanOrEqual(before);
  expect(replica.caughtUp).toBe(1);
  expect(await c.beta.store.getItem("T-R1", "b")).toEqual(expect.objectContaining({ version: 1, data: { n: 1 } }));
  expect((await c.alpha.store.ownership("T-R1"))!.standby!.confirmedThrough).toBe(replica.appliedThrough);

  // Replays change nothing; the standby serves no client.
  await c.sender.deliver(outbox.map((event) => ({ partitionTenantId: "T-R1", event })));
  expect(await c.beta.store.getItem("T-R1", "a")).toEqual(expect.objectContaining({ version: 2 }));
  const read = await c.call(c.beta, "T-R1", "GET", pathOf(PATHS.record, { tenantId: "T-R1", recordId: "a" }));
  expect([read.status, problemCode(read.json)]).toEqual([503, "tenant_unavailable"]);
});

test("the replication route takes the tenant's link key only, and pushes from its own primary and epoch only", async () => {
  const c = await linked("T-R2");
  const path = pathOf(PATHS.replicationChanges, { tenantId: "T-R2" });
  const push = { from_cell: "alpha", epoch: 1, changes: [] };
  const withKey = async (key: { keyId: string; secret: string }, body: unknown) => {
    const text = JSON.stringify(body);
    const spec = await signed({ method: "POST", path, body: text }, { tenantId: "T-R2", cellId: "beta", key });
    return c.beta.handler({ method: "POST", path, query: "", headers: Object.fromEntries(Object.entries(spec.headers!).map(([k, v]) => [k.toLowerCase(), v])), body: new TextEncoder().encode(text) });
  };
  expect((await withKey({ keyId: KEY.key_id, secret: KEY.secret }, push)).status).toBe(200);
  expect((await withKey(c.beta.adminKey, push)).status).toBe(401);
  expect((await withKey({ keyId: KEY.key_id, secret: "x".repeat(48) }, push)).status).toBe(401);
  const wrongEpoch = await withKey({ keyId: KEY.key_id, secret: KEY.secret }, { ...push, epoch: 3 });
  expect([wrongEpoch.status, problemCode(JSON.parse(wrongEpoch.body))]).toEqual([409, "ownership_state"]);
  const changeOfAnother: ChangeEvent = { v: 1, id: "T-X/a/1", tenant_id: "T-X", record_id: "a", version: 1, kind: "created", data: {}, committed_at: new Date().toISOString(), cell_id: "alpha", cloud: "aws" };
  expect((await withKey({ keyId: KEY.key_id, secret: KEY.secret }, { ...push, changes: [changeOfAnother] })).status).toBe(400);
});

test("a primary whose standby stops confirming takes no writes once its lease runs out, and still serves reads", async () => {
  const c = await linked("T-R3");
  await c.sender.sweep();
  expect((await c.put(c.alpha, "T-R3", "a", { n: 1 })).status).toBe(201);
  offsetMs = LEASE_MS + 100;
  const refused = await c.put(c.alpha, "T-R3", "a", { n: 2 }, 1);
  expect([refused.status, problemCode(refused.json)]).toEqual([503, "tenant_unavailable"]);
  expect(refused.json.detail).toMatch(/standby on 'beta'/);
  expect((await c.call(c.alpha, "T-R3", "GET", pathOf(PATHS.record, { tenantId: "T-R3", recordId: "a" }))).status).toBe(200);
  await c.sender.sweep(); // the standby answers again: writes resume
  expect((await c.put(c.alpha, "T-R3", "a", { n: 2 }, 1)).status).toBe(200);
});

test("a standby is promoted only after its primary's lease and guard ran out; the old primary then learns it was superseded and answers tenant_moved", async () => {
  const c = await linked("T-R4");
  await c.sender.sweep();
  await c.sender.sweep();
  const promote = () => c.call(c.beta, "T-R4", "PUT", pathOf(PATHS.adminOwnership, { tenantId: "T-R4" }), { epoch: 2, state: "active", operation: "failover-1", expected: { epoch: 2, state: "standby" } }, true);
  const early = await promote();
  expect([early.status, problemCode(early.json)]).toEqual([409, "ownership_state"]);
  expect(early.json.detail).toMatch(/write lease .* may run until/);
  offsetMs = LEASE_MS + GUARD_MS + 50;
  const promoted = await promote();
  expect(promoted.status).toBe(200);
  expect(promoted.json).toEqual(expect.objectContaining({ state: "active", epoch: 2, replica: expect.objectContaining({ primary: { cell_id: "alpha", epoch: 1 }, promoted_at: expect.any(String) }) }));
  expect((await c.put(c.beta, "T-R4", "after", { on: "beta" })).status).toBe(201);

  const [result] = await c.sender.sweep();
  expect(result).toEqual(expect.objectContaining({ outcome: "superseded" }));
  expect(await c.alpha.store.ownership("T-R4")).toEqual(expect.objectContaining({ state: "moved", epoch: 2, movedTo: { cellId: "beta", epoch: 2 } }));
  const moved = await c.put(c.alpha, "T-R4", "late", { on: "alpha" });
  expect([moved.status, moved.json.cell, moved.json.epoch]).toEqual([409, "beta", 2]);
});

test("a reconcile write lands as a new version only over the version it names", async () => {
  const c = cells();
  await c.beta.activate("T-R5");
  expect((await c.put(c.beta, "T-R5", "a", { n: 1 })).status).toBe(201);
  const path = pathOf(PATHS.adminReconcile, { tenantId: "T-R5" });
  const stale = await c.call(c.beta, "T-R5", "POST", path, { record_id: "a", expected_version: 0, data: { from: "alpha" } }, true);
  expect([stale.status, problemCode(stale.json)]).toEqual([409, "version_conflict"]);
  const applied = await c.call(c.beta, "T-R5", "POST", path, { record_id: "a", expected_version: 1, data: { from: "alpha" } }, true);
  expect(applied.json).toEqual(expect.objectContaining({ record_id: "a", version: 2, data: { from: "alpha" }, committed_by: "beta" }));
  const deleted = await c.call(c.beta, "T-R5", "POST", path, { record_id: "a", expected_version: 2, deleted: true }, true);
  expect(deleted.json).toEqual(expect.objectContaining({ version: 3, deleted: true }));
  expect((await c.beta.store.changes("T-R5", { limit: 10 })).map((e) => `${e.record_id}@${e.version}:${e.kind}`)).toEqual(["a@1:created", "a@2:replaced", "a@3:deleted"]);
});
