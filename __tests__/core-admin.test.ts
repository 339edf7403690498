import { AdminService, StoreUnavailableError, TenantDigest, canonicalJson, type RecordItem, type TenantStore } from "../cells/core";
import { CHANGES_PAGE, EXPORT_IDS_MAX, EXPORT_PAGE, MAX_PURGE_BATCH } from "../cells/core/admin-api";
import { sha256Hex, type ExportItem } from "../contract";
import { clockedCell, type Reply } from "./support/clocked-cell";
import { InMemoryTenantStore } from "./support/in-memory-stores";
import { aRecord, aTenantId, aTombstone, anOwnership } from "./support/mothers";

/**
 * The admin API at its edges, through the handler with the admin key: what an ownership change, an
 * export, an import, a change stream and a purge accept, and how a refusal reads. The AdminService and
 * the digest below it where the API cannot reach (page sizes in bytes, more than one store page).
 */

const problemType = (reply: Reply) => String(reply.json?.type).replace("urn:problem-type:cells:", "");

function admin() {
  const cell = clockedCell();
  const put = (t: string, body: unknown) => cell.admin({ method: "PUT", path: `/admin/tenants/${t}/ownership`, body: JSON.stringify(body) }, t);
  const get = (t: string, route: string, query = "") => cell.admin({ method: "GET", path: `/admin/tenants/${t}/${route}`, query }, t);
  const post = (t: string, route: string, body?: unknown, query = "") => cell.admin({ method: "POST", path: `/admin/tenants/${t}/${route}`, query, body: body === undefined ? undefined : JSON.stringify(body) }, t);
  return { ...cell, put, get, post };
}

const exported = (recordId: string, version = 1): ExportItem => ({
  record_id: recordId,
  version,
  deleted: false,
  data: { id: recordId },
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-02T00:00:00.000Z",
  committed_by: "beta",
});

