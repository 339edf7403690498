import { block, referenceTo, type PolicyRule } from "../../engine";

const FLEX = "azurerm_function_app_flex_consumption";
/** The blob name One Deploy writes in the deployment container; an upload under it is never deployed. */
const RELEASED_PACKAGE = "released-package.zip";

/**
 * A Flex Consumption app gets its code through One Deploy (`PUT <app>/extensions/onedeploy` with a
 * `packageUri`, through ARM with Entra ID): a package uploaded straight into the deployment container
 * is not deployed, and Kudu's zip deploy needs basic-auth publishing credentials. The stack must not
 * write `released-package.zip` itself, and the app must not use `zip_deploy_file`.
 */
export const flexOneDeploy: PolicyRule = {
  id: "AZ-FN-8",
  description: "Flex Consumption apps are deployed with One Deploy (an azapi PUT of extensions/onedeploy with a packageUri), never by writing released-package.zip or zip_deploy_file.",
  resourceType: FLEX,
  check(resource, context) {
    const problems: string[] = [];
    const target = context.name === undefined ? undefined : `${referenceTo(FLEX, context.name, "id")}/extensions/onedeploy`;
    const deploys = Object.values(context.resources.azapi_resource_action ?? {}).filter((r) => r.resource_id === target);
    const valid = deploys.filter((r) => r.method === "PUT" && typeof (block(block(r.body)?.properties) ?? {}).packageUri === "string");
    if (valid.length !== 1) problems.push("one azapi_resource_action must PUT this app's extensions/onedeploy with properties.packageUri");
    if (resource.zip_deploy_file !== undefined) problems.push("zip_deploy_file must not be set (Kudu zip deploy needs basic-auth credentials)");
    const released = Object.values(context.resources.azurerm_storage_blob ?? {}).filter((b) => b.name === RELEASED_PACKAGE);
    if (released.length > 0) problems.push(`no azurerm_storage_blob may be named ${RELEASED_PACKAGE}: One Deploy writes it, an upload under that name is never deployed`);
    return problems.length === 0 ? undefined : problems.join("; ");
  },
};
