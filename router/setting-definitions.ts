import { MAX_BODY_BYTES } from "../contract";

/**
 * Every setting of the router, defined once: its binding name, its kind and range, its default.
 * The Worker parses its `plain_text` bindings with these definitions (`router/settings.ts`), the
 * `EdgeRouter` construct writes the bindings from its props (same key names) and runs the same parser
 * at synth, and the binding types (`Env`, the sandbox's setting values) are derived from this table.
 * So a value the construct accepts is a value the Worker accepts.
 */

/** `"cloud"` (https cells only) or `"local"` (also http on loopback, for the sandbox and the tests). */
export const ROUTER_MODES = ["cloud", "local"] as const;
export type RouterMode = (typeof ROUTER_MODES)[number];

/** `"jwt"` (bearer tokens verified at the edge) or `"none"` (no client authentication: an explicit choice, flagged by policy rule CF-WKR-3). */
export const AUTH_MODES = ["jwt", "none"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Token signature algorithms the router accepts. Never `none`, never a symmetric one: the router holds no client secret. */
export const JWT_ALGORITHMS = ["RS256", "ES256"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

interface Base {
  /** The `plain_text` binding's name. */
  readonly binding: string;
  /** One line for the reader of the construct and the README. */
  readonly summary: string;
}
/** A whole number in [min, max]. */
export interface IntegerDefinition extends Base {
  readonly kind: "integer";
  readonly min: number;
  readonly max: number;
  readonly default: number;
}
/** One of `values`; without a default the setting is required. */
export interface EnumDefinition extends Base {
  readonly kind: "enum";
  readonly values: readonly string[];
  readonly default?: string;
}
/** Free text, checked by the parser's own rules (a URL, a claim name). */
export interface TextDefinition extends Base {
  readonly kind: "text";
  readonly default?: string;
}
/** A comma-separated list, each item one of `values`. */
export interface ListDefinition extends Base {
  readonly kind: "list";
  readonly values: readonly string[];
  readonly default: string;
}
export type SettingDefinition = IntegerDefinition | EnumDefinition | TextDefinition | ListDefinition;

/**
 * The settings. Defaults and why:
 * - cell timeout 10 s: well above a cell's normal latency, below a client's patience; at most 60 s.
 * - registry cache 10 s: a tenant move is seen within this time (plus Workers KV's own edge caching, up
 *   to 60 s), while a hot tenant costs one KV read per isolate per 10 s. A moved tenant is followed at
 *   once anyway (the cell's `tenant_moved` answer), so this bounds KV reads, not correctness.
 * - negative cache 2 s: a newly registered tenant waits at most this long to route.
 * - KV read timeout 1 s: Workers KV answers hot keys in milliseconds and cold ones in well under a
 *   second; past that the router stops waiting and answers from what it knows (static stability).
 * - max staleness 1 h: how old a last known good entry may be and still be served while KV fails. A
 *   placement that changed meanwhile costs one extra hop (the old cell answers `tenant_moved`); a cell
 *   entry changes only with a deploy. Older than this, the deploy's registry snapshot answers instead.
 * - breaker 5 failures / 10 s: five consecutive failures or timeouts of one cell open its breaker for
 *   10 s, long enough to stop a timeout storm, short enough that a recovered cell is back quickly.
 * - auth: no default mode (a deployment must say `jwt` or `none`); tokens signed with RS256 or ES256;
 *   30 s clock tolerance for `exp`/`nbf`; the key set is refetched after 10 min (or at once, at most
 *   every 30 s, for a token whose `kid` it lacks).
 */
export const ROUTER_SETTINGS = {
  mode: { binding: "ROUTER_MODE", kind: "enum", values: ROUTER_MODES, default: "cloud", summary: "cloud (https cells only) or local (also http on loopback); never local in a deployment" },
  cellTimeoutMs: { binding: "CELL_TIMEOUT_MS", kind: "integer", min: 1, max: 60_000, default: 10_000, summary: "how long the router waits for a cell's complete answer before a 504, ms" },
  registryCacheTtlMs: { binding: "REGISTRY_CACHE_TTL_MS", kind: "integer", min: 0, max: 300_000, default: 10_000, summary: "how long a registry entry read from KV is served from the isolate's cache, ms" },
  registryNegativeTtlMs: {
    binding: "REGISTRY_NEGATIVE_TTL_MS",
    kind: "integer",
    min: 0,
    max: 300_000,
    default: 2_000,
    summary: "how long 'no such entry' and 'malformed entry' answers are cached, ms; at most registryCacheTtlMs",
  },
  registryReadTimeoutMs: { binding: "REGISTRY_READ_TIMEOUT_MS", kind: "integer", min: 10, max: 10_000, default: 1_000, summary: "how long one KV read may take before the router treats KV as failing, ms" },
  registryMaxStaleMs: {
    binding: "REGISTRY_MAX_STALE_MS",
    kind: "integer",
    min: 0,
    max: 86_400_000,
    default: 3_600_000,
    summary: "how old a last known good registry entry may be and still be served while KV fails, ms; at least registryCacheTtlMs (0 turns stale answers off)",
  },
  maxBodyBytes: { binding: "MAX_BODY_BYTES", kind: "integer", min: 0, max: MAX_BODY_BYTES, default: MAX_BODY_BYTES, summary: "largest request body forwarded, bytes; the router may be stricter than the cells, never looser" },
  breakerFailureThreshold: { binding: "BREAKER_FAILURE_THRESHOLD", kind: "integer", min: 1, max: 1_000, default: 5, summary: "consecutive failures or timeouts of one cell that open its circuit breaker" },
  breakerCooldownMs: { binding: "BREAKER_COOLDOWN_MS", kind: "integer", min: 100, max: 600_000, default: 10_000, summary: "how long an open breaker answers 503 at once before it lets one probe through, ms" },
  authMode: { binding: "AUTH_MODE", kind: "enum", values: AUTH_MODES, summary: "jwt or none; required, so turning client authentication off is always explicit" },
  authIssuer: { binding: "AUTH_ISSUER", kind: "text", summary: "with jwt: the tokens' required iss" },
  authAudience: { binding: "AUTH_AUDIENCE", kind: "text", summary: "with jwt: the accepted aud values, comma-separated" },
  authJwksUrl: { binding: "AUTH_JWKS_URL", kind: "text", summary: "with jwt: where the issuer publishes its JSON Web Key Set (https; http on loopback in local mode)" },
  authTenantClaim: { binding: "AUTH_TENANT_CLAIM", kind: "text", default: "tenant_id", summary: "with jwt: the claim that names the tenant the token may act for" },
  authAlgorithms: { binding: "AUTH_ALGORITHMS", kind: "list", values: JWT_ALGORITHMS, default: "RS256,ES256", summary: "with jwt: accepted signature algorithms, comma-separated" },
  authClockToleranceSeconds: { binding: "AUTH_CLOCK_TOLERANCE_S", kind: "integer", min: 0, max: 300, default: 30, summary: "with jwt: clock skew allowed on exp and nbf, seconds" },
  authJwksCacheMs: { binding: "AUTH_JWKS_CACHE_MS", kind: "integer", min: 1_000, max: 86_400_000, default: 600_000, summary: "with jwt: how long a fetched key set is used before it is fetched again, ms" },
} as const satisfies Record<string, SettingDefinition>;

/** A setting's key, e.g. `cellTimeoutMs` (also the `EdgeRouter` prop that sets it). */
export type SettingKey = keyof typeof ROUTER_SETTINGS;
/** A setting's binding name, e.g. `CELL_TIMEOUT_MS`. */
export type SettingBindingName = (typeof ROUTER_SETTINGS)[SettingKey]["binding"];
/** The settings bindings as they arrive: optional strings (the Worker's `Env` has them all). */
export type SettingValues = { readonly [B in SettingBindingName]?: string };
/** The integer settings' keys. */
export type IntegerSettingKey = { [K in SettingKey]: (typeof ROUTER_SETTINGS)[K]["kind"] extends "integer" ? K : never }[SettingKey];

/** Setting key -> binding name, e.g. `SettingBindings.cellTimeoutMs === "CELL_TIMEOUT_MS"`. */
export const SettingBindings = Object.fromEntries(Object.entries(ROUTER_SETTINGS).map(([key, def]) => [key, def.binding])) as {
  readonly [K in SettingKey]: (typeof ROUTER_SETTINGS)[K]["binding"];
};

/** The integer settings' defaults, e.g. `INTEGER_DEFAULTS.cellTimeoutMs === 10_000`. */
export const INTEGER_DEFAULTS = Object.fromEntries(
  Object.entries(ROUTER_SETTINGS).flatMap(([key, def]) => (def.kind === "integer" ? [[key, def.default]] : [])),
) as { readonly [K in IntegerSettingKey]: number };
