import {
  InvalidJsonError,
  PayloadTooLargeError,
  StoreUnavailableError,
  ValidationError,
  VersionConflictError,
  checkStoredSize,
  decodeCursor,
  encodeCursor,
  jsonDepth,
  parseJsonObject,
  type RecordWrite,
} from "../cells/core";
import { Headers, MAX_STORED_ITEM_BYTES } from "../contract";
import { clockedCell, type Reply } from "./support/clocked-cell";
import { InMemoryTenantStore } from "./support/in-memory-stores";

/**
 * The data API at its edges, through the handler: list pages and their limits, versions in bodies
 * and queries, what a PUT body may hold, `POST /api/process`, fenced tenants, and how version
 * conflicts read. JSON body parsing and cursors below it.
 */

const problemType = (reply: Reply) => String(reply.json?.type).replace("urn:problem-type:cells:", "");

function data(overrides: Parameters<typeof clockedCell>[0] = {}) {
  const cell = clockedCell(overrides);
  const put = (t: string, id: string, body: unknown, headers: Record<string, string> = {}) =>
    cell.send({ method: "PUT", path: `/api/tenants/${t}/records/${id}`, body: typeof body === "string" ? body : JSON.stringify(body), headers }, t);
  const del = (t: string, id: string, query = "") => cell.send({ method: "DELETE", path: `/api/tenants/${t}/records/${id}`, query }, t);
  const list = (t: string, query = "") => cell.send({ method: "GET", path: `/api/tenants/${t}/records`, query }, t);
  const get = (t: string, id: string) => cell.send({ method: "GET", path: `/api/tenants/${t}/records/${id}` }, t);
  return { ...cell, put, del, list, get };
}

describe("list pages", () => {
  test.each<[string, number]>([
    ["1", 200],
    ["10", 200],
    ["100", 200],
    ["101", 400],
    ["0", 400],
    ["%205", 400],
    ["5%20", 400],
    ["0x10", 400],
    ["1e2", 400],
  ])("limit=%s: %s", async (limit, status) => {
    const d = data();
    const t = await d.tenant();
    const reply = await d.list(t, `limit=${limit}`);
    expect(reply.status).toBe(status);
    if (status === 400) expect(reply.json.detail).toBe(`limit must be an integer from 1 to 100, got '${decodeURIComponent(limit)}'`);
  });

  test("a page of exactly the limit is the last one when nothing follows; tombstones never show", async () => {
    const d = data();
    const t = await d.tenant();
    for (const id of ["a", "b", "c"]) await d.put(t, id, { data: { id } });
    await d.del(t, "b");
    expect((await d.list(t, "limit=2")).json).toEqual({ records: [expect.objectContaining({ record_id: "a" }), expect.objectContaining({ record_id: "c" })], next_cursor: null });
    const first = (await d.list(t, "limit=1")).json;
    expect(first.next_cursor).toBe(encodeCursor("a"));
    expect((await d.list(t, `limit=2&cursor=${first.next_cursor}`)).json).toEqual({ records: [expect.objectContaining({ record_id: "c" })], next_cursor: null });
  });

  test("a fenced tenant's records are still listed and read", async () => {
    const d = data();
    const t = await d.tenant();
    await d.put(t, "a", { data: {} });
    await d.store.setOwnership({ tenantId: t, epoch: 2, state: "fenced", updatedAt: "2026-01-01T00:00:00.000Z" }, { epoch: 1, state: "active" });
    expect([(await d.list(t)).status, (await d.get(t, "a")).status]).toEqual([200, 200]);
  });

  test("a cursor this API did not hand out is a 400", async () => {
    const d = data();
    const t = await d.tenant();
    expect((await d.list(t, "cursor=YR")).json.detail).toBe("cursor is not one this API handed out");
  });

  test("cursors are the page's last id in base64url, and nothing else decodes", () => {
    expect(encodeCursor("r-1.ü")).toBe(Buffer.from("r-1.ü", "utf8").toString("base64url"));
    expect(decodeCursor(encodeCursor("r-1.ü"))).toBe("r-1.ü");
    expect(encodeCursor("r".repeat(192))).toHaveLength(256);
    expect(decodeCursor(encodeCursor("r".repeat(192)))).toBe("r".repeat(192));
    for (const bad of ["", "YR", "YQ==", "!YQ", "YQ!", "a".repeat(257), "YQ\n"]) expect(decodeCursor(bad)).toBeUndefined();
  });
});

