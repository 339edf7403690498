import { Headers, MAX_STORED_ITEM_BYTES } from "../contract";
import { PayloadTooLargeError, StoreUnavailableError, checkStoredSize, jsonDepth, type CellRequest, type RecordWrite, type TenantStore } from "../cells/core";
import { internalError } from "../cells/aws/api-gateway";
import { internalErrorResponse } from "../cells/azure/functions-http";
import { coreCell } from "./support/core-cell";
import { InMemoryTenantStore } from "./support/in-memory-stores";
import { aTenantId } from "./support/mothers";
import { bytes, signed, type RequestSpec } from "./support/signing";

/** The core's own behaviour beyond the shared HTTP contract: change events, keyed writes under store failures, failure handling. */

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
  const tenant = async () => {
    const t = aTenantId("T");
    await cell.activate(t);
    return t;
  };
  return { ...cell, send, put, tenant };
}

/** A store whose `commit` fails the way a cut connection does: `applied` says whether the write reached the store first. */
function faultyCommits(inner: InMemoryTenantStore, faults: Array<{ applied: boolean }>): TenantStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== "commit") return Reflect.get(target, prop, receiver);
      return async (write: RecordWrite) => {
        const fault = faults.shift();
        if (fault === undefined) return target.commit(write);
        if (fault.applied) await target.commit(write);
        throw new StoreUnavailableError("connection reset by peer");
      };
    },
  });
}

