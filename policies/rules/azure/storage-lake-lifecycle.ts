import { block, referenceTo, type PolicyRule } from "../../engine";

const list = (value: unknown): Array<Record<string, unknown>> =>
  (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);

/**
 * A data lake account (hierarchical namespace: the reporting lake's landing zone) deletes its files
 * after a retention the team chose, through a lifecycle management policy; without one, every change
 * of every tenant is kept, and billed, forever.
 */
export const storageLakeLifecycle: PolicyRule = {
  id: "AZ-ST-7",
  description: "Storage accounts with a hierarchical namespace (data lakes) have a management policy whose enabled rule deletes base blobs after a number of days.",
  resourceType: "azurerm_storage_account",
  check(resource, context) {
    if (resource.is_hns_enabled !== true || context.name === undefined) return undefined;
    const account = referenceTo("azurerm_storage_account", context.name, "id");
    const deletes = Object.values(context.resources.azurerm_storage_management_policy ?? {})
      .filter((p) => p.storage_account_id === account)
      .flatMap((p) => list(p.rule))
      .some((rule) => {
        const base = block(block(rule.actions)?.base_blob);
        const days = base?.delete_after_days_since_modification_greater_than ?? base?.delete_after_days_since_creation_greater_than;
        return rule.enabled === true && typeof days === "number" && days > 0;
      });
    return deletes ? undefined : "no azurerm_storage_management_policy of this account has an enabled rule that deletes base blobs after a number of days";
  },
};
