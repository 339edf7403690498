import type { PolicyRule } from "../../engine";

/** No container of the account can be made public (azurerm's default allows it). */
export const storageNoPublicBlobs: PolicyRule = {
  id: "AZ-ST-2",
  description: "Storage accounts forbid public blobs and containers (allow_nested_items_to_be_public = false).",
  resourceType: "azurerm_storage_account",
  check(resource) {
    return resource.allow_nested_items_to_be_public === false ? undefined : "allow_nested_items_to_be_public must be false; containers could be made public otherwise";
  },
};