describe("change events", () => {
  test("create, replace and delete each publish one event in version order, with the new data", async () => {
    const h = harness();
    const t = await h.tenant();
    await h.put(t, "r1", { data: { a: 1 } });
    await h.put(t, "r1", { data: { a: 2 }, expected_version: 1 });
    await h.send({ method: "DELETE", path: `/api/tenants/${t}/records/r1` }, t);
    expect(h.changes.map((c) => [c.kind, c.version, c.tenant_id, c.record_id, c.cell_id, c.cloud, c.data])).toEqual([
      ["created", 1, t, "r1", "alpha", "aws", { a: 1 }],
      ["replaced", 2, t, "r1", "alpha", "aws", { a: 2 }],
      ["deleted", 3, t, "r1", "alpha", "aws", null],
    ]);
    expect(h.changes.map((c) => c.id)).toEqual([`${t}/r1/1`, `${t}/r1/2`, `${t}/r1/3`]);
    for (const c of h.changes) expect(c.committed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  test("a conflicting write, a read and an idempotent replay publish nothing", async () => {
    const h = harness();
    const t = await h.tenant();
    await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" });
    await h.put(t, "r1", { data: {} }, { [Headers.idempotencyKey]: "k" });
    await h.put(t, "r1", { data: {}, expected_version: 9 });
    await h.send({ method: "GET", path: `/api/tenants/${t}/records/r1` }, t);
    expect(h.changes).toHaveLength(1);
  });

  test("a failing change feed does not fail the write, and is logged", async () => {
    const h = harness({ overrides: { changes: { publish: async () => Promise.reject(new Error("feed down")) } } });
    const t = await h.tenant();
    expect((await h.put(t, "r1", { data: {} })).status).toBe(201);
    expect(h.logs).toEqual([expect.objectContaining({ level: "error", msg: "change feed publish failed" })]);
  });
});

describe("keyed writes under store failures", () => {
  const KEY = { [Headers.idempotencyKey]: "k-1" };

  test("a write the store applied although its answer was lost is answered with its own result, not a 5xx", async () => {
    const inner = new InMemoryTenantStore();
    const h = harness({ overrides: { store: faultyCommits(inner, [{ applied: true }]) } });
    const t = aTenantId("T");
    await h.activate(t);
    const reply = await h.put(t, "r1", { data: { n: 1 } }, KEY);
    expect(reply.status).toBe(201);
    expect(reply.json.version).toBe(1);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: "warn", msg: expect.stringContaining("committed although the store call failed") }));
    const retry = await h.put(t, "r1", { data: { n: 1 } }, KEY);
    expect({ status: retry.status, replayed: retry.headers["idempotent-replayed"], body: retry.json }).toEqual({ status: 201, replayed: "true", body: reply.json });
  });

  test("a write the store never applied is a 503 with Retry-After, and one retry with the key writes it exactly once", async () => {
    const inner = new InMemoryTenantStore();
    const h = harness({ overrides: { store: faultyCommits(inner, [{ applied: false }]) } });
    const t = aTenantId("T");
    await h.activate(t);
    const failed = await h.put(t, "r1", { data: { n: 1 } }, KEY);
    expect(failed.status).toBe(503);
    expect(failed.json.type).toMatch(/store_unavailable$/);
    expect(failed.headers[Headers.retryAfter]).toBe("1");
    expect(await inner.getItem(t, "r1")).toBeUndefined();
    const retry = await h.put(t, "r1", { data: { n: 1 } }, KEY);
    expect({ status: retry.status, version: retry.json.version, replayed: retry.headers["idempotent-replayed"] }).toEqual({ status: 201, version: 1, replayed: undefined });
    expect((await inner.getItem(t, "r1"))?.version).toBe(1);
  });

  test("concurrent requests with one key write once and all get the same answer", async () => {
    const h = harness();
    const t = await h.tenant();
    const replies = await Promise.all(Array.from({ length: 5 }, () => h.put(t, "r1", { data: { n: 1 } }, KEY)));
    expect(new Set(replies.map((r) => `${r.status} ${JSON.stringify(r.json)}`)).size).toBe(1);
    expect(replies[0]!.status).toBe(201);
    expect(h.changes).toHaveLength(1);
  });

  test("a refusal (4xx) is stored against the key and replayed; an ownership refusal is not", async () => {
    const h = harness();
    const t = await h.tenant();
    await h.put(t, "r1", { data: {} });
    const first = await h.put(t, "r1", { data: { x: 1 }, expected_version: 5 }, { [Headers.idempotencyKey]: "k4" });
    const retry = await h.put(t, "r1", { data: { x: 1 }, expected_version: 5 }, { [Headers.idempotencyKey]: "k4" });
    expect([first.status, retry.status]).toEqual([409, 409]);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["idempotent-replayed"]).toBe("true");

    const unknown = aTenantId("T");
    expect((await h.put(unknown, "r1", { data: {} }, { [Headers.idempotencyKey]: "k5" })).status).toBe(404);
    await h.activate(unknown);
    expect((await h.put(unknown, "r1", { data: {} }, { [Headers.idempotencyKey]: "k5" })).status).toBe(201);
  });
});

