import type { PolicyRule } from "../../engine";

/**
 * Terraform types of Function Apps in azurerm 4.x. They share the security attributes these rules
 * check (`https_only`, `site_config`, `identity`, `app_settings`, basic-auth switches), so each
 * function-app rule is one check applied to every type.
 */
export const FUNCTION_APP_TYPES = ["azurerm_function_app_flex_consumption", "azurerm_linux_function_app", "azurerm_windows_function_app"] as const;
export type FunctionAppType = (typeof FUNCTION_APP_TYPES)[number];

/** Resource types that have no FTP endpoint to switch off (Flex Consumption apps deploy through One Deploy only). */
export const FUNCTION_APP_TYPES_WITHOUT_FTP: readonly FunctionAppType[] = ["azurerm_function_app_flex_consumption"];

/** One rule (same id, same check) per Function App resource type. */
export function forEachFunctionAppType(
  rule: Omit<PolicyRule, "resourceType" | "check"> & { check(resource: Record<string, unknown>, type: FunctionAppType): string | undefined },
): readonly PolicyRule[] {
  return FUNCTION_APP_TYPES.map((type) => ({
    id: rule.id,
    description: rule.description,
    resourceType: type,
    check: (resource: Record<string, unknown>) => rule.check(resource, type),
  }));
}