describe("ownership changes", () => {
  test.each<[string, unknown, number, RegExp]>([
    ["an unknown field", { epoch: 1, state: "active", expected: null, owner: "me" }, 400, /^unknown fields: owner; allowed: epoch, state, moved_to, expected, operation$/],
    ["no epoch", { state: "active", expected: null }, 400, /^epoch must be a non-negative integer, got undefined$/],
    ["a fractional epoch", { epoch: 1.5, state: "active", expected: null }, 400, /^epoch must be a non-negative integer, got 1\.5$/],
    ["an epoch in a string", { epoch: "1", state: "active", expected: null }, 400, /^epoch must be a non-negative integer, got "1"$/],
    ["a negative epoch", { epoch: -1, state: "active", expected: null }, 400, /^epoch must be a non-negative integer/],
    ["epoch 0 (well formed, but no epoch to hold)", { epoch: 0, state: "active", expected: null }, 409, /^epoch must be an integer of at least 1, got 0$/],
    ["an unknown state", { epoch: 1, state: "sleeping", expected: null }, 400, /^state must be one of active, importing, fenced, moved, standby, got "sleeping"$/],
    ["moved_to that is a cell name", { epoch: 1, state: "moved", moved_to: "beta", expected: null }, 400, /^moved_to must be \{cell_id, epoch\}, got "beta"$/],
    ["moved_to with a bad cell", { epoch: 1, state: "moved", moved_to: { cell_id: "Beta", epoch: 1 }, expected: null }, 400, /^moved_to must be/],
    ["moved_to with a bad epoch", { epoch: 1, state: "moved", moved_to: { cell_id: "beta", epoch: -1 }, expected: null }, 400, /^moved_to must be/],
    ["moved_to with a fractional epoch", { epoch: 1, state: "moved", moved_to: { cell_id: "beta", epoch: 0.5 }, expected: null }, 400, /^moved_to must be/],
    ["no expectation", { epoch: 1, state: "active" }, 400, /^expected is required: the \{epoch, state\} you read, or null for a tenant new to this cell$/],
    ["an expectation that is a state", { epoch: 1, state: "active", expected: "active" }, 400, /^expected must be \{epoch, state\} or null, got "active"$/],
    ["an expectation with a bad epoch", { epoch: 1, state: "active", expected: { epoch: "1", state: "active" } }, 400, /^expected must be/],
    ["an expectation with a bad state", { epoch: 1, state: "active", expected: { epoch: 1, state: "asleep" } }, 400, /^expected must be/],
    ["an expectation with no state", { epoch: 1, state: "active", expected: { epoch: 1 } }, 400, /^expected must be/],
    ["an operation that is a number", { epoch: 1, state: "active", expected: null, operation: 12345 }, 400, /^operation must match .*, got 12345$/],
    ["an operation that is an empty string", { epoch: 1, state: "active", expected: null, operation: "" }, 400, /^operation must match .*, got ""$/],
  ])("%s: %s", async (_label, body, status, detail) => {
    const a = admin();
    const t = aTenantId("T");
    const reply = await a.put(t, body);
    expect({ status: reply.status, detail: reply.json.detail }).toEqual({ status, detail: expect.stringMatching(detail) });
    expect(await a.store.ownership(t)).toBeUndefined();
  });

  test("a well-formed change is answered with the record as stored, at the cell's clock", async () => {
    const a = admin();
    const t = aTenantId("T");
    const reply = await a.put(t, { epoch: 1, state: "importing", moved_to: null, expected: null });
    expect({ status: reply.status, body: reply.json }).toEqual({ status: 200, body: { tenant_id: t, epoch: 1, state: "importing", moved_to: null, operation: null, updated_at: "2026-05-28T20:26:40.999Z" } });
    expect(await a.store.ownership(t)).toEqual({ tenantId: t, epoch: 1, state: "importing", updatedAt: "2026-05-28T20:26:40.999Z" });
    const back = await a.get(t, "ownership");
    expect(back.json).toEqual(reply.json);
  });

  test("an operation is stored with the change, and a null one is none", async () => {
    const a = admin();
    const t = aTenantId("T");
    const withNull = await a.put(t, { epoch: 1, state: "importing", moved_to: null, expected: null, operation: null });
    expect({ status: withNull.status, operation: withNull.json.operation }).toEqual({ status: 200, operation: null });
    expect(await a.store.ownership(t)).not.toHaveProperty("operation");
    const named = await a.put(t, { epoch: 2, state: "importing", expected: { epoch: 1, state: "importing" }, operation: "move-42:a.b" });
    expect({ status: named.status, operation: named.json.operation }).toEqual({ status: 200, operation: "move-42:a.b" });
  });

  test.each<[string, () => Promise<{ a: ReturnType<typeof admin>; t: string }>, unknown, string]>([
    ["another epoch than the one read", async () => setUp("fenced", 2), { epoch: 3, state: "active", expected: { epoch: 1, state: "fenced" } }, "expected fenced at epoch 1, found fenced at epoch 2"],
    ["another state than the one read", async () => setUp("fenced", 2), { epoch: 3, state: "active", expected: { epoch: 2, state: "active" } }, "expected active at epoch 2, found fenced at epoch 2"],
    ["a record where none was expected", async () => setUp("active", 1), { epoch: 2, state: "fenced", expected: null }, "expected no ownership record, found active at epoch 1"],
    ["no record where one was expected", async () => ({ a: admin(), t: aTenantId("T") }), { epoch: 2, state: "active", expected: { epoch: 1, state: "importing" } }, "expected importing at epoch 1, found no ownership record"],
  ])("a change that expects %s is an epoch conflict naming both", async (_label, arrange, body, detail) => {
    const { a, t } = await arrange();
    const before = await a.store.ownership(t);
    const reply = await a.put(t, body);
    expect({ status: reply.status, type: problemType(reply), detail: reply.json.detail }).toEqual({ status: 409, type: "epoch_conflict", detail });
    expect(await a.store.ownership(t)).toEqual(before);
  });

  async function setUp(state: "active" | "fenced", epoch: number) {
    const a = admin();
    return { a, t: await a.tenant(state, epoch) };
  }

  test("asking again for what is stored succeeds without a write, whatever was expected; a different destination is a change", async () => {
    const a = admin();
    const t = await a.tenant("fenced", 2);
    const moved = { epoch: 2, state: "moved", moved_to: { cell_id: "beta", epoch: 2 }, expected: { epoch: 2, state: "fenced" } };
    const first = await a.put(t, moved);
    a.advance(5_000);
    const again = await a.put(t, { ...moved, expected: { epoch: 1, state: "active" } });
    expect([first.status, again.status, again.json.updated_at]).toEqual([200, 200, first.json.updated_at]);
    const elsewhere = await a.put(t, { ...moved, moved_to: { cell_id: "gamma", epoch: 2 } });
    expect({ status: elsewhere.status, type: problemType(elsewhere) }).toEqual({ status: 409, type: "epoch_conflict" });
  });

  test("a tenant this cell never held has no ownership to read, export, digest or list changes of", async () => {
    const a = admin();
    const t = aTenantId("T");
    for (const route of ["ownership", "export", "digest", "changes"]) {
      const reply = await a.get(t, route);
      expect({ route, status: reply.status, type: problemType(reply), detail: reply.json.detail }).toEqual({ route, status: 404, type: "unknown_tenant", detail: `tenant '${t}' is not held by this cell` });
    }
    expect((await a.post(t, "purge")).status).toBe(404);
  });
});

