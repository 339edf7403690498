import { block, referenceTo, type PolicyContext, type PolicyRule } from "../../engine";

/**
 * The categories (or category groups) a resource's diagnostic setting must send to a Log Analytics
 * workspace; a setting counts when it targets the resource and names a workspace.
 */
function missingLogs(context: PolicyContext, target: string, required: ReadonlyArray<{ category: string; groups: readonly string[] }>): string[] {
  const settings = Object.values(context.resources.azurerm_monitor_diagnostic_setting ?? {}).filter(
    (d) => d.target_resource_id === target && typeof d.log_analytics_workspace_id === "string" && d.log_analytics_workspace_id !== "",
  );
  const enabled = settings.flatMap((d) => (Array.isArray(d.enabled_log) ? d.enabled_log : d.enabled_log === undefined ? [] : [d.enabled_log]).map((l) => block(l) ?? {}));
  return required
    .filter(({ category, groups }) => !enabled.some((l) => l.category === category || (typeof l.category_group === "string" && groups.includes(l.category_group))))
    .map(({ category }) => category);
}

const diagnosticsRule = (
  id: string,
  resourceType: string,
  what: string,
  required: ReadonlyArray<{ category: string; groups: readonly string[] }>,
  target: (name: string) => string = (name) => referenceTo(resourceType, name, "id"),
): PolicyRule => ({
  id,
  description: `${what} go to a Log Analytics workspace through a diagnostic setting (${required.map((r) => r.category).join(", ")}).`,
  resourceType,
  check(_resource, context) {
    if (context.name === undefined) return undefined;
    const missing = missingLogs(context, target(context.name), required);
    return missing.length === 0 ? undefined : `no azurerm_monitor_diagnostic_setting sends ${missing.join(", ")} of this resource to a Log Analytics workspace`;
  },
});

/** Who read which secret, when: Key Vault's audit events. */
export const keyVaultAuditLogs = diagnosticsRule("AZ-MON-1", "azurerm_key_vault", "Key Vault audit events", [{ category: "AuditEvent", groups: ["audit", "allLogs"] }]);

/** Account and container changes (control plane) and item requests (data plane) of Cosmos DB. */
export const cosmosRequestLogs = diagnosticsRule("AZ-MON-2", "azurerm_cosmosdb_account", "Cosmos DB control- and data-plane logs", [
  { category: "ControlPlaneRequests", groups: ["audit", "allLogs"] },
  { category: "DataPlaneRequests", groups: ["allLogs"] },
]);

/** Reads, writes and deletes of the account's blobs, from a setting on its blob service. */
export const blobStorageLogs = diagnosticsRule(
  "AZ-MON-3",
  "azurerm_storage_account",
  "Blob storage logs",
  [
    { category: "StorageRead", groups: ["allLogs"] },
    { category: "StorageWrite", groups: ["audit", "allLogs"] },
    { category: "StorageDelete", groups: ["audit", "allLogs"] },
  ],
  (name) => `${referenceTo("azurerm_storage_account", name, "id")}/blobServices/default`,
);
