import type { PolicyRule } from "../../engine";

/**
 * No account keys or SAS tokens: every client of the cell's storage (the app, the Functions platform,
 * Terraform) authenticates with Entra ID, so a leaked connection string opens nothing.
 */
export const storageSharedKeyDisabled: PolicyRule = {
  id: "AZ-ST-4",
  description: "Storage accounts have shared key (account key and SAS) access disabled.",
  resourceType: "azurerm_storage_account",
  check(resource) {
    return resource.shared_access_key_enabled === false ? undefined : "shared_access_key_enabled must be false; use Entra ID (managed identity, storage_use_azuread) instead";
  },
};
