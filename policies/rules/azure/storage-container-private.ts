import type { PolicyRule } from "../../engine";

/** Containers (the function package among them) allow no anonymous read access. */
export const storageContainerPrivate: PolicyRule = {
  id: "AZ-ST-5",
  description: "Blob containers are private (container_access_type 'private' or unset).",
  resourceType: "azurerm_storage_container",
  check(resource) {
    const access = resource.container_access_type;
    return access === undefined || access === "private" ? undefined : `container_access_type must be 'private', got '${String(access)}'`;
  },
};