describe("page sizes and cursors", () => {
  test.each<[string, string, string, number]>([
    ["export", "limit", "0", 400],
    ["export", "limit", "1", 200],
    ["export", "limit", String(EXPORT_PAGE.maxFull), 200],
    ["export", "limit", String(EXPORT_PAGE.maxFull + 1), 400],
    ["export", "fields=versions&limit", String(EXPORT_PAGE.maxVersions), 200],
    ["export", "fields=versions&limit", String(EXPORT_PAGE.maxVersions + 1), 400],
    ["export", "limit", "10", 200],
    ["export", "limit", "1.5", 400],
    ["export", "limit", "%205", 400],
    ["export", "limit", "5%20", 400],
    ["export", "limit", "0x10", 400],
    ["export", "limit", "abc", 400],
    ["changes", "limit", "0", 400],
    ["changes", "limit", String(CHANGES_PAGE.max), 200],
    ["changes", "limit", String(CHANGES_PAGE.max + 1), 400],
  ])("GET %s?%s=%s: %s", async (route, name, value, status) => {
    const a = admin();
    const t = await a.tenant();
    const reply = await a.get(t, route, `${name}=${value}`);
    expect(reply.status).toBe(status);
    if (status === 400) expect(reply.json.detail).toMatch(/^limit must be an integer from 1 to \d+, got '.*'$/);
  });

  test.each<[string, number]>([
    ["0", 400],
    ["1", 200],
    [String(MAX_PURGE_BATCH), 200],
    [String(MAX_PURGE_BATCH + 1), 400],
  ])("POST purge?limit=%s: %s", async (limit, status) => {
    const a = admin();
    const t = await a.tenant("moved", 2);
    const reply = await a.post(t, "purge", undefined, `limit=${limit}`);
    expect(reply.status).toBe(status);
    if (status === 400) expect(reply.json.detail).toBe(`limit must be an integer from 1 to ${MAX_PURGE_BATCH}, got '${limit}'`);
  });

  test("export fields are full or versions; a cursor must be one the API handed out", async () => {
    const a = admin();
    const t = await a.tenant();
    expect((await a.get(t, "export", "fields=all")).json.detail).toBe("fields must be 'full' or 'versions', got 'all'");
    expect((await a.get(t, "export", "cursor=%21%21")).json.detail).toBe("cursor is not one this API handed out");
    expect((await a.get(t, "changes", "since=yesterday")).json.detail).toBe("since must be an ISO-8601 time, got 'yesterday'");
  });

  test("pages follow each other to the end; the last one hands out no cursor", async () => {
    const a = admin();
    const t = await a.tenant("importing", 2);
    await a.post(t, "import", { items: ["a", "b", "c", "d"].map((id) => exported(id)) });
    const page1 = await a.get(t, "export", "limit=2");
    const page2 = await a.get(t, "export", `limit=2&cursor=${page1.json.next_cursor}`);
    expect([page1.json.items.map((i: ExportItem) => i.record_id), page2.json.items.map((i: ExportItem) => i.record_id), page2.json.next_cursor]).toEqual([["a", "b"], ["c", "d"], null]);
    const versions = await a.get(t, "export", "fields=versions&limit=4");
    expect(versions.json).toEqual({ items: ["a", "b", "c", "d"].map((id) => ({ record_id: id, version: 1, deleted: false, updated_at: "2026-01-02T00:00:00.000Z", committed_by: "beta" })), next_cursor: null });
  });
});

