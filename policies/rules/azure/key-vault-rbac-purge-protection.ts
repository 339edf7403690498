import type { PolicyRule } from "../../engine";

/**
 * Key Vault access through Azure RBAC (scoped role assignments, not vault-wide access policies), and
 * purge protection, so a deleted signing secret can be recovered for the retention period.
 */
export const keyVaultRbacPurgeProtection: PolicyRule = {
  id: "AZ-KV-1",
  description: "Key Vaults use RBAC authorization and purge protection.",
  resourceType: "azurerm_key_vault",
  check(resource) {
    const problems: string[] = [];
    if (resource.rbac_authorization_enabled !== true && resource.enable_rbac_authorization !== true) problems.push("rbac_authorization_enabled must be true");
    if (resource.purge_protection_enabled !== true) problems.push("purge_protection_enabled must be true");
    return problems.length === 0 ? undefined : problems.join("; ");
  },
};
