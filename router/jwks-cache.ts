// @ts-expect-error TS1479: the router runs only as the bundled ES module (esbuild); jose is ESM-only and never required
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/** How the key set is fetched and kept. */
export interface JwksCacheOptions {
  readonly url: string;
  /** How long a fetched key set is used before it is fetched again, ms. */
  readonly maxAgeMs: number;
  /** Least time between two fetches caused by a token whose `kid` the set lacks, ms. */
  readonly refetchCooldownMs: number;
  /** How long one fetch may take, ms. */
  readonly fetchTimeoutMs: number;
  readonly now: () => number;
  readonly fetch: (url: string, init: { readonly headers: Record<string, string>; readonly signal: AbortSignal }) => Promise<{ readonly status: number; json(): Promise<unknown> }>;
}

/** The key set could not be fetched and none was fetched before: tokens cannot be checked at all (503). */
export class JwksUnavailableError extends Error {
  readonly code = "ERR_EDGE_JWKS_UNAVAILABLE";
}

/**
 * What is not a router setting: at most one refetch per 30 s for unknown `kid`s (and after a failed
 * refresh), 3 s per fetch, and with no keys at all a failed fetch is not retried for 1 s.
 */
export const JWKS_FETCH = { refetchCooldownMs: 30_000, fetchTimeoutMs: 3_000, failureHoldOffMs: 1_000 } as const;

/**
 * The issuer's JSON Web Key Set, cached in the isolate. It is fetched on first use and again after
 * `maxAgeMs`; a token whose `kid` is not in the set causes one refetch at once (such refetches at
 * most every `refetchCooldownMs`, so tokens with made-up `kid`s cannot make the router hammer the
 * issuer), so a key rotation is picked up without waiting. When a fetch fails the keys
 * already held stay in use (the issuer being down does not log everyone out); only with no keys at
 * all is the failure the caller's (`JwksUnavailableError`).
 *
 * The set is kept as jose's local key set (`createLocalJWKSet`), which imports each key once and
 * reuses the `CryptoKey`. Each request that needs a fetch does its own (workerd lets no request
 * await another's I/O); only the resulting plain data is shared.
 */
export class JwksCache {
  private keys: JWTVerifyGetKey | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  /** When a token with an unknown `kid` last caused a fetch. */
  private lastKidRefetch = Number.NEGATIVE_INFINITY;
  /** Why the last fetch failed, while no key set was ever fetched. */
  private lastFailure: string | undefined;

  constructor(private readonly options: JwksCacheOptions) {}

  /** A `jwtVerify` key resolver over the cached set, refreshing it as described above. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.current();
    try {
      return await keys(header, token);
    } catch (error) {
      const unknownKid = (error as { code?: string }).code === "ERR_JWKS_NO_MATCHING_KEY";
      if (!unknownKid || this.options.now() - this.lastKidRefetch < this.options.refetchCooldownMs) throw error;
      this.lastKidRefetch = this.options.now();
      return (await this.refresh(keys))(header, token);
    }
  };

  /**
   * The set to verify with: the cached one while it is young enough, else a freshly fetched one (or
   * the cached one if fetching fails). After a failed fetch the issuer is left alone for the cool-down,
   * so an issuer outage costs no request a fetch timeout.
   */
  private async current(): Promise<JWTVerifyGetKey> {
    const now = this.options.now();
    const triedRecently = now - this.lastAttempt < this.options.refetchCooldownMs;
    if (this.keys !== undefined && (now - this.fetchedAt < this.options.maxAgeMs || triedRecently)) return this.keys;
    if (this.keys === undefined && this.lastFailure !== undefined && now - this.lastAttempt < JWKS_FETCH.failureHoldOffMs) throw new JwksUnavailableError(this.lastFailure);
    return this.refresh(this.keys);
  }

  private async refresh(fallback: JWTVerifyGetKey | undefined): Promise<JWTVerifyGetKey> {
    this.lastAttempt = this.options.now();
    try {
      const response = await this.options.fetch(this.options.url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.options.fetchTimeoutMs) });
      if (response.status !== 200) throw new Error(`the key set URL answered ${response.status}`);
      const keys = createLocalJWKSet((await response.json()) as JSONWebKeySet);
      this.keys = keys;
      this.fetchedAt = this.options.now();
      this.lastFailure = undefined;
      return keys;
    } catch (error) {
      if (fallback !== undefined) return fallback;
      this.lastFailure = `the issuer's key set could not be fetched: ${error instanceof Error ? error.message : String(error)}`;
      throw new JwksUnavailableError(this.lastFailure);
    }
  }
}
