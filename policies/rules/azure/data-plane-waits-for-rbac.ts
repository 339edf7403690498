import type { PolicyRule } from "../../engine";

/** Resource types whose creation is a data-plane call authorized by a role assignment made in the same apply. */
const DATA_PLANE_WRITES = ["azurerm_key_vault_secret", "azurerm_storage_blob"] as const;
const ROLE_ASSIGNMENT = /^azurerm_(role_assignment|cosmosdb_sql_role_assignment)\./;

/**
 * Terraform's own data-plane writes (Key Vault secrets, blobs) wait for the role assignments that
 * authorize them to propagate: they depend on a `time_sleep` with a `create_duration` that depends on
 * those role assignments. Depending on the role assignment alone is not enough: Azure RBAC takes
 * minutes to take effect, and azurerm does not retry the 403 of its existence check.
 */
export const dataPlaneWaitsForRbac: readonly PolicyRule[] = DATA_PLANE_WRITES.map((resourceType) => ({
  id: "AZ-RBAC-1",
  description: "Key Vault secrets and storage blobs written by Terraform depend on a time_sleep that waits for their role assignments to propagate.",
  resourceType,
  check(resource, context) {
    const dependsOn = Array.isArray(resource.depends_on) ? (resource.depends_on as string[]) : [];
    const sleeps = dependsOn.filter((d) => d.startsWith("time_sleep.")).map((d) => context.resources.time_sleep?.[d.slice("time_sleep.".length)]);
    const waits = sleeps.filter((s): s is Record<string, unknown> => {
      if (s === undefined || typeof s.create_duration !== "string" || s.create_duration === "") return false;
      return Array.isArray(s.depends_on) && (s.depends_on as string[]).some((d) => ROLE_ASSIGNMENT.test(d));
    });
    return waits.length > 0
      ? undefined
      : "depends_on must include a time_sleep (with create_duration) that depends on the role assignments authorizing this write; RBAC takes minutes to propagate";
  },
}));
