import { block, type PolicyRule } from "../../engine";

/** Point-in-time restore of the cell's data (continuous backup), not only periodic snapshots. */
export const cosmosContinuousBackup: PolicyRule = {
  id: "AZ-COS-2",
  description: "Cosmos DB accounts use continuous backup (point-in-time restore).",
  resourceType: "azurerm_cosmosdb_account",
  check(resource) {
    const type = block(resource.backup)?.type;
    return type === "Continuous" ? undefined : `backup.type must be 'Continuous', got '${String(type)}'`;
  },
};
