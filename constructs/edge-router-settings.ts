import { Token } from "cdktf";
import { ROUTER_SETTINGS, type IntegerSettingKey, type JwtAlgorithm, type SettingBindingName, type SettingKey } from "../router/setting-definitions";
import { parseSettings } from "../router/settings";

/**
 * Client authentication at the edge, required on every `EdgeRouter` so that turning it off is a
 * visible decision (`{ mode: "none" }`, which policy rule CF-WKR-3 flags).
 */
export type EdgeAuth = EdgeJwtAuth | EdgeNoAuth;

/** No client authentication: any client may act for any tenant it names. For private networks and demos only. */
export interface EdgeNoAuth {
  readonly mode: "none";
}

/**
 * Bearer JWTs (OIDC style) verified at the edge: the token's issuer, audience and signature are
 * checked against the issuer's published keys, and the tenant claim says which tenant the client
 * may act for. Values may be Terraform tokens (variables); those are checked at plan time instead.
 */
export interface EdgeJwtAuth {
  readonly mode: "jwt";
  /** The tokens' `iss`, exactly, e.g. `https://auth.example.com/`. */
  readonly issuer: string;
  /** Accepted `aud` value(s); a token must name one of them. */
  readonly audience: string | readonly string[];
  /** Where the issuer publishes its JSON Web Key Set; https. */
  readonly jwksUrl: string;
  /**
   * The claim that names the tenant (a namespaced claim such as `https://example.com/tenant` works).
   * @default "tenant_id"
   */
  readonly tenantClaim?: string;
  /**
   * Accepted signature algorithms.
   * @default ["RS256", "ES256"]
   */
  readonly algorithms?: readonly JwtAlgorithm[];
  /**
   * Clock skew allowed on `exp` and `nbf`, seconds.
   * @default 30
   */
  readonly clockToleranceSeconds?: number;
  /**
   * How long a fetched key set is used before it is fetched again, ms (a token with an unknown `kid`
   * triggers one refetch at once, at most every 30 s).
   * @default 600000
   */
  readonly jwksCacheMs?: number;
}

/** The router settings the construct takes as props: every integer setting, under its setting key. */
export type EdgeRouterSettingProps = { readonly [K in IntegerSettingKey]?: number };

/** How the construct names a setting in messages: its prop (`cellTimeoutMs`, `auth.issuer`). */
export function settingPropName(key: SettingKey): string {
  return key.startsWith("auth") ? `auth.${key.charAt(4).toLowerCase()}${key.slice(5)}` : key;
}

/** A number as binding text; a number token stays a token (as a string token). */
const text = (value: number): string => (Token.isUnresolved(value) ? Token.asString(value) : String(value));

/**
 * The Worker's `plain_text` setting bindings for these props: `mode` is always `cloud`, every integer
 * setting is written out (its default when the prop is unset, so the deployed configuration is whole
 * in the Terraform JSON), and the auth settings follow `auth.mode`.
 */
export function edgeRouterSettingBindings(props: EdgeRouterSettingProps & { readonly auth: EdgeAuth }): Partial<Record<SettingBindingName, string>> {
  const bindings: Partial<Record<SettingBindingName, string>> = { [ROUTER_SETTINGS.mode.binding]: "cloud" };
  for (const key of Object.keys(ROUTER_SETTINGS) as SettingKey[]) {
    const def = ROUTER_SETTINGS[key];
    if (def.kind !== "integer" || key.startsWith("auth")) continue;
    bindings[def.binding] = text(props[key as IntegerSettingKey] ?? def.default);
  }
  const { auth } = props;
  bindings[ROUTER_SETTINGS.authMode.binding] = auth.mode;
  if (auth.mode === "jwt") {
    bindings[ROUTER_SETTINGS.authIssuer.binding] = auth.issuer;
    bindings[ROUTER_SETTINGS.authAudience.binding] = typeof auth.audience === "string" ? auth.audience : auth.audience.join(",");
    bindings[ROUTER_SETTINGS.authJwksUrl.binding] = auth.jwksUrl;
    bindings[ROUTER_SETTINGS.authTenantClaim.binding] = auth.tenantClaim ?? ROUTER_SETTINGS.authTenantClaim.default;
    bindings[ROUTER_SETTINGS.authAlgorithms.binding] = (auth.algorithms ?? ROUTER_SETTINGS.authAlgorithms.default.split(",")).join(",");
    bindings[ROUTER_SETTINGS.authClockToleranceSeconds.binding] = text(auth.clockToleranceSeconds ?? ROUTER_SETTINGS.authClockToleranceSeconds.default);
    bindings[ROUTER_SETTINGS.authJwksCacheMs.binding] = text(auth.jwksCacheMs ?? ROUTER_SETTINGS.authJwksCacheMs.default);
  }
  return bindings;
}

/** A valid stand-in for a value that is a Terraform token, so the parser checks everything else. */
const TOKEN_STAND_INS: Partial<Record<SettingKey, string>> = {
  authIssuer: "https://issuer.invalid/",
  authAudience: "audience",
  authJwksUrl: "https://issuer.invalid/jwks.json",
  authTenantClaim: ROUTER_SETTINGS.authTenantClaim.default,
};

/**
 * Runs the Worker's own settings parser (`parseSettings`) over the bindings the construct would
 * deploy, at synth, and returns its complaint in the props' words (`cellTimeoutMs must be an integer
 * from 1 to 60000, got "120000"`), or undefined. Values that are Terraform tokens are replaced by a
 * valid stand-in (or the setting's default) for the check: they are only known at apply time.
 */
export function checkEdgeRouterSettings(bindings: Partial<Record<SettingBindingName, string>>): string | undefined {
  const checked: Partial<Record<SettingBindingName, string>> = {};
  for (const key of Object.keys(ROUTER_SETTINGS) as SettingKey[]) {
    const def = ROUTER_SETTINGS[key];
    const value = bindings[def.binding];
    if (value === undefined) continue;
    checked[def.binding] = Token.isUnresolved(value) ? (TOKEN_STAND_INS[key] ?? (def.kind === "integer" ? String(def.default) : value)) : value;
  }
  const parsed = parseSettings(checked, { name: settingPropName });
  return parsed.ok ? undefined : parsed.error;
}