describe("versions", () => {
  test.each<[string, unknown, string]>([
    ["negative", -1, "expected_version must be a non-negative JSON integer, got -1"],
    ["fractional", 1.5, "expected_version must be a non-negative JSON integer, got 1.5"],
    ["past the safe integers", 2 ** 53, "expected_version must be a non-negative JSON integer, got 9007199254740992"],
    ["a string of digits", "1", 'expected_version must be a non-negative JSON integer, got "1"'],
    ["null", null, "expected_version must be a non-negative JSON integer, got null"],
  ])("a body's expected_version that is %s is a 400", async (_label, version, detail) => {
    const d = data();
    const t = await d.tenant();
    const reply = await d.put(t, "r1", { data: {}, expected_version: version });
    expect({ status: reply.status, detail: reply.json.detail }).toEqual({ status: 400, detail });
  });

  test("expected_version 0 creates, like no expected_version at all", async () => {
    const d = data();
    const t = await d.tenant();
    expect((await d.put(t, "r1", { data: {}, expected_version: 0 })).status).toBe(201);
    expect((await d.put(t, "r1", { data: {}, expected_version: 0 })).json.detail).toBe("record 'r1' already exists at version 1; send expected_version 1 to replace it");
  });

  test("replacing a record that does not exist is a conflict, not a crash", async () => {
    const d = data();
    const t = await d.tenant();
    const reply = await d.put(t, "r1", { data: {}, expected_version: 3 });
    expect({ status: reply.status, detail: reply.json.detail, current: reply.json.currentVersion }).toEqual({
      status: 409,
      detail: "record 'r1': expected version 3, but the record does not exist",
      current: null,
    });
  });

  test("a replace with a stale version names the current one", async () => {
    const d = data();
    const t = await d.tenant();
    await d.put(t, "r1", { data: {} });
    await d.put(t, "r1", { data: {}, expected_version: 1 });
    expect((await d.put(t, "r1", { data: {}, expected_version: 1 })).json).toEqual(
      expect.objectContaining({ detail: "record 'r1': expected version 1, but the current version is 2", currentVersion: 2 }),
    );
  });

  test.each<[string, number, string | undefined]>([
    ["expected_version=1", 200, undefined],
    ["expected_version=10", 409, "record 'r1': expected version 10, but the current version is 1"],
    ["expected_version=1234567890123456", 400, "expected_version must be a non-negative integer, got '1234567890123456'"],
    ["expected_version=-1", 400, "expected_version must be a non-negative integer, got '-1'"],
  ])("a delete with %s: %s", async (query, status, detail) => {
    const d = data();
    const t = await d.tenant();
    await d.put(t, "r1", { data: {} });
    const reply = await d.del(t, "r1", query);
    expect({ status: reply.status, detail: reply.json.detail }).toEqual({ status, detail: status === 200 ? undefined : detail });
  });

  test("a delete of a record that is not there is a 404; on a fenced tenant a 503 before anything is looked up", async () => {
    const d = data();
    const t = await d.tenant();
    const missing = await d.del(t, "nothing");
    expect({ type: problemType(missing), detail: missing.json.detail }).toEqual({ type: "record_not_found", detail: `record 'nothing' of tenant '${t}' does not exist` });
    const fenced = await d.tenant("fenced", 2);
    expect(problemType(await d.del(fenced, "nothing"))).toBe("tenant_fenced");
  });
});

