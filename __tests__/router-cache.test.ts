import type { KVNamespace } from "@cloudflare/workers-types/index";
import type { CellEntry, TenantEntry } from "../contract";
import { CachedRegistry, RegistryCache } from "../router/cached-registry";
import { KvRegistry } from "../router/kv-registry";
import { found, malformed, notFound, unavailable, type Lookup, type Registry } from "../router/registry";

const tenant = (tenantId: string, cellId = "alpha"): TenantEntry => ({ v: 1, tenantId, cellId, status: "active", epoch: 1 });
const cell = (cellId: string): CellEntry => ({ v: 1, cellId, cloud: "aws", region: "us-east-1", url: `https://${cellId}.example.com`, status: "active" });

/** A registry whose answers a test sets, counting every read (what a KV read would cost). */
class FakeRegistry implements Registry {
  readonly tenants = new Map<string, Lookup<TenantEntry>>();
  readonly cells = new Map<string, Lookup<CellEntry>>();
  reads = 0;
  async tenant(id: string) {
    this.reads++;
    return this.tenants.get(id) ?? notFound;
  }
  async cell(id: string) {
    this.reads++;
    return this.cells.get(id) ?? notFound;
  }
}

function setup(options: { ttlMs?: number; negativeTtlMs?: number; maxStaleMs?: number; maxEntries?: number; maxNegativeEntries?: number; snapshot?: Registry } = {}) {
  let now = 1_000_000;
  const inner = new FakeRegistry();
  const cache = new RegistryCache({
    ttlMs: options.ttlMs ?? 1000,
    negativeTtlMs: options.negativeTtlMs ?? 100,
    maxStaleMs: options.maxStaleMs,
    maxEntries: options.maxEntries,
    maxNegativeEntries: options.maxNegativeEntries,
    now: () => now,
  });
  return { inner, cache, registry: new CachedRegistry(inner, cache, options.snapshot), advance: (ms: number) => void (now += ms) };
}

describe("cached registry", () => {
  test("a found entry is read once per TTL, then read again", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000 });
    inner.tenants.set("T-1", found(tenant("T-1")));
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "kv"));
    for (let i = 0; i < 4; i++) expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "cache"));
    expect(inner.reads).toBe(1);

    inner.tenants.set("T-1", found(tenant("T-1", "beta")));
    advance(999);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "cache"));
    advance(1);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1", "beta"), "kv"));
    expect(inner.reads).toBe(2);
  });

  test("tenants and cells are cached under their own keys", async () => {
    const { inner, registry } = setup();
    inner.tenants.set("alpha", found(tenant("alpha")));
    inner.cells.set("alpha", found(cell("alpha")));
    expect(await registry.tenant("alpha")).toEqual(found(tenant("alpha"), "kv"));
    expect(await registry.cell("alpha")).toEqual(found(cell("alpha"), "kv"));
    expect(inner.reads).toBe(2);
  });

  test("not found is cached for the shorter negative TTL only", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000, negativeTtlMs: 100 });
    expect(await registry.tenant("T-new")).toEqual(notFound);
    inner.tenants.set("T-new", found(tenant("T-new")));
    advance(99);
    expect(await registry.tenant("T-new")).toEqual(notFound);
    expect(inner.reads).toBe(1);
    advance(1);
    expect(await registry.tenant("T-new")).toEqual(found(tenant("T-new"), "kv"));
    expect(inner.reads).toBe(2);
  });

  test("a malformed entry is cached for the negative TTL, not the long one", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000, negativeTtlMs: 100 });
    inner.cells.set("alpha", malformed("bad"));
    expect(await registry.cell("alpha")).toEqual(malformed("bad"));
    expect(await registry.cell("alpha")).toEqual(malformed("bad"));
    expect(inner.reads).toBe(1);
    inner.cells.set("alpha", found(cell("alpha")));
    advance(100);
    expect(await registry.cell("alpha")).toEqual(found(cell("alpha"), "kv"));
  });

  test("an unreadable store is never cached; after a failure KV is left alone for one TTL", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000 });
    inner.tenants.set("T-1", unavailable("kv down"));
    expect(await registry.tenant("T-1")).toEqual({ kind: "unavailable", error: expect.stringContaining("kv down") });
    expect(await registry.tenant("T-1")).toEqual({ kind: "unavailable", error: expect.stringContaining("KV failed moments ago") });
    expect(inner.reads).toBe(1);
    advance(1000);
    await registry.tenant("T-1");
    expect(inner.reads).toBe(2);
  });

  test("TTL 0 turns caching off", async () => {
    const { inner, registry } = setup({ ttlMs: 0, negativeTtlMs: 0 });
    inner.tenants.set("T-1", found(tenant("T-1")));
    await registry.tenant("T-1");
    await registry.tenant("T-1");
    await registry.tenant("T-unknown");
    await registry.tenant("T-unknown");
    expect(inner.reads).toBe(4);
  });

  test("size is bounded: the least recently used entry goes first", async () => {
    const { inner, cache, registry } = setup({ maxEntries: 2 });
    for (const id of ["T-a", "T-b", "T-c"]) inner.tenants.set(id, found(tenant(id)));
    await registry.tenant("T-a");
    await registry.tenant("T-b");
    await registry.tenant("T-a"); // T-a is now the most recently used
    await registry.tenant("T-c"); // evicts T-b
    expect(cache.size.positive).toBe(2);
    inner.reads = 0;
    await registry.tenant("T-a");
    await registry.tenant("T-c");
    expect(inner.reads).toBe(0);
    await registry.tenant("T-b");
    expect(inner.reads).toBe(1);
  });

  test("unknown ids fill a separate, bounded pool and cannot evict hot tenants", async () => {
    const { inner, cache, registry } = setup({ maxEntries: 2, maxNegativeEntries: 3 });
    inner.tenants.set("T-hot", found(tenant("T-hot")));
    await registry.tenant("T-hot");
    for (let i = 0; i < 50; i++) await registry.tenant(`T-probe-${i}`);
    expect(cache.size).toEqual({ positive: 1, negative: 3 });
    inner.reads = 0;
    await registry.tenant("T-hot");
    expect(inner.reads).toBe(0);
  });

  test("a tenant that appears replaces its negative entry, and one that disappears its positive one", async () => {
    const { inner, cache } = setup({ ttlMs: 1000, negativeTtlMs: 1000 });
    cache.put("tenant:T-1", notFound);
    cache.put("tenant:T-1", found(tenant("T-1")));
    expect(cache.get("tenant:T-1")).toEqual(found(tenant("T-1")));
    cache.put("tenant:T-1", notFound);
    expect(cache.get("tenant:T-1")).toEqual(notFound);
    expect(cache.size).toEqual({ positive: 0, negative: 1 });
    expect(inner.reads).toBe(0);
  });
});

