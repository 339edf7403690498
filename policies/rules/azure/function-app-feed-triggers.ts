import { forEachFunctionAppType } from "./function-app-types";

/** A change-feed trigger's lease container setting: `<NAME>_LEASE_CONTAINER`. */
const LEASE_CONTAINER = /^([A-Z][A-Z0-9_]*)_LEASE_CONTAINER$/;

/**
 * Every Cosmos DB change-feed trigger of the app (the lake's, the standby replication's: each names
 * its lease container in `<NAME>_LEASE_CONTAINER`) connects with the app's identity: its
 * `<NAME>_COSMOS__accountEndpoint` setting is there, so the host never falls back to a key (the
 * cell's Cosmos DB account has key auth off; AZ-FN-9 keeps a connection string from shadowing it).
 */
export const functionAppFeedTriggers = forEachFunctionAppType({
  id: "AZ-FN-10",
  description: "Function App change-feed triggers (<NAME>_LEASE_CONTAINER) connect by identity (<NAME>_COSMOS__accountEndpoint).",
  check(resource) {
    const settings = (resource.app_settings ?? {}) as Record<string, unknown>;
    const missing = Object.keys(settings)
      .flatMap((name) => LEASE_CONTAINER.exec(name)?.[1] ?? [])
      .filter((prefix) => typeof settings[`${prefix}_COSMOS__accountEndpoint`] !== "string" || settings[`${prefix}_COSMOS__accountEndpoint`] === "")
      .sort();
    return missing.length === 0 ? undefined : `change-feed triggers ${missing.join(", ")} have a lease container but no identity connection (${missing.map((p) => `${p}_COSMOS__accountEndpoint`).join(", ")})`;
  },
});
