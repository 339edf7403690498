import type { PolicyRule } from "../../engine";

/** Built-in data roles that can change or delete blobs, but not manage access: granted per container. */
const CONTAINER_SCOPED_ROLES = new Map([
  ["Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"],
]);
const CONTAINER_REFERENCE = /^\$\{azurerm_storage_container\.[A-Za-z0-9_-]+\.(resource_manager_id|id)\}$/;

/**
 * Whoever writes blobs (the deploying identity's package upload, the lake trigger's files) may write
 * to its one container, not to every container of the account: 'Storage Blob Data Contributor' is
 * granted on a container, by reference.
 */
export const blobContributorContainerScope: PolicyRule = {
  id: "AZ-RBAC-2",
  description: "'Storage Blob Data Contributor' role assignments are scoped to one storage container of this stack.",
  resourceType: "azurerm_role_assignment",
  check(resource) {
    const byName = typeof resource.role_definition_name === "string" && CONTAINER_SCOPED_ROLES.has(resource.role_definition_name);
    const byId = typeof resource.role_definition_id === "string" && [...CONTAINER_SCOPED_ROLES.values()].some((id) => String(resource.role_definition_id).endsWith(id));
    if (!byName && !byId) return undefined;
    return CONTAINER_REFERENCE.test(String(resource.scope)) ? undefined : `scope must be \${azurerm_storage_container.<name>.resource_manager_id}, got '${String(resource.scope)}'`;
  },
};
