import { CELL_KEY_BINDING_PREFIX } from "../../../router/bindings";
import type { PolicyRule } from "../../engine";

/** A cell's signing key opens that cell: it must be a secret binding, never plain text the dashboard and API show. */
export const workerKeysSecret: PolicyRule = {
  id: "CF-WKR-1",
  description: "Cell signing-key bindings on the Worker are secret_text.",
  resourceType: "cloudflare_workers_script",
  check(resource) {
    const bindings = Array.isArray(resource.bindings) ? (resource.bindings as Array<Record<string, unknown>>) : [];
    const exposed = bindings.filter((b) => String(b.name).startsWith(CELL_KEY_BINDING_PREFIX) && b.type !== "secret_text").map((b) => String(b.name));
    return exposed.length > 0 ? `cell key bindings must be secret_text: ${exposed.join(", ")}` : undefined;
  },
};
