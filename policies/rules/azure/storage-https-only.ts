import type { PolicyRule } from "../../engine";

/** Storage accepts HTTPS only, stated explicitly. */
export const storageHttpsOnly: PolicyRule = {
  id: "AZ-ST-3",
  description: "Storage accounts accept HTTPS only (https_traffic_only_enabled = true).",
  resourceType: "azurerm_storage_account",
  check(resource) {
    return resource.https_traffic_only_enabled === true ? undefined : "https_traffic_only_enabled must be true";
  },
};