describe("PUT bodies", () => {
  test.each<[string, unknown, string]>([
    ["no data", { expected_version: 0 }, "data must be a JSON object"],
    ["null data", { data: null }, "data must be a JSON object"],
    ["text data", { data: "x" }, "data must be a JSON object"],
    ["a list as data", { data: [] }, "data must be a JSON object"],
    ["an unknown field", { data: {}, version: 2 }, "unknown fields: version; allowed: data, expected_version, tenant_id"],
    ["another tenant's id", { data: {}, tenant_id: "T-other" }, "tenant_id in the body ('T-other') does not match the path ('%T')"],
  ])("%s is a 400", async (_label, body, detail) => {
    const d = data();
    const t = await d.tenant();
    const reply = await d.put(t, "r1", body);
    expect({ status: reply.status, detail: reply.json.detail }).toEqual({ status: 400, detail: detail.replace("%T", t) });
  });

  test("the path's own tenant id in the body is accepted", async () => {
    const d = data();
    const t = await d.tenant();
    expect((await d.put(t, "r1", { data: { n: 1 }, tenant_id: t })).status).toBe(201);
  });

  test("a record whose stored form would pass the item limit is refused with its size", () => {
    expect(() => checkStoredSize("é".repeat(MAX_STORED_ITEM_BYTES / 2 + 1))).toThrow(
      new PayloadTooLargeError(`the stored record would be ${MAX_STORED_ITEM_BYTES + 2} bytes; a cell stores at most ${MAX_STORED_ITEM_BYTES} bytes per record`),
    );
  });
});

describe("POST /api/process", () => {
  test("answers with the cell's id and clock, and counts the body's fields", async () => {
    const d = data();
    const t = await d.tenant();
    const reply = await d.send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: t, a: 1, b: 2 }), headers: { [Headers.requestId]: "req-7" } }, t);
    expect(reply.json).toEqual({ status: "processed", tenant_id: t, cell_id: "alpha", cloud: "aws", request_id: "req-7", processed_at: "2026-05-28T20:26:40.999Z", received_fields: 3 });
  });

  test("is a write: a fenced tenant is refused", async () => {
    const d = data();
    const t = await d.tenant("fenced", 2);
    expect(problemType(await d.send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: t }) }, t))).toBe("tenant_fenced");
  });

  test("a tenant_id that is not a tenant id is a 400 naming the pattern", async () => {
    const d = data();
    const reply = await d.send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: 100 }) }, "T-1");
    expect(reply.json.detail).toBe("tenant_id must be a string matching /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got 100");
  });
});

describe("keyed writes that fail inside the cell", () => {
  test("a 500 is not stored against the key: the retry runs again", async () => {
    const store = new InMemoryTenantStore();
    let broken = true;
    const flaky = new Proxy(store, {
      get: (target, prop, receiver) =>
        prop === "getItem" && broken
          ? async () => {
              broken = false;
              throw new TypeError("bug");
            }
          : Reflect.get(target, prop, receiver),
    });
    const d = data({ overrides: { store: flaky } });
    const t = "T-flaky";
    await store.setOwnership({ tenantId: t, epoch: 1, state: "active", updatedAt: "x" }, undefined);
    const headers = { [Headers.idempotencyKey]: "k-1" };
    expect((await d.put(t, "r1", { data: {} }, headers)).status).toBe(500);
    const retry = await d.put(t, "r1", { data: {} }, headers);
    expect({ status: retry.status, replayed: retry.headers["idempotent-replayed"] }).toEqual({ status: 201, replayed: undefined });
  });
});

