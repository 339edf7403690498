import { bearerChallenge, bearerToken } from "../router/auth";
import { parseSettings } from "../router/settings";

/** The router's settings and bearer headers at their edges. */

const NONE = { AUTH_MODE: "none" } as const;
const JWT = { AUTH_MODE: "jwt", AUTH_ISSUER: "https://auth.example.com/", AUTH_AUDIENCE: "cells-api", AUTH_JWKS_URL: "https://auth.example.com/jwks.json" } as const;
const valueOf = (env: Record<string, string | undefined>) => {
  const parsed = parseSettings(env);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe("settings at their bounds", () => {
  test("an empty binding is an unset one", () => {
    expect(valueOf({ ...NONE, CELL_TIMEOUT_MS: "", ROUTER_MODE: "" })).toEqual(expect.objectContaining({ mode: "cloud", cellTimeoutMs: 10_000 }));
    expect(valueOf({ ...JWT, AUTH_TENANT_CLAIM: "", AUTH_ALGORITHMS: "" }).auth).toEqual(expect.objectContaining({ tenantClaim: "tenant_id", algorithms: ["RS256", "ES256"] }));
  });

  test("an integer at its minimum and at its maximum is taken", () => {
    expect(valueOf({ ...NONE, CELL_TIMEOUT_MS: "1", BREAKER_COOLDOWN_MS: "100" })).toEqual(expect.objectContaining({ cellTimeoutMs: 1, breakerCooldownMs: 100 }));
    expect(valueOf({ ...NONE, CELL_TIMEOUT_MS: "60000", BREAKER_FAILURE_THRESHOLD: "1000" })).toEqual(expect.objectContaining({ cellTimeoutMs: 60_000, breakerFailureThreshold: 1000 }));
    expect(parseSettings({ ...NONE, BREAKER_COOLDOWN_MS: "99" })).toEqual({ ok: false, error: 'BREAKER_COOLDOWN_MS must be an integer from 100 to 600000, got "99"' });
  });

  test("the maximum staleness is 0 (off) or at least the cache TTL, the TTL itself included", () => {
    expect(valueOf({ ...NONE, REGISTRY_CACHE_TTL_MS: "10000", REGISTRY_MAX_STALE_MS: "0" }).registryMaxStaleMs).toBe(0);
    expect(valueOf({ ...NONE, REGISTRY_CACHE_TTL_MS: "10000", REGISTRY_MAX_STALE_MS: "10000" }).registryMaxStaleMs).toBe(10_000);
    expect(parseSettings({ ...NONE, REGISTRY_CACHE_TTL_MS: "10000", REGISTRY_MAX_STALE_MS: "9999" })).toEqual({
      ok: false,
      error: "REGISTRY_MAX_STALE_MS must be 0 or at least REGISTRY_CACHE_TTL_MS (10000), got 9999",
    });
  });

  test("a message may name the construct's props instead of the bindings", () => {
    expect(parseSettings({ ...NONE, CELL_TIMEOUT_MS: "0" }, { name: (key) => `props.${key}` })).toEqual({ ok: false, error: 'props.cellTimeoutMs must be an integer from 1 to 60000, got "0"' });
  });
});

describe("jwt settings", () => {
  test("an issuer is required and trimmed", () => {
    expect(parseSettings({ ...JWT, AUTH_ISSUER: undefined })).toEqual({ ok: false, error: 'AUTH_ISSUER is required with jwt auth: the tokens\' iss, e.g. "https://auth.example.com/"' });
    expect(valueOf({ ...JWT, AUTH_ISSUER: "  https://i.example.com/ " }).auth).toEqual(expect.objectContaining({ issuer: "https://i.example.com/" }));
  });

  test("algorithms are a comma-separated list of accepted ones, spaces and repeats forgiven", () => {
    expect(valueOf({ ...JWT, AUTH_ALGORITHMS: " ES256 ,, RS256,ES256 " }).auth).toEqual(expect.objectContaining({ algorithms: ["ES256", "RS256"] }));
    for (const listed of [",", " , "]) {
      expect(parseSettings({ ...JWT, AUTH_ALGORITHMS: listed })).toEqual({ ok: false, error: `AUTH_ALGORITHMS must list some of RS256, ES256, got ${JSON.stringify(listed)}` });
    }
  });

  test.each<[string, Record<string, string>, string | undefined]>([
    ["https anywhere", { AUTH_JWKS_URL: "https://keys.example.com/jwks.json" }, undefined],
    ["http on loopback, locally", { ROUTER_MODE: "local", AUTH_JWKS_URL: "http://localhost:9999/jwks.json" }, undefined],
    ["http on [::1], locally", { ROUTER_MODE: "local", AUTH_JWKS_URL: "http://[::1]:9999/jwks.json" }, undefined],
    ["http elsewhere, locally", { ROUTER_MODE: "local", AUTH_JWKS_URL: "http://keys.example.com/jwks.json" }, 'AUTH_JWKS_URL must use https (or http on loopback), got "http://keys.example.com/jwks.json"'],
    ["http on loopback, in the cloud", { AUTH_JWKS_URL: "http://127.0.0.1:9999/jwks.json" }, 'AUTH_JWKS_URL must use https, got "http://127.0.0.1:9999/jwks.json"'],
    ["another scheme on loopback, locally", { ROUTER_MODE: "local", AUTH_JWKS_URL: "ftp://127.0.0.1/jwks.json" }, 'AUTH_JWKS_URL must use https (or http on loopback), got "ftp://127.0.0.1/jwks.json"'],
    ["a user name", { AUTH_JWKS_URL: "https://me@keys.example.com/jwks.json" }, 'AUTH_JWKS_URL must not carry credentials or a fragment, got "https://me@keys.example.com/jwks.json"'],
    ["a password only", { AUTH_JWKS_URL: "https://:pw@keys.example.com/jwks.json" }, "AUTH_JWKS_URL must not carry credentials or a fragment, got \"https://:pw@keys.example.com/jwks.json\""],
    ["a fragment", { AUTH_JWKS_URL: "https://keys.example.com/jwks.json#k1" }, 'AUTH_JWKS_URL must not carry credentials or a fragment, got "https://keys.example.com/jwks.json#k1"'],
  ])("a key set URL with %s", (_label, env, error) => {
    const parsed = parseSettings({ ...JWT, ...env });
    expect(parsed).toEqual(error === undefined ? { ok: true, value: expect.objectContaining({ auth: expect.objectContaining({ jwksUrl: env.AUTH_JWKS_URL }) }) } : { ok: false, error });
  });
});

describe("bearer headers", () => {
  test.each<[string, string | null, unknown]>([
    ["no header", null, { ok: false, missing: true, detail: "send a bearer token: Authorization: Bearer <token>" }],
    ["an empty header", "", { ok: false, missing: true, detail: "send a bearer token: Authorization: Bearer <token>" }],
    ["a blank header", "   ", { ok: false, missing: true, detail: "send a bearer token: Authorization: Bearer <token>" }],
    ["another scheme", "Basic dXNlcjpwdw==", { ok: false, missing: false, detail: "the Authorization header must be 'Bearer <token>'" }],
    ["text before the scheme", "xBearer abc", { ok: false, missing: false, detail: "the Authorization header must be 'Bearer <token>'" }],
    ["no space after the scheme", "Bearerabc", { ok: false, missing: false, detail: "the Authorization header must be 'Bearer <token>'" }],
    ["a trailing space", "Bearer abc.def ", { ok: true, token: "abc.def" }],
    ["padding", "Bearer abc==", { ok: true, token: "abc==" }],
    ["padding inside", "Bearer ab=c", { ok: false, missing: false, detail: "the Authorization header must be 'Bearer <token>'" }],
  ])("%s", (_label, header, expected) => {
    expect(bearerToken(header)).toEqual(expected);
  });

  test("a challenge carries a description only with an error", () => {
    expect(bearerChallenge(undefined, "ignored")).toBe('Bearer realm="cells"');
    expect(bearerChallenge("invalid_request")).toBe('Bearer realm="cells", error="invalid_request"');
  });
});
