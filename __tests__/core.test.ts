import { Headers } from "../contract";
import { VersionConflictError, type CellRequest, type RecordStore } from "../cells/core";
import { coreCell } from "./support/core-cell";
import { InMemoryRecordStore } from "./support/in-memory-stores";
import { aTenantId } from "./support/mothers";
import { bytes, signed, type RequestSpec } from "./support/signing";

/** The core's own behaviour beyond the shared HTTP contract: change events, idempotency edges, failure handling. */

function harness(overrides: Parameters<typeof coreCell>[0] = {}) {
  const cell = coreCell(overrides);
  const send = async (spec: RequestSpec, tenantId: string) => {
    const s = await signed(spec, { tenantId, cellId: "alpha", key: cell.key });
    const headers = Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const req: CellRequest = { method: s.method, path: s.path, query: s.query ?? "", headers, body: bytes(s.body) };
    const reply = await cell.handler(req);
    return { ...reply, json: JSON.parse(reply.body || "null") };
  };
  const put = (t: string, id: string, body: unknown, headers: Record<string, string> = {}) =>
    send({ method: "PUT", path: `/api/tenants/${t}/records/${id}`, body: JSON.stringify(body), headers }, t);
  return { ...cell, send, put };
}

describe("change events", () => {
  test("create, update and delete each publish one event, in version order", async () => {
    const h = harness();
    const t = aTenantId("T");
    await h.put(t, "r1", { data: { a: 1 } });
    await h.put(t, "r1", { data: { a: 2 }, expected_version: 1 });
    await h.send({ method: "DELETE", path: `/api/tenants/${t}/records/r1` }, t);
    expect(h.changes.map((c) => [c.kind, c.version, c.tenantId, c.recordId, c.cellId])).toEqual([
      ["created", 1, t, "r1", "alpha"],
      ["updated", 2, t, "r1", "alpha"],
      ["deleted", 3, t, "r1", "alpha"],
    ]);
    for (const c of h.changes) expect(c.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  test("a conflicting write, a read and an idempotent replay publish nothing", async () => {
    const h = harness();
    const t = aTenantId("T");
    await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" });
    await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" });
    await h.put(t, "r1", { data: {}, expected_version: 9 });
    await h.send({ method: "GET", path: `/api/tenants/${t}/records/r1` }, t);
    expect(h.changes).toHaveLength(1);
  });

  test("a failing change feed does not fail the write, and is logged", async () => {
    const h = harness({ overrides: { changes: { publish: async () => Promise.reject(new Error("feed down")) } } });
    const t = aTenantId("T");
    expect((await h.put(t, "r1", { data: {} })).status).toBe(201);
    expect(h.logs).toEqual([expect.objectContaining({ level: "error", msg: "change feed publish failed" })]);
  });
});

describe("idempotency edges", () => {
  test("a write that fails unexpectedly releases its key, so the retry runs", async () => {
    let failNext = true;
    const store = new InMemoryRecordStore();
    const flaky: RecordStore = {
      get: (t, id) => store.get(t, id),
      list: (t, o) => store.list(t, o),
      delete: (t, id, v) => store.delete(t, id, v),
      put: async (r, v) => {
        if (failNext) {
          failNext = false;
          throw new Error("throttled");
        }
        return store.put(r, v);
      },
    };
    const h = harness({ overrides: { records: flaky } });
    const t = aTenantId("T");
    expect((await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" })).status).toBe(500);
    const retry = await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" });
    expect(retry.status).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
  });

  test("a key still held by a running request is a 409, and the second write does not run", async () => {
    const h = harness();
    const t = aTenantId("T");
    await h.deps.idempotency.claim(t, "busy", { claimId: "other", fingerprint: "x", leaseUntilMs: Date.now() + 60_000, expiresAtSec: Date.now() / 1000 + 60 }, Date.now());
    const reply = await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "busy" });
    expect(reply.status).toBe(409);
    expect(reply.json.type).toMatch(/idempotency_in_progress$/);
    expect(await h.deps.records.get(t, "r1")).toBeUndefined();
  });

  test("a final 4xx outcome is replayed to a retry with the same key", async () => {
    const h = harness();
    const t = aTenantId("T");
    await h.put(t, "r1", { data: {} });
    const first = await h.put(t, "r1", { data: { x: 1 }, expected_version: 5 }, { [Headers.idempotencyKey]: "k4" });
    const retry = await h.put(t, "r1", { data: { x: 1 }, expected_version: 5 }, { [Headers.idempotencyKey]: "k4" });
    expect(first.status).toBe(409);
    expect(retry.status).toBe(409);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
  });
});

describe("failure handling", () => {
  test("an unexpected store error is a 500 problem without internals; the stack goes to the log only", async () => {
    const broken: RecordStore = {
      get: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.7:443 secret-hostname");
      },
      put: async () => {},
      delete: async () => {},
      list: async () => [],
    };
    const h = harness({ overrides: { records: broken } });
    const t = aTenantId("T");
    const reply = await h.send({ method: "GET", path: `/api/tenants/${t}/records/r1`, headers: { [Headers.requestId]: "req-err" } }, t);
    expect(reply.status).toBe(500);
    expect(reply.body).not.toMatch(/ECONNREFUSED|secret-hostname|at /);
    expect(reply.json).toEqual(expect.objectContaining({ status: 500, requestId: "req-err" }));
    expect(h.logs).toEqual([expect.objectContaining({ level: "error", requestId: "req-err", error: expect.stringContaining("ECONNREFUSED") })]);
  });

  test("a store conflict is reported with the version the store holds now", async () => {
    const store = new InMemoryRecordStore();
    const racing: RecordStore = {
      get: (t, id) => store.get(t, id),
      list: (t, o) => store.list(t, o),
      delete: (t, id, v) => store.delete(t, id, v),
      // Another writer gets in between the core's read and its conditional write.
      put: async (r, v) => {
        const cur = await store.get(r.tenantId, r.recordId);
        if (cur) await store.put({ ...cur, version: cur.version + 1 }, cur.version);
        return store.put(r, v);
      },
    };
    const h = harness({ overrides: { records: racing } });
    const t = aTenantId("T");
    await store.put({ tenantId: t, recordId: "r1", version: 1, data: {}, createdAt: "x", updatedAt: "x" }, 0);
    const reply = await h.put(t, "r1", { data: { mine: true }, expected_version: 1 });
    expect(reply.status).toBe(409);
    expect(reply.json.currentVersion).toBe(2);
    await expect(store.put({ tenantId: t, recordId: "r1", version: 9, data: {}, createdAt: "x", updatedAt: "x" }, 1)).rejects.toBeInstanceOf(VersionConflictError);
  });

  test("a nonce is not spent by a request with a bad signature", async () => {
    const h = harness();
    const t = aTenantId("T");
    const good = await signed({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }) }, { tenantId: t, cellId: "alpha", key: h.key });
    const lower = (s: RequestSpec) => Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const forged = { ...lower(good), [Headers.signature]: "00".repeat(32) };
    const req = (headers: Record<string, string>): CellRequest => ({ method: "PUT", path: good.path, query: "", headers, body: bytes(good.body) });
    expect((await h.handler(req(forged))).status).toBe(401);
    expect((await h.handler(req(lower(good)))).status).toBe(201);
  });
});
