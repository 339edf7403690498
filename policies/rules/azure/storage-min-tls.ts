import type { PolicyRule } from "../../engine";

/** Storage refuses TLS below 1.2 (stated explicitly, so a provider default cannot change it). */
export const storageMinTls: PolicyRule = {
  id: "AZ-ST-1",
  description: "Storage accounts require TLS 1.2 or later (min_tls_version).",
  resourceType: "azurerm_storage_account",
  check(resource) {
    return ["TLS1_2", "TLS1_3"].includes(String(resource.min_tls_version)) ? undefined : `min_tls_version must be 'TLS1_2' or later, got '${String(resource.min_tls_version)}'`;
  },
};