describe("items by id, and each item's share of the digest", () => {
  async function withItems() {
    const a = admin();
    const t = await a.tenant("importing", 2);
    await a.post(t, "import", { items: ["a", "b", "c"].map((id) => exported(id)) });
    return { a, t };
  }
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`).join(",");

  test("export ?ids= gives the named items that exist", async () => {
    const { a, t } = await withItems();
    const reply = await a.get(t, "export", "ids=c,a,zz");
    expect({ status: reply.status, ids: reply.json.items.map((i: ExportItem) => i.record_id).sort(), next: reply.json.next_cursor }).toEqual({ status: 200, ids: ["a", "c"], next: null });
    expect(reply.json.items.find((i: ExportItem) => i.record_id === "a")).toEqual(exported("a"));
  });

  test.each(["export", "digest"])("%s ?ids= takes 1 to EXPORT_IDS_MAX valid record ids", async (route) => {
    const { a, t } = await withItems();
    expect((await a.get(t, route, `ids=${ids(EXPORT_IDS_MAX)}`)).status).toBe(200);
    for (const query of [`ids=${ids(EXPORT_IDS_MAX + 1)}`, "ids=a,,b", "ids=a,b%20c", "ids=a,.b", "ids="]) {
      const reply = await a.get(t, route, query);
      expect({ query, status: reply.status, detail: reply.json.detail }).toEqual({ query, status: 400, detail: `ids must be 1 to ${EXPORT_IDS_MAX} comma-separated record ids` });
    }
  });

  test("digest ?items= pages through each item's hash; ?ids= gives the named ones; both add up to the digest", async () => {
    const { a, t } = await withItems();
    const page1 = await a.get(t, "digest", "items=1&limit=2");
    const page2 = await a.get(t, "digest", `items=1&limit=2&cursor=${page1.json.next_cursor}`);
    const items = [...page1.json.items, ...page2.json.items];
    expect({ ids: items.map((i) => i.record_id), versions: items.map((i) => i.version), next: page2.json.next_cursor }).toEqual({ ids: ["a", "b", "c"], versions: [1, 1, 1], next: null });
    for (const item of items) expect(item.hash).toMatch(/^[0-9a-f]{64}$/);
    const sum = items.reduce((n, i) => (n + BigInt(`0x${i.hash}`)) % (1n << 256n), 0n);
    expect((await a.get(t, "digest")).json).toEqual({ tenant_id: t, count: 3, tombstones: 0, hash: sum.toString(16).padStart(64, "0") });
    expect((await a.get(t, "digest", "ids=c,zz,a")).json).toEqual({ items: [items[2], items[0]], next_cursor: null });
    expect((await a.get(t, "digest", "items=1&cursor=%21%21")).json.detail).toBe("cursor is not one this API handed out");
  });
});

describe("imports", () => {
  test("keep each item's versions, times and committing cell", async () => {
    const a = admin();
    const t = await a.tenant("importing", 2);
    const tombstone = { record_id: "gone", version: 4, deleted: true, updated_at: "2026-01-03T00:00:00.000Z", committed_by: "gamma" };
    expect((await a.post(t, "import", { items: [exported("kept", 3), tombstone] })).json).toEqual({ written: 2, skipped: 0 });
    expect(await a.store.getItem(t, "kept")).toEqual({ tenantId: t, recordId: "kept", version: 3, data: { id: "kept" }, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-02T00:00:00.000Z", committedBy: "beta" });
    expect(await a.store.getItem(t, "gone")).toEqual({ tenantId: t, recordId: "gone", version: 4, deleted: true, updatedAt: "2026-01-03T00:00:00.000Z", committedBy: "gamma" });
  });

  test.each<[string, unknown, string]>([
    ["items that are not a list", { items: { a: 1 } }, "items must be an array of exported items"],
    ["no items", {}, "items must be an array of exported items"],
    ["a bad second item", { items: [exported("a"), { ...exported("b"), version: 0 }] }, "items[1]: item 'b': version must be an integer of at least 1, got 0"],
  ])("%s is a 400 naming the item", async (_label, body, detail) => {
    const a = admin();
    const t = await a.tenant("importing", 2);
    const reply = await a.post(t, "import", body);
    expect({ status: reply.status, detail: reply.json.detail }).toEqual({ status: 400, detail });
  });

  test.each<[string, "active" | "none", string]>([
    ["an active tenant", "active", "is active here; imports go only into an 'importing' tenant"],
    ["a tenant the cell never held", "none", "is unknown here; imports go only into an 'importing' tenant"],
  ])("go only into an importing tenant, not %s", async (_label, state, detail) => {
    const a = admin();
    const t = state === "none" ? aTenantId("T") : await a.tenant(state);
    const reply = await a.post(t, "import", { items: [exported("a")] });
    expect({ status: reply.status, type: problemType(reply), detail: reply.json.detail }).toEqual({ status: 409, type: "ownership_state", detail: `tenant '${t}' ${detail}` });
  });

  test("a store that fails during an import is a 503, not a refusal", async () => {
    const store = new InMemoryTenantStore();
    const failing = new Proxy(store, {
      get: (target, prop, receiver) => (prop === "importItems" ? async () => Promise.reject(new StoreUnavailableError("timeout")) : Reflect.get(target, prop, receiver)),
    });
    const service = new AdminService({ cellId: "alpha", store: failing as TenantStore, clock: { now: () => 0 } });
    await expect(service.import("T-1", [exported("a")])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe("purges", () => {
  test("only a tenant that lives elsewhere, or never arrived, may be purged", async () => {
    const a = admin();
    const t = await a.tenant("fenced", 2);
    const reply = await a.post(t, "purge");
    expect({ status: reply.status, type: problemType(reply), detail: reply.json.detail }).toEqual({
      status: 409,
      type: "ownership_state",
      detail: `tenant '${t}' is fenced here; only a 'moved' or 'importing' tenant's data may be purged`,
    });
  });

  test("deletes in batches of the limit and says whether more is left", async () => {
    const a = admin();
    const t = await a.tenant("importing", 2);
    await a.post(t, "import", { items: ["a", "b", "c"].map((id) => exported(id)) });
    expect((await a.post(t, "purge", undefined, "limit=2")).json).toEqual({ tenant_id: t, deleted: 2, more: true });
    expect((await a.post(t, "purge", undefined, "limit=2")).json).toEqual({ tenant_id: t, deleted: 1, more: false });
  });
});

