import { SettingBindings } from "../../../router/bindings";
import type { PolicyRule } from "../../engine";

/**
 * With `AUTH_MODE=none` the router authenticates no one: any client can read and write any tenant's
 * data by naming the tenant. A deployment that really wants that (a private network behind another
 * gateway) says so with a suppression and its reason.
 */
export const workerAuthRequired: PolicyRule = {
  id: "CF-WKR-4",
  description: "A deployed router authenticates its clients (AUTH_MODE jwt).",
  resourceType: "cloudflare_workers_script",
  check(resource) {
    const bindings = Array.isArray(resource.bindings) ? (resource.bindings as Array<Record<string, unknown>>) : [];
    const mode = bindings.find((b) => b.name === SettingBindings.authMode);
    if (mode === undefined) return `${SettingBindings.authMode} is not set: the router refuses every request without it`;
    return mode.text === "jwt" ? undefined : `${SettingBindings.authMode} is '${String(mode.text)}': any client can act for any tenant it names`;
  },
};
