import { TOPOLOGY, type Topology } from "../topology";
import { synthApp } from "./support/app";

/**
 * The registry snapshot as the edge stack deploys it (a synth, so kept apart from the snapshot's unit
 * tests in `router-snapshot.test.ts`, which the mutation run uses).
 */

const manyTenants = (n: number) => Array.from({ length: n }, (_, i) => ({ tenantId: `T-${1000 + i}`, cellId: i % 2 === 0 ? "alpha" : "beta" }));

describe("the edge stack deploys the snapshot with the script", () => {
  const snapshotBindingsOf = (topology: Topology) =>
    (Object.values<any>(synthApp(topology).stacks.edge.resource.cloudflare_workers_script)[0].bindings as any[]).filter((b) => b.name.startsWith("REGISTRY_SNAPSHOT_"));

  test("as plain_text bindings whose text is jsonencode of the KV entries, cell URLs resolved at apply time", () => {
    const [part, ...rest] = snapshotBindingsOf(TOPOLOGY);
    expect(rest).toEqual([]);
    expect(part.type).toBe("plain_text");
    expect(part.text).toMatch(/^\$\{jsonencode\(\{"cell:alpha" = \{"v" = 1, "cellId" = "alpha", "cloud" = "aws", "region" = "us-east-1", "url" = data\.terraform_remote_state\.cross-stack-reference-input-cell-alpha\.outputs\.[^,]+api_endpoint, /);
    expect(part.text).toContain('"url" = "https://${data.terraform_remote_state.cross-stack-reference-input-cell-beta.outputs.');
    expect(part.text).toContain('"tenant:T-200" = {"v" = 1, "tenantId" = "T-200", "cellId" = "beta", "status" = "active", "epoch" = 1}');
  });

  test("a topology with hundreds of tenants gets several parts", () => {
    const big: Topology = { cells: TOPOLOGY.cells.map((c) => ({ ...c, capacity: 300 })), tenants: manyTenants(300).map((t) => ({ ...t, cellId: t.cellId === "alpha" ? "alpha" : "beta" })) };
    const parts = snapshotBindingsOf(big);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.name)).toEqual(parts.map((_, i) => `REGISTRY_SNAPSHOT_${i + 1}`));
  });
});
