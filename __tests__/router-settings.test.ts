import { MAX_BODY_BYTES } from "../contract";
import { checkEdgeRouterSettings, edgeRouterSettingBindings, settingPropName } from "../constructs/edge-router-settings";
import { INTEGER_DEFAULTS, ROUTER_SETTINGS, SettingBindings } from "../router/setting-definitions";
import { parseSettings } from "../router/settings";

/**
 * One truth for the router's settings: the Worker's parser, the construct's bindings and its synth-time
 * check all come from `ROUTER_SETTINGS`.
 */

const NONE = { AUTH_MODE: "none" } as const;
const JWT = { AUTH_MODE: "jwt", AUTH_ISSUER: "https://auth.example.com/", AUTH_AUDIENCE: "cells-api", AUTH_JWKS_URL: "https://auth.example.com/jwks.json" } as const;

describe("the Worker's settings parser", () => {
  test("every integer setting defaults when unset; auth must be chosen", () => {
    expect(parseSettings(NONE)).toEqual({ ok: true, value: { mode: "cloud", ...INTEGER_DEFAULTS, authClockToleranceSeconds: undefined, authJwksCacheMs: undefined, auth: { mode: "none" } } });
    expect(parseSettings({})).toEqual({ ok: false, error: expect.stringMatching(/AUTH_MODE .*must be explicit.* is required: one of jwt, none/) });
  });

  test("settings are parsed", () => {
    const parsed = parseSettings({
      ...NONE,
      ROUTER_MODE: "local",
      CELL_TIMEOUT_MS: "300",
      REGISTRY_CACHE_TTL_MS: "200",
      REGISTRY_NEGATIVE_TTL_MS: "100",
      REGISTRY_READ_TIMEOUT_MS: "50",
      REGISTRY_MAX_STALE_MS: "1000",
      MAX_BODY_BYTES: "1024",
      BREAKER_FAILURE_THRESHOLD: "3",
      BREAKER_COOLDOWN_MS: "500",
    });
    expect(parsed).toEqual({
      ok: true,
      value: expect.objectContaining({
        mode: "local",
        cellTimeoutMs: 300,
        registryCacheTtlMs: 200,
        registryNegativeTtlMs: 100,
        registryReadTimeoutMs: 50,
        registryMaxStaleMs: 1000,
        maxBodyBytes: 1024,
        breakerFailureThreshold: 3,
        breakerCooldownMs: 500,
      }),
    });
  });

  test("the negative TTL defaults to no more than the positive one", () => {
    expect(parseSettings({ ...NONE, REGISTRY_CACHE_TTL_MS: "500" })).toEqual({ ok: true, value: expect.objectContaining({ registryCacheTtlMs: 500, registryNegativeTtlMs: 500 }) });
  });

  test("jwt auth: defaults for the claim, algorithms, tolerance and key set lifetime; audiences split on commas", () => {
    expect(parseSettings({ ...JWT, AUTH_AUDIENCE: "a, b" })).toEqual({
      ok: true,
      value: expect.objectContaining({
        auth: {
          mode: "jwt",
          issuer: "https://auth.example.com/",
          audiences: ["a", "b"],
          jwksUrl: "https://auth.example.com/jwks.json",
          tenantClaim: "tenant_id",
          algorithms: ["RS256", "ES256"],
          clockToleranceSeconds: 30,
          jwksCacheMs: 600_000,
        },
      }),
    });
  });

  test("a loopback http key set URL is accepted in local mode only", () => {
    const local = { ...JWT, AUTH_JWKS_URL: "http://127.0.0.1:9999/jwks.json" };
    expect(parseSettings({ ...local, ROUTER_MODE: "local" }).ok).toBe(true);
    expect(parseSettings(local)).toEqual({ ok: false, error: expect.stringMatching(/AUTH_JWKS_URL must use https, got/) });
  });

  test.each([
    [{ ...NONE, ROUTER_MODE: "dev" }, /ROUTER_MODE must be one of cloud, local/],
    [{ ...NONE, CELL_TIMEOUT_MS: "soon" }, /CELL_TIMEOUT_MS must be an integer/],
    [{ ...NONE, CELL_TIMEOUT_MS: "0" }, /CELL_TIMEOUT_MS/],
    [{ ...NONE, CELL_TIMEOUT_MS: "1.5" }, /CELL_TIMEOUT_MS/],
    [{ ...NONE, CELL_TIMEOUT_MS: "120000" }, /CELL_TIMEOUT_MS must be an integer from 1 to 60000, got "120000"/],
    [{ ...NONE, REGISTRY_CACHE_TTL_MS: "-1" }, /REGISTRY_CACHE_TTL_MS/],
    [{ ...NONE, REGISTRY_CACHE_TTL_MS: "100", REGISTRY_NEGATIVE_TTL_MS: "200" }, /REGISTRY_NEGATIVE_TTL_MS must be an integer from 0 to 100/],
    [{ ...NONE, REGISTRY_CACHE_TTL_MS: "10000", REGISTRY_MAX_STALE_MS: "5000" }, /REGISTRY_MAX_STALE_MS must be 0 or at least REGISTRY_CACHE_TTL_MS/],
    [{ ...NONE, MAX_BODY_BYTES: String(MAX_BODY_BYTES + 1) }, /MAX_BODY_BYTES/],
    [{ ...NONE, BREAKER_FAILURE_THRESHOLD: "0" }, /BREAKER_FAILURE_THRESHOLD must be an integer from 1/],
    [{ AUTH_MODE: "off" }, /AUTH_MODE .* must be one of jwt, none, got "off"/],
    [{ ...JWT, AUTH_ISSUER: " " }, /AUTH_ISSUER is required with jwt auth/],
    [{ ...JWT, AUTH_AUDIENCE: " , " }, /AUTH_AUDIENCE is required with jwt auth/],
    [{ ...JWT, AUTH_JWKS_URL: undefined }, /AUTH_JWKS_URL is required with jwt auth/],
    [{ ...JWT, AUTH_JWKS_URL: "not a url" }, /AUTH_JWKS_URL must be a URL/],
    [{ ...JWT, AUTH_TENANT_CLAIM: "tenant id" }, /AUTH_TENANT_CLAIM must be a claim name/],
    [{ ...JWT, AUTH_ALGORITHMS: "RS256,HS256" }, /AUTH_ALGORITHMS must list some of RS256, ES256/],
    [{ ...JWT, AUTH_ALGORITHMS: "none" }, /AUTH_ALGORITHMS/],
  ])("invalid settings are errors: %p", (env, error) => {
    expect(parseSettings(env)).toEqual({ ok: false, error: expect.stringMatching(error) });
  });
});

