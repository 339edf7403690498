import type { PolicyRule } from "../../engine";

/** A binding that names an admin key, or whose value comes from one (an admin key id `<cell>-admin-v<n>`, an `admin-key` resource or output). */
const ADMIN_KEY = /admin[-_]?key|-admin-v\d|admin[-_]?secret/i;

/**
 * The router signs data requests with each cell's signing key and nothing else: a cell's admin key
 * (ownership, export, import, purge) belongs to the operator's `cellctl`. A compromised Worker must
 * not be able to move or wipe tenants, so no binding may carry or name an admin key.
 */
export const workerNoAdminKey: PolicyRule = {
  id: "CF-WKR-3",
  description: "The router Worker never holds a cell's admin key: no binding names one or takes its value from one.",
  resourceType: "cloudflare_workers_script",
  check(resource) {
    const bindings = Array.isArray(resource.bindings) ? (resource.bindings as Array<Record<string, unknown>>) : [];
    const leaked = bindings.filter((b) => ADMIN_KEY.test(String(b.name)) || /ADMIN/.test(String(b.name)) || ADMIN_KEY.test(JSON.stringify(b.text ?? ""))).map((b) => String(b.name));
    return leaked.length > 0 ? `bindings ${leaked.join(", ")} carry an admin key; admin keys belong to the operator's cellctl, never to the router` : undefined;
  },
};
