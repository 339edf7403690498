import type { KVNamespace } from "@cloudflare/workers-types/index";
import { EDGE_LATENCY_BUCKETS_MS, type CellEntry, type TenantEntry } from "../contract";
import { CachedRegistry, RegistryCache } from "../router/cached-registry";
import { bindingKeyLookup } from "../router/cell-keys";
import { CellStats, type CellCall } from "../router/cell-stats";
import { CircuitBreaker } from "../router/circuit-breaker";
import { KvRegistry } from "../router/kv-registry";
import { formatRequestLog } from "../router/log";
import { MovedTenants } from "../router/moved-tenants";
import { found, malformed, notFound, unavailable, type Lookup, type Registry } from "../router/registry";
import { SnapshotRegistry, loadSnapshot, snapshotParts } from "../router/snapshot";

/**
 * What the router keeps and reads besides KV at its edges: the registry cache's lifetimes, KV reads,
 * the deployed snapshot, per-cell figures and breakers, learned placements and cell key bindings.
 */

const tenant = (tenantId: string, cellId = "alpha"): TenantEntry => ({ v: 1, tenantId, cellId, status: "active", epoch: 1 });
const cell = (cellId: string): CellEntry => ({ v: 1, cellId, cloud: "aws", region: "us-east-1", url: `https://${cellId}.example.com`, status: "active" });

/** A registry whose answers the test sets per key. */
function registry(answers: Record<string, Lookup<TenantEntry> | Lookup<CellEntry>> = {}): Registry & { answers: typeof answers } {
  return {
    answers,
    tenant: async (id) => (answers[`tenant:${id}`] as Lookup<TenantEntry>) ?? notFound,
    cell: async (id) => (answers[`cell:${id}`] as Lookup<CellEntry>) ?? notFound,
  };
}

describe("the registry cache's lifetimes", () => {
  function setup(options: { ttlMs: number; negativeTtlMs: number; maxStaleMs?: number; maxEntries?: number }, snapshot?: Registry) {
    let now = 1_000_000;
    const kv = registry();
    const cache = new RegistryCache({ ...options, now: () => now });
    return { kv, cache, cached: new CachedRegistry(kv, cache, snapshot), advance: (ms: number) => void (now += ms) };
  }

  test("with no TTL but a maximum staleness, a found entry is kept only to answer when KV fails", async () => {
    const { kv, cache, cached, advance } = setup({ ttlMs: 0, negativeTtlMs: 0, maxStaleMs: 1_000 });
    kv.answers["tenant:T-1"] = found(tenant("T-1"));
    expect(await cached.tenant("T-1")).toEqual(found(tenant("T-1"), "kv"));
    expect(cache.size).toEqual({ positive: 1, negative: 0 });
    kv.answers["tenant:T-1"] = unavailable("kv down");
    advance(1);
    expect(await cached.tenant("T-1")).toEqual(found(tenant("T-1"), "stale"));
  });

  test("with neither TTL nor staleness nothing is kept, so a failing KV has nothing stale to give", async () => {
    const { kv, cache, cached } = setup({ ttlMs: 0, negativeTtlMs: 0, maxStaleMs: 0 });
    kv.answers["tenant:T-1"] = found(tenant("T-1"));
    await cached.tenant("T-1");
    expect(cache.size).toEqual({ positive: 0, negative: 0 });
    kv.answers["tenant:T-1"] = unavailable("kv down");
    expect((await cached.tenant("T-1")).kind).toBe("unavailable");
  });

  test("with no negative TTL, not-found and malformed answers are not kept", async () => {
    const { kv, cache, cached } = setup({ ttlMs: 1_000, negativeTtlMs: 0 });
    kv.answers["cell:alpha"] = malformed("bad");
    await cached.tenant("T-1");
    await cached.cell("alpha");
    expect(cache.size).toEqual({ positive: 0, negative: 0 });
  });

  test("an unavailable answer is never kept, and leaves what is kept alone", () => {
    const { cache } = setup({ ttlMs: 1_000, negativeTtlMs: 1_000, maxStaleMs: 5_000 });
    cache.put("tenant:T-1", found(tenant("T-1")));
    cache.put("tenant:T-2", notFound);
    cache.put("tenant:T-1", unavailable("kv down"));
    cache.put("tenant:T-2", unavailable("kv down"));
    expect(cache.size).toEqual({ positive: 1, negative: 1 });
    expect(cache.get("tenant:T-1")).toEqual(found(tenant("T-1")));
  });

  test("a cache of no entries keeps none", () => {
    const { cache } = setup({ ttlMs: 1_000, negativeTtlMs: 1_000, maxEntries: 0 });
    cache.put("tenant:T-1", found(tenant("T-1")));
    expect(cache.size.positive).toBe(0);
  });

  test("a cell's entry falls back to the snapshot too", async () => {
    const snapshot = registry({ "cell:alpha": found(cell("alpha")) });
    const { kv, cached } = setup({ ttlMs: 1_000, negativeTtlMs: 100 }, snapshot);
    kv.answers["cell:alpha"] = unavailable("kv down");
    expect(await cached.cell("alpha")).toEqual(found(cell("alpha"), "snapshot"));
  });
});

