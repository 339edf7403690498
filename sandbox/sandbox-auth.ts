import type { TenantPlacement } from "../contract";
import type { LocalIssuer } from "./issuer";

/**
 * The sandbox's client authentication, as its users see it: the issuer the router trusts, a
 * ready-to-use bearer token for every seeded tenant, and a way to mint more (other tenants, extra
 * claims). The end-to-end tests, the benchmark and the operator CLI use it; `npm start` prints the tokens.
 */
export interface SandboxAuth {
  /** The tokens' `iss` (the local issuer's loopback URL). */
  readonly issuer: string;
  /** The tokens' `aud`. */
  readonly audience: string;
  /** Where the router fetches the issuer's keys. */
  readonly jwksUrl: string;
  /** The claim that names the tenant. */
  readonly tenantClaim: string;
  /** Tenant id -> a bearer token granting that tenant, valid for `TOKEN_LIFETIME_SECONDS`. */
  readonly tokens: Readonly<Record<string, string>>;
  /** A fresh token for `tenantId`, with `extraClaims` added (or overriding the defaults). */
  mint(tenantId: string, extraClaims?: Readonly<Record<string, unknown>>): string;
}

/** The `SandboxAuth` of a running issuer, with a token for each of `tenants`. */
export function sandboxAuthOf(issuer: LocalIssuer, tenants: readonly TenantPlacement[]): SandboxAuth {
  return {
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUrl: issuer.jwksUrl,
    tenantClaim: issuer.tenantClaim,
    tokens: Object.fromEntries(tenants.map((t) => [t.tenantId, issuer.mint(t.tenantId)])),
    mint: (tenantId, extraClaims) => issuer.mint(tenantId, { claims: extraClaims }),
  };
}