describe("writes that lose a race at commit", () => {
  /** A store whose commit fails once with `error` after `before` ran against it. */
  function racing(error: (write: RecordWrite, store: InMemoryTenantStore) => Promise<Error>) {
    const store = new InMemoryTenantStore();
    let once = true;
    const reads: string[] = [];
    const proxy = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "getItem") return async (t: string, id: string) => (reads.push(id), target.getItem(t, id));
        if (prop !== "commit") return Reflect.get(target, prop, receiver);
        return async (write: RecordWrite) => {
          if (!once) return target.commit(write);
          once = false;
          throw await error(write, target);
        };
      },
    });
    return { store, proxy, reads };
  }

  test("a conflict without the winning version is looked up again and named", async () => {
    const r = racing(async (write, store) => {
      await store.commit({ ...write, item: { ...write.item, version: 2 }, outcome: undefined });
      return new VersionConflictError(write.item.tenantId, write.item.recordId, "version changed");
    });
    const d = data({ overrides: { store: r.proxy } });
    const t = "T-race";
    await r.store.setOwnership({ tenantId: t, epoch: 1, state: "active", updatedAt: "x" }, undefined);
    await r.store.commit({ item: { tenantId: t, recordId: "r1", version: 1, data: {}, createdAt: "x", updatedAt: "x", committedBy: "alpha" }, previousVersion: undefined, change: {} as never });
    const reply = await d.put(t, "r1", { data: { mine: true }, expected_version: 1 });
    expect(reply.json).toEqual(expect.objectContaining({ status: 409, currentVersion: 2, detail: "record 'r1': expected version 1, but the current version is 2 (another write committed first)" }));
  });

  test("a conflict that names the winning version is passed on as the store said it, without another read", async () => {
    const r = racing(async (write) => new VersionConflictError(write.item.tenantId, write.item.recordId, "the store says version 7 won", 7));
    const d = data({ overrides: { store: r.proxy } });
    const t = "T-race2";
    await r.store.setOwnership({ tenantId: t, epoch: 1, state: "active", updatedAt: "x" }, undefined);
    const reply = await d.put(t, "r1", { data: {} });
    expect(reply.json).toEqual(expect.objectContaining({ status: 409, currentVersion: 7, detail: "the store says version 7 won" }));
    expect(r.reads).toEqual(["r1"]);
  });

  test("a create that lost to a create and a delete finds no live record", async () => {
    const r = racing(async (write, store) => {
      await store.commit({ ...write, item: { tenantId: write.item.tenantId, recordId: "r1", version: 2, deleted: true, updatedAt: "x", committedBy: "beta" }, outcome: undefined });
      return new VersionConflictError(write.item.tenantId, write.item.recordId, "version changed");
    });
    const d = data({ overrides: { store: r.proxy } });
    const t = "T-race3";
    await r.store.setOwnership({ tenantId: t, epoch: 1, state: "active", updatedAt: "x" }, undefined);
    const reply = await d.put(t, "r1", { data: {} });
    expect(reply.json).toEqual(expect.objectContaining({ currentVersion: null, detail: "record 'r1': expected version 0, but the record does not exist (another write committed first)" }));
  });

  test("a store that fails at commit is a 503, whatever it was writing", async () => {
    const r = racing(async () => new StoreUnavailableError("ETIMEDOUT"));
    const d = data({ overrides: { store: r.proxy } });
    const t = "T-down";
    await r.store.setOwnership({ tenantId: t, epoch: 1, state: "active", updatedAt: "x" }, undefined);
    expect(problemType(await d.put(t, "r1", { data: {} }))).toBe("store_unavailable");
  });
});

describe("JSON bodies", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  test.each<[string, number]>([
    ["[][]", 1],
    ["[[]][[]]", 2],
    ['{"a":{}}{"b":{}}', 2],
    ['{"a":"}}}"}', 1],
    ['["\\\\", [[]]]', 3],
    ["", 0],
  ])("%s is nested %s deep", (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  test("a body nested exactly to the limit parses; one level more is refused before parsing", () => {
    expect(parseJsonObject(utf8('{"a":{"b":{}}}'), 3)).toEqual({ a: { b: {} } });
    expect(() => parseJsonObject(utf8('{"a":{"b":{"c":{}}}}'), 3)).toThrow(new ValidationError("request body is nested 4 levels deep; the limit is 3"));
  });

  test.each<[string, Uint8Array, string]>([
    ["JSON null", utf8("null"), "request body must be a JSON object"],
    ["a JSON list", utf8("[]"), "request body must be a JSON object"],
    ["a JSON string", utf8('"x"'), "request body must be a JSON object"],
    ["a JSON number", utf8("5"), "request body must be a JSON object"],
    ["text that is not JSON", utf8("{nope"), "request body must be a JSON object in UTF-8"],
    ["nothing", utf8(""), "request body must be a JSON object in UTF-8"],
    ["bytes that are not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "request body must be a JSON object in UTF-8"],
  ])("%s is not a JSON object", (_label, body, message) => {
    expect(() => parseJsonObject(body)).toThrow(new InvalidJsonError(message));
  });
});
