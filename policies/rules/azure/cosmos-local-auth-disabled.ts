import type { PolicyRule } from "../../engine";

/** Cosmos DB accepts Entra ID (RBAC) tokens only: the account keys are switched off. */
export const cosmosLocalAuthDisabled: PolicyRule = {
  id: "AZ-COS-1",
  description: "Cosmos DB accounts have key (local) authentication disabled.",
  resourceType: "azurerm_cosmosdb_account",
  check(resource) {
    return resource.local_authentication_disabled === true ? undefined : "local_authentication_disabled must be true; grant a data-plane role to a managed identity instead";
  },
};
