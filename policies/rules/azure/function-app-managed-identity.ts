import { block } from "../../engine";
import { forEachFunctionAppType } from "./function-app-types";

/** The app authenticates to storage, Cosmos DB and Key Vault as a managed identity, never with keys. */
export const functionAppManagedIdentity = forEachFunctionAppType({
  id: "AZ-FN-4",
  description: "Function Apps have a managed identity (system- or user-assigned).",
  check(resource) {
    const type = block(resource.identity)?.type;
    return typeof type === "string" && /SystemAssigned|UserAssigned/.test(type) ? undefined : "identity { type = \"SystemAssigned\" } (or a user-assigned identity) is required";
  },
});
