// @ts-expect-error TS1479: the router runs only as the bundled ES module (esbuild); jose is ESM-only and never required
import { jwtVerify } from "jose";
import { TENANT_ID_PATTERN, isTenantId } from "../contract";
import { bearerToken, type Authenticator, type AuthResult } from "./auth";
import type { JwksCache } from "./jwks-cache";
import type { JwtAuthSettings } from "./settings";

/** What each of jose's error codes tells the client (never the token, never a stack). */
const REFUSALS: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: "the token has expired",
  ERR_JWT_CLAIM_VALIDATION_FAILED: "a claim of the token is not acceptable",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "the token's signature does not verify",
  ERR_JWS_INVALID: "the token is not a well-formed JWS",
  ERR_JWT_INVALID: "the token is not a well-formed JWT",
  ERR_JOSE_ALG_NOT_ALLOWED: "the token's signature algorithm is not accepted",
  ERR_JOSE_NOT_SUPPORTED: "the token's signature algorithm is not accepted",
  ERR_JWKS_NO_MATCHING_KEY: "the token is signed with a key the issuer does not publish",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "the token does not say which of the issuer's keys signed it",
};

/**
 * Bearer JWT authentication with `jose`: the signature against the issuer's published keys
 * (`JwksCache`), the algorithm against the accepted list (never `none`, never HMAC), `iss`, `aud`,
 * `exp` (required) and `nbf` within the clock tolerance, and a tenant claim that is a valid tenant id.
 * A refused token is a 401 `invalid_token`; keys that cannot be fetched at all are a 503.
 */
export function jwtAuthenticator(settings: JwtAuthSettings, keys: JwksCache): Authenticator {
  return async (authorization): Promise<AuthResult> => {
    const bearer = bearerToken(authorization);
    if (!bearer.ok) return { ok: false, code: "invalid_token", detail: bearer.detail, ...(bearer.missing ? {} : { bearerError: "invalid_request" as const }) };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(bearer.token, keys.getKey, {
        issuer: settings.issuer,
        audience: [...settings.audiences],
        algorithms: [...settings.algorithms],
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      const message = error instanceof Error ? error.message : String(error);
      const refusal = REFUSALS[code];
      if (refusal !== undefined) {
        const claim = (error as { claim?: string }).claim;
        return { ok: false, code: "invalid_token", detail: claim === undefined ? refusal : `${refusal}: ${claim}`, error: `${code}: ${message}`, bearerError: "invalid_token" };
      }
      return { ok: false, code: "auth_unavailable", detail: "the token could not be checked: the issuer's keys are unavailable; retry shortly", error: `${code || "error"}: ${message}` };
    }
    const tenant = payload[settings.tenantClaim];
    if (!isTenantId(tenant)) {
      return {
        ok: false,
        code: "invalid_token",
        detail: `the token has no ${settings.tenantClaim} claim naming a tenant (${TENANT_ID_PATTERN})`,
        bearerError: "invalid_token",
      };
    }
    return {
      ok: true,
      tenantId: tenant,
      ...(typeof payload.sub === "string" ? { subject: payload.sub } : {}),
      ...(typeof payload.exp === "number" ? { expiresAt: payload.exp * 1000 } : {}),
    };
  };
}