describe("static stability", () => {
  const snapshotOf = (tenants: Record<string, Lookup<TenantEntry>>, cells: Record<string, Lookup<CellEntry>> = {}): Registry => ({
    tenant: async (id) => tenants[id] ?? notFound,
    cell: async (id) => cells[id] ?? notFound,
  });

  test("KV failing: the last known good entry answers while it is no older than maxStaleMs", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000, maxStaleMs: 5000 });
    inner.tenants.set("T-1", found(tenant("T-1")));
    await registry.tenant("T-1");
    inner.tenants.set("T-1", unavailable("kv down"));
    advance(1000);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "stale"));
    advance(4000);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "stale"));
    advance(1);
    expect(await registry.tenant("T-1")).toEqual({ kind: "unavailable", error: expect.stringMatching(/no last known good entry and none in the snapshot/) });
  });

  test("KV failing for a cell, with no snapshot and nothing cached: the failure, not an exception", async () => {
    const { inner, registry } = setup();
    inner.cells.set("alpha", unavailable("kv down"));
    expect(await registry.cell("alpha")).toEqual({ kind: "unavailable", error: "kv down; no last known good entry and none in the snapshot" });
    expect(await registry.cell("beta")).toEqual({ kind: "unavailable", error: "KV failed moments ago; 'cell:beta' not read; no last known good entry and none in the snapshot" });
  });

  test("KV failing and nothing cached: the snapshot answers; a malformed snapshot entry is reported", async () => {
    const snapshot = snapshotOf({ "T-1": found(tenant("T-1")), "T-BAD": malformed("snapshot 'tenant:T-BAD': bad") });
    const { inner, registry, advance } = setup({ maxStaleMs: 5000, snapshot });
    for (const id of ["T-1", "T-2", "T-BAD"]) inner.tenants.set(id, unavailable("kv down"));
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1"), "snapshot"));
    advance(5000);
    expect(await registry.tenant("T-2")).toEqual({ kind: "unavailable", error: expect.stringMatching(/none in the snapshot/) });
    advance(5000);
    expect(await registry.tenant("T-BAD")).toEqual({ kind: "unavailable", error: expect.stringMatching(/snapshot 'tenant:T-BAD': bad/) });
  });

  test("a newer last known good entry wins over the snapshot", async () => {
    const snapshot = snapshotOf({ "T-1": found(tenant("T-1", "alpha")) });
    const { inner, registry, advance } = setup({ maxStaleMs: 5000, snapshot });
    inner.tenants.set("T-1", found(tenant("T-1", "beta")));
    await registry.tenant("T-1");
    inner.tenants.set("T-1", unavailable("kv down"));
    advance(1000);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1", "beta"), "stale"));
  });

  test("with maxStaleMs 0 nothing stale is served, and TTL 0 keeps nothing", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000, maxStaleMs: 0 });
    inner.tenants.set("T-1", found(tenant("T-1")));
    await registry.tenant("T-1");
    inner.tenants.set("T-1", unavailable("kv down"));
    advance(1000);
    expect((await registry.tenant("T-1")).kind).toBe("unavailable");
  });

  test("a tenant KV says is gone is gone: no stale answer survives a not-found", async () => {
    const { inner, registry, advance } = setup({ ttlMs: 1000, negativeTtlMs: 10, maxStaleMs: 60_000 });
    inner.tenants.set("T-1", found(tenant("T-1")));
    await registry.tenant("T-1");
    inner.tenants.delete("T-1");
    advance(1000);
    expect(await registry.tenant("T-1")).toEqual(notFound);
    inner.tenants.set("T-1", unavailable("kv down"));
    advance(10);
    expect((await registry.tenant("T-1")).kind).toBe("unavailable");
  });
});

