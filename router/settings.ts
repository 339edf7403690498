import { err, isLoopbackHost, ok, type Result } from "../contract";
import {
  ROUTER_SETTINGS,
  type AuthMode,
  type EnumDefinition,
  type IntegerSettingKey,
  type JwtAlgorithm,
  type RouterMode,
  type SettingKey,
  type SettingValues,
} from "./setting-definitions";

/** Client authentication as configured: off (explicitly), or bearer JWTs from one issuer. */
export type AuthSettings = { readonly mode: "none" } | JwtAuthSettings;

/** Bearer JWT verification: who issues the tokens, for whom, where the keys are, which claim names the tenant. */
export interface JwtAuthSettings {
  readonly mode: "jwt";
  readonly issuer: string;
  /** Accepted `aud` values; a token must name at least one. */
  readonly audiences: readonly string[];
  readonly jwksUrl: string;
  readonly tenantClaim: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly clockToleranceSeconds: number;
  readonly jwksCacheMs: number;
}

/** The router's settings, parsed from its plain-text bindings. */
export interface RouterSettings {
  readonly mode: RouterMode;
  readonly cellTimeoutMs: number;
  readonly registryCacheTtlMs: number;
  readonly registryNegativeTtlMs: number;
  readonly registryReadTimeoutMs: number;
  readonly registryMaxStaleMs: number;
  readonly maxBodyBytes: number;
  readonly breakerFailureThreshold: number;
  readonly breakerCooldownMs: number;
  readonly auth: AuthSettings;
}

export type { SettingValues } from "./setting-definitions";

/** How error messages name a setting: its binding (the Worker) or its prop (the `EdgeRouter` construct). */
export interface ParseOptions {
  /** @default the binding name, e.g. `CELL_TIMEOUT_MS` */
  readonly name?: (key: SettingKey) => string;
}

const CLAIM_NAME = /^[^\s,]{1,256}$/;

/**
 * Parses the settings bindings (strings, each optional unless said otherwise) with the definitions
 * in `router/setting-definitions.ts`. An invalid value is an error, not a silent default: the Worker
 * answers 500 naming the binding rather than route with a setting nobody asked for, and the
 * `EdgeRouter` construct's prop rules run this same function at synth (`checkEdgeRouterSettings`,
 * with stand-ins for values that are Terraform tokens), so such a Worker is never deployed.
 */
export function parseSettings(env: SettingValues, options: ParseOptions = {}): Result<RouterSettings> {
  const name = options.name ?? ((key: SettingKey) => ROUTER_SETTINGS[key].binding);
  const raw = (key: SettingKey): string | undefined => {
    const value = env[ROUTER_SETTINGS[key].binding];
    return value === undefined || value === "" ? undefined : value;
  };

  const integers = {} as Record<IntegerSettingKey, number>;
  for (const key of Object.keys(ROUTER_SETTINGS) as SettingKey[]) {
    const def = ROUTER_SETTINGS[key];
    if (def.kind !== "integer") continue;
    const text = raw(key);
    let fallback: number = def.default;
    if (key === "registryNegativeTtlMs") fallback = Math.min(def.default, integers.registryCacheTtlMs);
    if (text === undefined) {
      integers[key as IntegerSettingKey] = fallback;
      continue;
    }
    const max = key === "registryNegativeTtlMs" ? integers.registryCacheTtlMs : def.max;
    const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(value >= def.min && value <= max)) return err(`${name(key)} must be an integer from ${def.min} to ${max}, got ${JSON.stringify(text)}`);
    integers[key as IntegerSettingKey] = value;
  }
  if (integers.registryMaxStaleMs !== 0 && integers.registryMaxStaleMs < integers.registryCacheTtlMs) {
    return err(`${name("registryMaxStaleMs")} must be 0 or at least ${name("registryCacheTtlMs")} (${integers.registryCacheTtlMs}), got ${integers.registryMaxStaleMs}`);
  }

  const mode = oneOf<RouterMode>(ROUTER_SETTINGS.mode, raw("mode"), name("mode"));
  if (!mode.ok) return mode;
  const authMode = oneOf<AuthMode>(ROUTER_SETTINGS.authMode, raw("authMode"), `${name("authMode")} (turning client authentication off must be explicit: none)`);
  if (!authMode.ok) return authMode;

  let auth: AuthSettings = { mode: "none" };
  if (authMode.value === "jwt") {
    const jwt = parseJwt(raw, name, mode.value, integers);
    if (!jwt.ok) return jwt;
    auth = jwt.value;
  }
  return ok({
    mode: mode.value,
    cellTimeoutMs: integers.cellTimeoutMs,
    registryCacheTtlMs: integers.registryCacheTtlMs,
    registryNegativeTtlMs: integers.registryNegativeTtlMs,
    registryReadTimeoutMs: integers.registryReadTimeoutMs,
    registryMaxStaleMs: integers.registryMaxStaleMs,
    maxBodyBytes: integers.maxBodyBytes,
    breakerFailureThreshold: integers.breakerFailureThreshold,
    breakerCooldownMs: integers.breakerCooldownMs,
    auth,
  });
}