describe("KV reads", () => {
  test("read text, and wait as long as KV takes when there is no read timeout", async () => {
    const asked: unknown[][] = [];
    const slow = { get: (...args: unknown[]) => (asked.push(args), new Promise((resolve) => setTimeout(() => resolve(JSON.stringify(tenant("T-1"))), 20))) } as unknown as KVNamespace;
    expect(await new KvRegistry(slow, { allowLoopbackHttp: false }).tenant("T-1")).toEqual(found(tenant("T-1")));
    expect(asked).toEqual([["tenant:T-1", "text"]]);
  });

  test("an answer within the read timeout is used", async () => {
    const quick = { get: () => new Promise((resolve) => setTimeout(() => resolve(null), 5)) } as unknown as KVNamespace;
    expect(await new KvRegistry(quick, { allowLoopbackHttp: false }, 1_000).cell("alpha")).toEqual(notFound);
  });
});

describe("the deployed snapshot", () => {
  test("an entry of exactly a part's size fits; one byte more is refused", () => {
    const entry = { k: "v" };
    const size = JSON.stringify("cell:a").length + 1 + JSON.stringify(entry).length + 1;
    expect(snapshotParts({ "cell:a": entry }, undefined, size + 2)).toEqual([{ "cell:a": entry }]);
    expect(() => snapshotParts({ "cell:a": entry }, undefined, size + 1)).toThrow(`registry snapshot entry 'cell:a' alone is ${size} bytes, over the ${size + 1} bytes of one part`);
  });

  test("a part is filled up to exactly its size before the next begins; no part is empty", () => {
    const entry = { k: "v" };
    const size = JSON.stringify("cell:a").length + 1 + JSON.stringify(entry).length + 1;
    expect(snapshotParts({ "cell:a": entry, "cell:b": entry }, undefined, 2 + 2 * size)).toHaveLength(1);
    expect(snapshotParts({ "cell:a": entry, "cell:b": entry }, undefined, 1 + 2 * size)).toHaveLength(2);
    expect(snapshotParts({})).toEqual([]);
  });

  test("only snapshot bindings are read; a part that is null or a list is reported", async () => {
    const loaded = loadSnapshot({
      REGISTRY: "{}",
      CELL_KEY_ALPHA: '{"keyId":"alpha-v1","secret":"s"}',
      REGISTRY_SNAPSHOT_1: JSON.stringify({ "tenant:T-1": tenant("T-1") }),
      REGISTRY_SNAPSHOT_2: "null",
      REGISTRY_SNAPSHOT_3: "[]",
    } as never);
    expect({ keys: [...loaded.entries.keys()], errors: loaded.errors }).toEqual({
      keys: ["tenant:T-1"],
      errors: ["REGISTRY_SNAPSHOT_2 is not a JSON object", "REGISTRY_SNAPSHOT_3 is not a JSON object"],
    });
    const malformedEntry = new SnapshotRegistry(loadSnapshot({ REGISTRY_SNAPSHOT_1: JSON.stringify({ "tenant:T-1": { v: 2 } }) }), { allowLoopbackHttp: false });
    expect(await malformedEntry.tenant("T-1")).toEqual(malformed("snapshot 'tenant:T-1': tenant entry v must be 1, got 2"));
  });
});

