import type { KVNamespace } from "@cloudflare/workers-types/index";
import { CELL_ID_PATTERN, MAX_BODY_BYTES, isCellId } from "../contract";

/**
 * The Worker's binding names, in one place. The Worker reads them from `env`; the edge stack declares
 * them on the `WorkersScript` (a `kv_namespace` binding, one `secret_text` binding per cell, and
 * `plain_text` settings). Renaming one here renames it on both sides.
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

/** The value of a cell key binding. The edge stack writes it with this function so both sides agree on the shape. */
export function cellKeyValue(key: { readonly keyId: string; readonly secret: string }): string {
  return JSON.stringify({ keyId: key.keyId, secret: key.secret });
}

/** Names of the plain-text settings. Every one is optional; `SETTING_DEFAULTS` says what happens when it is unset. */
export const SettingBindings = {
  /**
   * `"cloud"` (the default) or `"local"`. Cell URLs must be `https://`; `"local"` also accepts
   * `http://` on loopback hosts, for the local sandbox and the tests. Never set `"local"` in a deployment.
   */
  mode: "ROUTER_MODE",
  /** How long the router waits for a cell's complete answer, in milliseconds, before answering 504. */
  cellTimeoutMs: "CELL_TIMEOUT_MS",
  /** How long a registry entry that was found is cached in the isolate, in milliseconds. */
  registryCacheTtlMs: "REGISTRY_CACHE_TTL_MS",
  /** How long "no such entry" and "malformed entry" answers are cached, in milliseconds; no longer than the positive TTL. */
  registryNegativeTtlMs: "REGISTRY_NEGATIVE_TTL_MS",
  /** Largest request body forwarded, in bytes; at most the contract's `MAX_BODY_BYTES` (the router may be stricter than the cells, never looser). */
  maxBodyBytes: "MAX_BODY_BYTES",
} as const;

/** Router modes; see `SettingBindings.mode`. */
export const ROUTER_MODES = ["cloud", "local"] as const;
/** `"cloud"` (https cells only) or `"local"` (also http on loopback). */
export type RouterMode = (typeof ROUTER_MODES)[number];

/**
 * Defaults of the settings.
 * - mode `cloud`: https only, the safe choice when the binding is forgotten.
 * - cell timeout 10 s: well above a cell's normal latency, below the client's patience.
 * - registry cache 10 s: a tenant move is seen within this time (plus Workers KV's own edge caching,
 *   up to 60 s), while a hot tenant costs one KV read per isolate per 10 s.
 * - negative cache 2 s: a newly registered tenant waits at most this long for its first request to
 *   route, and a fixed malformed entry is picked up quickly.
 * - body limit: the contract's `MAX_BODY_BYTES`.
 */
export const SETTING_DEFAULTS = {
  mode: "cloud",
  cellTimeoutMs: 10_000,
  registryCacheTtlMs: 10_000,
  registryNegativeTtlMs: 2_000,
  maxBodyBytes: MAX_BODY_BYTES,
} as const satisfies { mode: RouterMode; cellTimeoutMs: number; registryCacheTtlMs: number; registryNegativeTtlMs: number; maxBodyBytes: number };

/** The cell key bindings as they arrive: `CELL_KEY_<CELL ID>` -> `cellKeyValue(...)`. */
export interface CellKeyBindings {
  readonly [name: `${typeof CELL_KEY_BINDING_PREFIX}${string}`]: string | undefined;
}

/**
 * The Worker's environment. Settings are strings because that is how `plain_text` bindings arrive;
 * `router/settings.ts` parses them. Cell key bindings are `secret_text`, one per cell.
 */
export interface Env extends CellKeyBindings {
  readonly [REGISTRY_BINDING]: KVNamespace;
  readonly ROUTER_MODE?: string;
  readonly CELL_TIMEOUT_MS?: string;
  readonly REGISTRY_CACHE_TTL_MS?: string;
  readonly REGISTRY_NEGATIVE_TTL_MS?: string;
  readonly MAX_BODY_BYTES?: string;
}
