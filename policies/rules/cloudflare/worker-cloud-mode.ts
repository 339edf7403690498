import { SettingBindings } from "../../../router/bindings";
import type { PolicyRule } from "../../engine";

/** Local mode lets the router call plain-HTTP loopback URLs; it is for the sandbox and tests only. */
export const workerCloudMode: PolicyRule = {
  id: "CF-WKR-2",
  description: "A deployed router runs in cloud mode (https-only cell URLs).",
  resourceType: "cloudflare_workers_script",
  check(resource) {
    const bindings = Array.isArray(resource.bindings) ? (resource.bindings as Array<Record<string, unknown>>) : [];
    const mode = bindings.find((b) => b.name === SettingBindings.mode);
    if (mode === undefined) return undefined; // the Worker defaults to cloud
    return mode.text === "cloud" ? undefined : `${SettingBindings.mode} must be 'cloud' in a deployment, got '${String(mode.text)}'`;
  },
};