describe("the construct's bindings come from the same definitions", () => {
  test("binding names are the definitions' own", () => {
    expect(SettingBindings.cellTimeoutMs).toBe("CELL_TIMEOUT_MS");
    expect(Object.values(SettingBindings)).toEqual(Object.values(ROUTER_SETTINGS).map((d) => d.binding));
    expect(new Set(Object.values(SettingBindings)).size).toBe(Object.keys(ROUTER_SETTINGS).length);
  });

  test("every integer setting is written out, defaults included, and the Worker's parser reads back the props", () => {
    const bindings = edgeRouterSettingBindings({ cellTimeoutMs: 2500, auth: { mode: "jwt", issuer: "https://i/", audience: ["a", "b"], jwksUrl: "https://i/keys", algorithms: ["ES256"] } });
    expect(bindings).toEqual(
      expect.objectContaining({ ROUTER_MODE: "cloud", CELL_TIMEOUT_MS: "2500", REGISTRY_CACHE_TTL_MS: "10000", AUTH_MODE: "jwt", AUTH_AUDIENCE: "a,b", AUTH_ALGORITHMS: "ES256", AUTH_TENANT_CLAIM: "tenant_id" }),
    );
    const parsed = parseSettings(bindings);
    expect(parsed).toEqual({ ok: true, value: expect.objectContaining({ cellTimeoutMs: 2500, auth: expect.objectContaining({ audiences: ["a", "b"], algorithms: ["ES256"] }) }) });
  });

  test("auth none writes AUTH_MODE only", () => {
    const bindings = edgeRouterSettingBindings({ auth: { mode: "none" } });
    expect(Object.keys(bindings).filter((k) => k.startsWith("AUTH_"))).toEqual(["AUTH_MODE"]);
  });

  test("the synth-time check names the prop, with the Worker's range", () => {
    expect(checkEdgeRouterSettings(edgeRouterSettingBindings({ cellTimeoutMs: 120_000, auth: { mode: "none" } }))).toBe('cellTimeoutMs must be an integer from 1 to 60000, got "120000"');
    expect(checkEdgeRouterSettings(edgeRouterSettingBindings({ auth: { mode: "jwt", issuer: "https://i/", audience: "a", jwksUrl: "http://keys.example.com/" } }))).toMatch(/^auth\.jwksUrl must use https/);
    expect(settingPropName("authTenantClaim")).toBe("auth.tenantClaim");
  });
});