describe("KV registry", () => {
  const kv = (values: Record<string, string>, fail = false) =>
    ({
      get: async (key: string) => {
        if (fail) throw new Error("KV GET failed: 500");
        return values[key] ?? null;
      },
    }) as unknown as KVNamespace;
  const local = { allowLoopbackHttp: true };
  const cloud = { allowLoopbackHttp: false };

  test("parses entries with the contract's strict parsers", async () => {
    const registry = new KvRegistry(kv({ "tenant:T-1": JSON.stringify(tenant("T-1")), "cell:alpha": JSON.stringify(cell("alpha")) }), cloud);
    expect(await registry.tenant("T-1")).toEqual(found(tenant("T-1")));
    expect(await registry.cell("alpha")).toEqual(found(cell("alpha")));
    expect(await registry.tenant("T-2")).toEqual(notFound);
  });

  test.each([
    ["not JSON", "tenant:T-1", "{", "tenant", /'tenant:T-1': tenant entry is not valid JSON/],
    ["naming another tenant", "tenant:T-1", JSON.stringify(tenant("T-9")), "tenant", /names tenant 'T-9'/],
    ["of another version", "cell:alpha", JSON.stringify({ ...cell("alpha"), v: 2 }), "cell", /v must be 1/],
    ["naming another cell", "cell:alpha", JSON.stringify(cell("beta")), "cell", /names cell 'beta'/],
  ])("an entry %s is malformed", async (_label, key, value, kind, error) => {
    const registry = new KvRegistry(kv({ [key]: value }), local);
    const result = kind === "tenant" ? await registry.tenant("T-1") : await registry.cell("alpha");
    expect(result).toEqual({ kind: "malformed", error: expect.stringMatching(error) });
  });

  test("the URL policy follows the mode: loopback http is malformed in the cloud, fine locally", async () => {
    const entry = JSON.stringify({ ...cell("alpha"), url: "http://127.0.0.1:8080" });
    expect((await new KvRegistry(kv({ "cell:alpha": entry }), cloud).cell("alpha")).kind).toBe("malformed");
    expect((await new KvRegistry(kv({ "cell:alpha": entry }), local).cell("alpha")).kind).toBe("found");
  });

  test("a failing KV read is 'unavailable', not an exception", async () => {
    expect(await new KvRegistry(kv({}, true), cloud).tenant("T-1")).toEqual({ kind: "unavailable", error: expect.stringContaining("KV GET failed") });
  });

  test("a KV read that takes longer than the read timeout is 'unavailable'", async () => {
    const hanging = { get: () => new Promise(() => undefined) } as unknown as KVNamespace;
    expect(await new KvRegistry(hanging, cloud, 20).tenant("T-1")).toEqual({ kind: "unavailable", error: expect.stringContaining("no answer within 20 ms") });
  });
});
