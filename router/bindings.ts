import type { AnalyticsEngineDataset, KVNamespace } from "@cloudflare/workers-types/index";
import { CELL_ID_PATTERN, isCellId } from "../contract";
import type { SettingValues } from "./setting-definitions";

/**
 * The Worker's binding names, in one place. The Worker reads them from `env`; the edge stack declares
 * them on the `WorkersScript` (a `kv_namespace` binding, one `secret_text` binding per cell, the
 * `plain_text` settings of `ROUTER_SETTINGS` and the registry snapshot, an `analytics_engine`
 * dataset). Renaming one here renames it on both sides.
 */

/** The Workers KV namespace holding `cell:<id>` and `tenant:<id>` entries (contract/registry.ts). */
export const REGISTRY_BINDING = "REGISTRY";

/** Prefix of the per-cell signing key bindings; see `cellKeyBinding`. */
export const CELL_KEY_BINDING_PREFIX = "CELL_KEY_";

/**
 * The secret binding that holds a cell's signing key, e.g. `cellKeyBinding("alpha") === "CELL_KEY_ALPHA"`
 * and `cellKeyBinding("eu-west") === "CELL_KEY_EU_WEST"`. One `secret_text` binding per cell, whose
 * value is `cellKeyValue(...)`: JSON `{"keyId":"alpha-v1","secret":"..."}`. Cell ids never contain
 * `_`, so two cells can never map to the same binding.
 *
 * @throws when `cellId` is not a valid cell id, so a typo fails at synth time, not at request time.
 */
export function cellKeyBinding(cellId: string): `${typeof CELL_KEY_BINDING_PREFIX}${string}` {
  if (!isCellId(cellId)) throw new Error(`cellId must match ${CELL_ID_PATTERN}, got '${cellId}'`);
  return `${CELL_KEY_BINDING_PREFIX}${cellId.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * The value of a cell key binding, as the local sandbox writes it. The `EdgeRouter` construct writes
 * the same shape with `Fn.jsonencode`, because the secret there is a Terraform token.
 */
export function cellKeyValue(key: { readonly keyId: string; readonly secret: string }): string {
  return JSON.stringify({ keyId: key.keyId, secret: key.secret });
}

export { ROUTER_MODES, SettingBindings, type RouterMode, type SettingBindingName, type SettingValues } from "./setting-definitions";

/**
 * Prefix of the registry snapshot bindings (`REGISTRY_SNAPSHOT_1`, `_2`, ...): `plain_text` bindings
 * whose text is a JSON array of registry records (`buildRegistryEntries` output), deployed with the
 * script. The router answers from them when Workers KV fails and it has no last known good entry.
 * Split in parts because one Workers variable holds at most 5 KB; see `router/snapshot.ts`.
 */
export const SNAPSHOT_BINDING_PREFIX = "REGISTRY_SNAPSHOT_";

/**
 * The Workers Analytics Engine dataset binding the router writes one data point to per request that
 * reached (or was meant for) a cell: the per-cell error and latency figures (`contract/edge-health.ts`).
 * Optional: a Worker without it keeps its figures in the isolate only.
 */
export const EDGE_HEALTH_BINDING = "EDGE_HEALTH";

/** The cell key bindings as they arrive: `CELL_KEY_<CELL ID>` -> `cellKeyValue(...)`. */
export interface CellKeyBindings {
  readonly [name: `${typeof CELL_KEY_BINDING_PREFIX}${string}`]: string | undefined;
}

/** The registry snapshot parts as they arrive: `REGISTRY_SNAPSHOT_<n>` -> JSON text. */
export interface SnapshotBindings {
  readonly [name: `${typeof SNAPSHOT_BINDING_PREFIX}${string}`]: string | undefined;
}

/**
 * The Worker's environment. Settings are strings because that is how `plain_text` bindings arrive;
 * their names and types come from `ROUTER_SETTINGS` and `router/settings.ts` parses them. Cell key
 * bindings are `secret_text`, one per cell.
 */
export interface Env extends CellKeyBindings, SnapshotBindings, SettingValues {
  readonly [REGISTRY_BINDING]: KVNamespace;
  readonly [EDGE_HEALTH_BINDING]?: AnalyticsEngineDataset;
}