describe("failure handling", () => {
  test("both clouds' adapters answer a failure outside the core with the same 500 problem, naming their cloud", () => {
    const aws = internalError("req-1");
    const azure = internalErrorResponse("req-1");
    expect(aws.body).toBe(azure.body);
    expect(JSON.parse(aws.body!)).toMatchObject({ status: 500, requestId: "req-1" });
    expect({ status: aws.statusCode, ...aws.headers, [Headers.processedByCloud]: "azure" }).toEqual({ status: azure.status, ...azure.headers });
    expect(aws.headers?.[Headers.processedByCloud]).toBe("aws");
  });

  test("an unexpected store error is a 500 problem without internals; the stack goes to the log only", async () => {
    const inner = new InMemoryTenantStore();
    const broken = new Proxy(inner, {
      get: (target, prop, receiver) =>
        prop === "getItem"
          ? async () => {
              throw new TypeError("cannot read properties of undefined (reading 'S') at secret-hostname");
            }
          : Reflect.get(target, prop, receiver),
    });
    const h = harness({ overrides: { store: broken } });
    const t = aTenantId("T");
    await h.activate(t);
    const reply = await h.send({ method: "GET", path: `/api/tenants/${t}/records/r1`, headers: { [Headers.requestId]: "req-err" } }, t);
    expect(reply.status).toBe(500);
    expect(reply.body).not.toMatch(/secret-hostname|at /);
    expect(reply.json).toEqual(expect.objectContaining({ status: 500, requestId: "req-err" }));
    expect(h.logs).toEqual([expect.objectContaining({ level: "error", requestId: "req-err", error: expect.stringContaining("secret-hostname") })]);
  });

  test("a store that does not answer is a 503 with Retry-After on reads and writes, never a 500", async () => {
    const inner = new InMemoryTenantStore();
    const down = new Proxy(inner, {
      get: (target, prop, receiver) =>
        typeof Reflect.get(target, prop, receiver) === "function" && prop !== "setOwnership"
          ? async () => {
              throw new StoreUnavailableError("ETIMEDOUT");
            }
          : Reflect.get(target, prop, receiver),
    });
    const h = harness({ overrides: { store: down } });
    const t = aTenantId("T");
    await h.activate(t);
    for (const reply of [await h.send({ method: "GET", path: `/api/tenants/${t}/records` }, t), await h.put(t, "r", { data: {} }), await h.put(t, "r", { data: {} }, { [Headers.idempotencyKey]: "k" })]) {
      expect({ status: reply.status, type: reply.json.type, retryAfter: reply.headers[Headers.retryAfter] }).toEqual({ status: 503, type: expect.stringMatching(/store_unavailable$/), retryAfter: "1" });
    }
  });

  test("a write that loses a race is reported with the version the store holds now", async () => {
    const inner = new InMemoryTenantStore();
    const racing = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== "commit") return Reflect.get(target, prop, receiver);
        // Another writer commits between the core's read and its own commit.
        return async (write: RecordWrite) => {
          const current = await target.getItem(write.item.tenantId, write.item.recordId);
          if (current && !("deleted" in current)) await target.commit({ ...write, item: { ...current, version: current.version + 1 }, previousVersion: current.version, outcome: undefined });
          return target.commit(write);
        };
      },
    });
    const h = harness({ overrides: { store: racing } });
    const t = aTenantId("T");
    await h.activate(t);
    await inner.commit({ item: { tenantId: t, recordId: "r1", version: 1, data: {}, createdAt: "x", updatedAt: "x", committedBy: "alpha" }, previousVersion: undefined, change: {} as never });
    const reply = await h.put(t, "r1", { data: { mine: true }, expected_version: 1 });
    expect(reply.status).toBe(409);
    expect(reply.json.currentVersion).toBe(2);
  });

  test("a nonce is not spent by a request with a bad signature", async () => {
    const h = harness();
    const t = await h.tenant();
    const good = await signed({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }) }, { tenantId: t, cellId: "alpha", key: h.key });
    const lower = (s: RequestSpec) => Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const forged = { ...lower(good), [Headers.signature]: "00".repeat(32) };
    const req = (headers: Record<string, string>): CellRequest => ({ method: "PUT", path: good.path, query: "", headers, body: bytes(good.body) });
    expect((await h.handler(req(forged))).status).toBe(401);
    expect((await h.handler(req(lower(good)))).status).toBe(201);
  });
});

describe("input limits", () => {
  test("JSON depth is counted outside strings only", () => {
    expect(jsonDepth('{"a":[{"b":"[[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('"just a string with \\" [ {"')).toBe(0);
    expect(jsonDepth("[[[]]]")).toBe(3);
  });

  test("a record whose stored form passes the item limit is refused before anything is written", () => {
    expect(() => checkStoredSize("x".repeat(MAX_STORED_ITEM_BYTES))).not.toThrow();
    expect(() => checkStoredSize("é".repeat(MAX_STORED_ITEM_BYTES / 2 + 1))).toThrow(PayloadTooLargeError);
  });
});
