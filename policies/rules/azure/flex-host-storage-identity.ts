import { block, referenceTo, type PolicyRule } from "../../engine";

const FLEX = "azurerm_function_app_flex_consumption";
const APP_SETTINGS_TYPE = /^Microsoft\.Web\/sites\/config@/i;

/**
 * Identity-based host storage on Flex Consumption, without the provider's echo (azurerm issue
 * #29693): azurerm 4.55 writes a key-based `AzureWebJobsStorage` with an empty key even for identity
 * auth, and strips it when it reads the app back. So the app must not declare `AzureWebJobsStorage`
 * (an empty value breaks the host and shows as a change on every plan), must declare
 * `AzureWebJobsStorage__accountName`, must leave later settings changes to an
 * `azapi_update_resource` of its `config/appsettings` (whose body has no `AzureWebJobsStorage`), and
 * must ignore what the provider reads back (`lifecycle.ignore_changes` on `app_settings`).
 */
export const flexHostStorageIdentity: PolicyRule = {
  id: "AZ-FN-7",
  description: "Flex Consumption apps use identity-based host storage with no AzureWebJobsStorage setting, rewritten by azapi after azurerm and with the provider's echo ignored.",
  resourceType: FLEX,
  check(resource, context) {
    const settings = (resource.app_settings ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if ("AzureWebJobsStorage" in settings) problems.push("app_settings must not contain AzureWebJobsStorage (not even empty)");
    if (!settings.AzureWebJobsStorage__accountName) problems.push("app_settings must set AzureWebJobsStorage__accountName (identity-based host storage)");
    const ignored = block(resource.lifecycle)?.ignore_changes;
    if (!(Array.isArray(ignored) && ignored.includes("app_settings"))) problems.push("lifecycle.ignore_changes must include app_settings (the provider reads back its own echo)");
    const appId = context.name === undefined ? undefined : referenceTo(FLEX, context.name, "id");
    const fixes = Object.values(context.resources.azapi_update_resource ?? {}).filter(
      (r) => r.parent_id === appId && r.name === "appsettings" && APP_SETTINGS_TYPE.test(String(r.type)),
    );
    if (fixes.length !== 1) {
      problems.push("one azapi_update_resource of Microsoft.Web/sites/config 'appsettings' must rewrite this app's settings");
    } else {
      const properties = (block(fixes[0]!.body)?.properties ?? {}) as Record<string, unknown>;
      if ("AzureWebJobsStorage" in properties) problems.push("the azapi appsettings body must not contain AzureWebJobsStorage");
    }
    return problems.length === 0 ? undefined : problems.join("; ");
  },
};