function oneOf<T extends string>(def: EnumDefinition, value: string | undefined, label: string): Result<T> {
  const chosen = value ?? def.default;
  if (chosen === undefined) return err(`${label} is required: one of ${def.values.join(", ")}`);
  if (!def.values.includes(chosen)) return err(`${label} must be one of ${def.values.join(", ")}, got ${JSON.stringify(chosen)}`);
  return ok(chosen as T);
}

function parseJwt(
  raw: (key: SettingKey) => string | undefined,
  name: (key: SettingKey) => string,
  mode: RouterMode,
  integers: Record<IntegerSettingKey, number>,
): Result<JwtAuthSettings> {
  const issuer = raw("authIssuer")?.trim();
  if (issuer === undefined || issuer === "") return err(`${name("authIssuer")} is required with jwt auth: the tokens' iss, e.g. "https://auth.example.com/"`);
  const audiences = (raw("authAudience") ?? "").split(",").map((a) => a.trim()).filter((a) => a !== "");
  if (audiences.length === 0) return err(`${name("authAudience")} is required with jwt auth: the accepted aud values, comma-separated`);
  const jwksUrl = checkJwksUrl(raw("authJwksUrl"), mode);
  if (!jwksUrl.ok) return err(`${name("authJwksUrl")} ${jwksUrl.error}`);
  const tenantClaim = raw("authTenantClaim") ?? ROUTER_SETTINGS.authTenantClaim.default;
  if (!CLAIM_NAME.test(tenantClaim)) return err(`${name("authTenantClaim")} must be a claim name without spaces or commas, got ${JSON.stringify(tenantClaim)}`);
  const listed = (raw("authAlgorithms") ?? ROUTER_SETTINGS.authAlgorithms.default).split(",").map((a) => a.trim()).filter((a) => a !== "");
  const allowed: readonly string[] = ROUTER_SETTINGS.authAlgorithms.values;
  if (listed.length === 0 || listed.some((a) => !allowed.includes(a))) {
    return err(`${name("authAlgorithms")} must list some of ${allowed.join(", ")}, got ${JSON.stringify(raw("authAlgorithms"))}`);
  }
  return ok({
    mode: "jwt",
    issuer,
    audiences,
    jwksUrl: jwksUrl.value,
    tenantClaim,
    algorithms: [...new Set(listed)] as JwtAlgorithm[],
    clockToleranceSeconds: integers.authClockToleranceSeconds,
    jwksCacheMs: integers.authJwksCacheMs,
  });
}

/** A key set URL: https, no credentials or fragment; plain http only on loopback in local mode. */
function checkJwksUrl(value: string | undefined, mode: RouterMode): Result<string> {
  if (value === undefined) return err("is required with jwt auth: where the issuer publishes its keys, e.g. https://auth.example.com/.well-known/jwks.json");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return err(`must be a URL, got ${JSON.stringify(value)}`);
  }
  const loopbackHttp = url.protocol === "http:" && isLoopbackHost(url.hostname) && mode === "local";
  if (url.protocol !== "https:" && !loopbackHttp) return err(`must use https${mode === "local" ? " (or http on loopback)" : ""}, got ${JSON.stringify(value)}`);
  if (url.username || url.password || url.hash) return err(`must not carry credentials or a fragment, got ${JSON.stringify(value)}`);
  return ok(value);
}