describe("the change stream", () => {
  test("lists the tenant's changes from a time on, at most the limit", async () => {
    const a = admin();
    const t = await a.tenant();
    for (const id of ["a", "b", "c"]) {
      await a.send({ method: "PUT", path: `/api/tenants/${t}/records/${id}`, body: JSON.stringify({ data: {} }) }, t);
      a.advance(1_000);
    }
    const all = (await a.get(t, "changes")).json;
    expect(all.tenant_id).toBe(t);
    expect(all.changes.map((c: { record_id: string }) => c.record_id)).toEqual(["a", "b", "c"]);
    const later = (await a.get(t, "changes", `since=${encodeURIComponent(all.changes[1].committed_at)}&limit=1`)).json.changes;
    expect(later.map((c: { record_id: string }) => c.record_id)).toEqual(["b"]);
  });
});

describe("exports by size", () => {
  const store = async (items: RecordItem[]) => {
    const s = new InMemoryTenantStore();
    await s.setOwnership(anOwnership("T-1", { state: "importing" }), undefined);
    await s.importItems("T-1", items);
    return new AdminService({ cellId: "alpha", store: s, clock: { now: () => 0 } });
  };
  const records = ["a", "b", "c"].map((recordId) => aRecord({ tenantId: "T-1", recordId, data: { pad: "x".repeat(100) } }));
  const size = JSON.stringify({ record_id: "a", version: 1, deleted: false, data: { pad: "x".repeat(100) }, created_at: records[0]!.createdAt, updated_at: records[0]!.updatedAt, committed_by: "alpha" }).length;

  test("a page stops growing once its JSON would pass the byte limit, and always holds one item", async () => {
    const service = await store(records);
    expect(await service.export("T-1", { limit: 10, full: true, maxBytes: 2 * size })).toEqual({ items: [expect.objectContaining({ record_id: "a" }), expect.objectContaining({ record_id: "b" })], lastId: "b" });
    expect(await service.export("T-1", { limit: 10, full: true, maxBytes: 2 * size - 1 })).toEqual({ items: [expect.objectContaining({ record_id: "a" })], lastId: "a" });
    expect(await service.export("T-1", { limit: 10, full: true, maxBytes: 1 })).toEqual({ items: [expect.objectContaining({ record_id: "a" })], lastId: "a" });
    expect(await service.export("T-1", { limit: 10, full: true, maxBytes: 3 * size })).toEqual({ items: [expect.anything(), expect.anything(), expect.anything()] });
  });

  test("a page of exactly the limit ends the export when nothing follows", async () => {
    const service = await store(records);
    expect(await service.export("T-1", { limit: 3, full: false, maxBytes: 1_000_000 })).toEqual({ items: expect.any(Array) });
    expect((await service.export("T-1", { limit: 2, full: false, maxBytes: 1_000_000 })).lastId).toBe("b");
  });
});

