import { buildRegistryEntries, type CellPlacement, type TenantPlacement } from "../contract";
import { found, notFound } from "../router/registry";
import { SNAPSHOT_PART_MAX_BYTES, SnapshotRegistry, loadSnapshot, snapshotBindings, snapshotOf, snapshotParts } from "../router/snapshot";

/** The registry snapshot the Worker carries for when KV fails: built from the KV entries, split under Cloudflare's 5 KB per variable. */

const cells: CellPlacement[] = [
  { cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://alpha.example.com" },
  { cellId: "beta", cloud: "azure", region: "eastus", url: "https://beta.example.com" },
];
const manyTenants = (n: number): TenantPlacement[] => Array.from({ length: n }, (_, i) => ({ tenantId: `T-${1000 + i}`, cellId: i % 2 === 0 ? "alpha" : "beta" }));

describe("snapshot parts", () => {
  test("a small registry is one part holding every entry as an object", () => {
    const bindings = snapshotBindings(buildRegistryEntries(cells, [{ tenantId: "T-100", cellId: "alpha" }]));
    expect(Object.keys(bindings)).toEqual(["REGISTRY_SNAPSHOT_1"]);
    expect(JSON.parse(bindings.REGISTRY_SNAPSHOT_1!)).toEqual({
      "cell:alpha": { v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://alpha.example.com", status: "active" },
      "cell:beta": expect.objectContaining({ cellId: "beta" }),
      "tenant:T-100": { v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 },
    });
  });

  test("a large registry is split into parts that each stay under the limit, losing nothing", () => {
    const records = buildRegistryEntries(cells, manyTenants(400));
    const bindings = snapshotBindings(records);
    expect(Object.keys(bindings).length).toBeGreaterThan(1);
    for (const text of Object.values(bindings)) expect(text.length).toBeLessThanOrEqual(SNAPSHOT_PART_MAX_BYTES);
    const loaded = loadSnapshot(bindings);
    expect(loaded.entries.size).toBe(records.length);
    expect(loaded.errors).toEqual([]);
  });

  test("parts are sized by the estimate, not by the token text", () => {
    const snapshot = { "cell:a": { url: "${TOKEN}" }, "cell:b": { url: "${TOKEN}" } };
    const sized = { "cell:a": { url: "x".repeat(60) }, "cell:b": { url: "x".repeat(60) } };
    expect(snapshotParts(snapshot, snapshot, 100)).toHaveLength(1);
    expect(snapshotParts(snapshot, sized, 100)).toHaveLength(2);
    expect(() => snapshotParts(snapshot, sized, 50)).toThrow(/'cell:a' alone is \d+ bytes/);
  });
});

describe("the snapshot as a registry", () => {
  const records = buildRegistryEntries([...cells, { cellId: "local", cloud: "aws", region: "x", url: "http://127.0.0.1:9" }], [{ tenantId: "T-100", cellId: "alpha" }]);
  const registry = (allowLoopbackHttp = false) => new SnapshotRegistry(loadSnapshot(snapshotBindings(records)), { allowLoopbackHttp });

  test("answers with the contract's parsers", async () => {
    expect(await registry().tenant("T-100")).toEqual(found({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 }));
    expect(await registry().cell("beta")).toEqual(found(expect.objectContaining({ cellId: "beta", url: "https://beta.example.com" })));
    expect(await registry().tenant("T-999")).toEqual(notFound);
    expect(registry().size).toBe(records.length);
  });

  test("the URL policy applies: loopback http only in local mode", async () => {
    expect((await registry(false).cell("local")).kind).toBe("malformed");
    expect((await registry(true).cell("local")).kind).toBe("found");
  });

  test("parts are read in order; a part that is not JSON is reported and skipped", () => {
    const loaded = loadSnapshot({ REGISTRY_SNAPSHOT_2: '{"tenant:T-1":{"v":2}}', REGISTRY_SNAPSHOT_1: '{"tenant:T-1":{"v":1}}', REGISTRY_SNAPSHOT_3: "{oops" });
    expect(loaded.entries.get("tenant:T-1")).toBe('{"v":2}');
    expect(loaded.errors).toEqual(["REGISTRY_SNAPSHOT_3 is not a JSON object"]);
  });

  test("snapshotOf keeps the entries KV holds, as objects", () => {
    expect(snapshotOf([{ key: "tenant:T-1", value: '{"v":1}' }])).toEqual({ "tenant:T-1": { v: 1 } });
  });
});
