import { forEachFunctionAppType } from "./function-app-types";

/** Suffixes of an identity-based connection's settings (`<connection>__<property>`). */
const IDENTITY_PROPERTY = /^(.+)__(accountEndpoint|accountName|serviceUri|blobServiceUri|queueServiceUri|tableServiceUri|fullyQualifiedNamespace|credential|clientId)$/;

/**
 * An identity-based connection (`LAKE_COSMOS__accountEndpoint`, `AzureWebJobsStorage__accountName`)
 * stays identity-based: a setting named like the connection itself holds a connection string, which
 * the Functions host prefers over the identity properties, so a key would quietly take over.
 */
export const functionAppIdentityConnections = forEachFunctionAppType({
  id: "AZ-FN-9",
  description: "Function App connections configured by identity (<name>__accountEndpoint, ...) have no <name> connection-string setting beside them.",
  check(resource) {
    const settings = Object.keys((resource.app_settings ?? {}) as Record<string, unknown>);
    const connections = new Set(settings.flatMap((name) => IDENTITY_PROPERTY.exec(name)?.[1] ?? []));
    const shadowed = [...connections].filter((c) => settings.includes(c)).sort();
    return shadowed.length === 0 ? undefined : `app settings ${shadowed.join(", ")} hold connection strings that override their identity-based connections; remove them`;
  },
});
