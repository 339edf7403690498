import type { TenantPlacement } from "../../contract";
import { startLocalRouter, type LocalRouter } from "../../sandbox/router";
import type { Sandbox } from "../../sandbox/sandbox";

/**
 * A second router in front of a sandbox's cells with a KV of its own, seeded like the sandbox's and
 * never updated, and a five-minute registry cache: an edge location whose view of the registry stays
 * stale for a whole test. It reaches a tenant's new owner only through the cells' `tenant_moved`.
 */
export function startStaleRouter(sandbox: Sandbox, tenants: readonly TenantPlacement[], options: { readonly breakerCooldownMs?: number } = {}): Promise<LocalRouter> {
  const cells = Object.values(sandbox.cells);
  return startLocalRouter({
    port: 0,
    cells: cells.map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: "local", url: c.url })),
    tenants,
    keys: Object.fromEntries(cells.map((c) => [c.cellId, c.key])),
    registryCacheTtlMs: 300_000,
    ...(options.breakerCooldownMs === undefined ? {} : { breakerCooldownMs: options.breakerCooldownMs }),
    auth: sandbox.auth,
  });
}