describe("per-cell figures", () => {
  const call = (overrides: Partial<CellCall> = {}): CellCall => ({ cellId: "alpha", cloud: "aws", kind: "call", status: 200, latencyMs: 1, error: false, timeout: false, ...overrides });
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, probeTimeoutMs: 5_000 });

  test("a latency on a bucket's bound counts in that bucket; past the last bound in the overflow bucket", () => {
    const stats = new CellStats();
    for (const latencyMs of [0, 1, 1.5, 2, 60_000, 60_001]) stats.record(call({ latencyMs }), 0);
    const histogram = stats.report(0, breaker()).cells[0]!.latencyMs.histogram;
    expect(histogram).toHaveLength(EDGE_LATENCY_BUCKETS_MS.length + 1);
    expect([histogram[0], histogram[1], histogram[EDGE_LATENCY_BUCKETS_MS.length - 1], histogram[EDGE_LATENCY_BUCKETS_MS.length]]).toEqual([2, 2, 1, 1]);
  });

  test("cells are reported in id order, whatever order they were seen in", () => {
    const stats = new CellStats();
    stats.record(call({ cellId: "gamma" }), 0);
    stats.record(call({ cellId: "alpha" }), 0);
    stats.record(call({ cellId: "beta" }), 0);
    expect(stats.report(0, breaker()).cells.map((c) => c.cellId)).toEqual(["alpha", "beta", "gamma"]);
  });

  test("calls in one slot add up", () => {
    const stats = new CellStats({ slots: 2, slotMs: 100 });
    for (let i = 0; i < 3; i++) stats.record(call(), 10 + i);
    stats.record(call({ kind: "shed" }), 50);
    expect(stats.report(99, breaker()).cells[0]).toEqual(expect.objectContaining({ requests: 3, shed: 1 }));
  });
});

describe("breakers", () => {
  test("a cell whose failures were cleared by a success is forgotten", () => {
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000, probeTimeoutMs: 5_000 });
    b.record("alpha", false, { probe: false }, 0);
    expect(b.cellIds()).toEqual(["alpha"]);
    b.record("alpha", true, { probe: false }, 1);
    expect(b.cellIds()).toEqual([]);
    b.record("beta", true, { probe: false }, 1);
    expect(b.cellIds()).toEqual([]);
  });
});

describe("learned placements", () => {
  test("any epoch is newer than nothing known, epoch 0 included", () => {
    const moves = new MovedTenants();
    expect(moves.learn("T-1", "beta", 0)).toBe(true);
    expect(moves.newerThan("T-1", undefined)).toEqual(expect.objectContaining({ cellId: "beta", epoch: 0 }));
  });

  test("a memory of two keeps two", () => {
    const moves = new MovedTenants(2);
    moves.learn("T-1", "beta", 2);
    moves.learn("T-2", "beta", 2);
    expect([moves.size, moves.newerThan("T-1", 1)?.cellId, moves.newerThan("T-2", 1)?.cellId]).toEqual([2, "beta", "beta"]);
  });
});

describe("cell key bindings", () => {
  test.each<[string, unknown, string]>([
    ["missing", undefined, "no key binding CELL_KEY_ALPHA for cell 'alpha'"],
    ["null", null, "no key binding CELL_KEY_ALPHA for cell 'alpha'"],
    ["a number", 7, "key binding CELL_KEY_ALPHA is not a string"],
    ["JSON null", "null", "key binding CELL_KEY_ALPHA has no keyId matching /^[a-z0-9][a-z0-9._-]{0,63}$/"],
    ["without a secret", JSON.stringify({ keyId: "alpha-v1" }), "key binding CELL_KEY_ALPHA has no secret"],
    ["with an empty secret", JSON.stringify({ keyId: "alpha-v1", secret: "" }), "key binding CELL_KEY_ALPHA has no secret"],
    ["with a secret that is a number", JSON.stringify({ keyId: "alpha-v1", secret: 12345 }), "key binding CELL_KEY_ALPHA has no secret"],
  ])("a binding that is %s is refused, naming the binding only", (_label, value, error) => {
    expect(bindingKeyLookup({ CELL_KEY_ALPHA: value } as never)("alpha")).toEqual({ ok: false, error });
  });

  test("a one-character secret is a secret", () => {
    expect(bindingKeyLookup({ CELL_KEY_ALPHA: JSON.stringify({ keyId: "alpha-v1", secret: "s" }) })("alpha")).toEqual({ ok: true, value: { keyId: "alpha-v1", secret: "s" } });
  });
});

describe("log lines", () => {
  test("one JSON object per request, its message first", () => {
    const line = formatRequestLog({ requestId: "r-1", method: "GET", path: "/x", tenantId: null, cellId: null, cloud: null, status: 404, outcome: "rejected", durationMs: 3 });
    expect(line).toBe('{"msg":"edge.request","requestId":"r-1","method":"GET","path":"/x","tenantId":null,"cellId":null,"cloud":null,"status":404,"outcome":"rejected","durationMs":3}');
  });
});