describe("digests", () => {
  test("canonical JSON sorts keys at every level and keeps arrays in order", () => {
    expect(canonicalJson({ b: 1, a: [3, { d: null, c: "x" }], e: { g: true, f: 1.5 } })).toBe('{"a":[3,{"c":"x","d":null}],"b":1,"e":{"f":1.5,"g":true}}');
    expect([canonicalJson(null), canonicalJson("s"), canonicalJson(2), canonicalJson([])]).toEqual(["null", '"s"', "2", "[]"]);
  });

  test("an item's line is its id, version, deletion and canonical data: known answers", async () => {
    const tombstone = aTombstone({ tenantId: "T-1", recordId: "r1", version: 1 });
    const record = aRecord({ tenantId: "T-1", recordId: "r2", version: 3, data: { b: 2, a: 1 } });
    const digest = new TenantDigest();
    await digest.add(tombstone);
    await digest.add(record);
    const expected = (BigInt(`0x${await sha256Hex("r1\n2\n1\n")}`) + BigInt(`0x${await sha256Hex('r2\n3\n0\n{"a":1,"b":2}')}`)) % (1n << 256n);
    expect({ count: digest.count, tombstones: digest.tombstones, hash: digest.hash }).toEqual({ count: 1, tombstones: 1, hash: expected.toString(16).padStart(64, "0") });
    expect(new TenantDigest().hash).toBe("0".repeat(64));
  });

  test("a tenant with more items than one store page is digested whole, whatever order its copies are read in", async () => {
    const many = Array.from({ length: 1200 }, (_, i) => aRecord({ tenantId: "T-1", recordId: `r${String(i).padStart(4, "0")}`, data: { i } }));
    const digestOf = async (items: RecordItem[]) => {
      const s = new InMemoryTenantStore();
      await s.setOwnership(anOwnership("T-1", { state: "importing" }), undefined);
      await s.importItems("T-1", items);
      return new AdminService({ cellId: "alpha", store: s, clock: { now: () => 0 } }).digest("T-1");
    };
    const forward = await digestOf(many);
    expect(forward).toEqual({ count: 1200, tombstones: 0, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await digestOf([...many].reverse())).hash).toBe(forward.hash);
    expect((await digestOf(many.slice(0, 1199))).hash).not.toBe(forward.hash);
    expect((await digestOf(many.slice(0, 250))).count).toBe(250);
  });
});
