import { block, type PolicyRule } from "../../engine";

/** The least retention a scanner accepts for deleted blobs and containers, in days. */
export const MIN_SOFT_DELETE_DAYS = 7;

/** A deleted blob (the function's package among them) or a deleted container stays recoverable for a week at least. */
export const storageSoftDelete: PolicyRule = {
  id: "AZ-ST-6",
  description: `Storage accounts keep deleted blobs and deleted containers recoverable (soft delete, ${MIN_SOFT_DELETE_DAYS} days or more).`,
  resourceType: "azurerm_storage_account",
  check(resource) {
    const properties = block(resource.blob_properties);
    const problems: string[] = [];
    for (const policy of ["delete_retention_policy", "container_delete_retention_policy"]) {
      const days = block(properties?.[policy])?.days;
      if (!(typeof days === "number" && days >= MIN_SOFT_DELETE_DAYS)) problems.push(`blob_properties.${policy}.days must be at least ${MIN_SOFT_DELETE_DAYS}, got ${JSON.stringify(days)}`);
    }
    return problems.length === 0 ? undefined : problems.join("; ");
  },
};
