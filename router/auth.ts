/**
 * Client authentication at the edge, as the routing logic sees it: a port that turns the request's
 * `Authorization` header into the tenant the client may act for, or the reason it may not. The
 * JWT implementation (`router/jwt-authenticator.ts`, on `jose`) is wired in by the Worker only, so
 * the routing logic stays free of it.
 */

/** The verified client, or why it is refused. */
export type AuthResult =
  | {
      readonly ok: true;
      /** The tenant the token grants (its tenant claim). */
      readonly tenantId: string;
      /** The token's `sub`, for the log. */
      readonly subject?: string;
      /** When the token expires (its `exp`), epoch ms. */
      readonly expiresAt?: number;
    }
  | {
      readonly ok: false;
      /** `invalid_token` (401): no token, or one the router will not accept; `auth_unavailable` (503): the issuer's keys could not be fetched. */
      readonly code: "invalid_token" | "auth_unavailable";
      /** For the client: what was wrong, never the token itself. */
      readonly detail: string;
      /** For the log, when it says more than `detail`. */
      readonly error?: string;
      /** RFC 6750 `error` for the `WWW-Authenticate` challenge; absent when no token was sent. */
      readonly bearerError?: "invalid_request" | "invalid_token";
    };

/** Verifies the `Authorization` header of one request (null when there is none). */
export type Authenticator = (authorization: string | null) => Promise<AuthResult>;

/** The realm the router's bearer challenges name. */
export const AUTH_REALM = "cells";

/**
 * A `WWW-Authenticate` value (RFC 6750 section 3): `Bearer realm="cells"` for a request without a token,
 * with `error` and `error_description` otherwise. The description drops characters a quoted string cannot hold.
 */
export function bearerChallenge(error?: "invalid_request" | "invalid_token" | "insufficient_scope", description?: string): string {
  const parts = [`realm="${AUTH_REALM}"`];
  if (error !== undefined) parts.push(`error="${error}"`);
  if (error !== undefined && description !== undefined) parts.push(`error_description="${description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "")}"`);
  return `Bearer ${parts.join(", ")}`;
}

/** The token of a `Bearer` header, or why there is none usable. */
export function bearerToken(authorization: string | null): { readonly ok: true; readonly token: string } | { readonly ok: false; readonly missing: boolean; readonly detail: string } {
  if (authorization === null || authorization.trim() === "") return { ok: false, missing: true, detail: "send a bearer token: Authorization: Bearer <token>" };
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
  if (!match) return { ok: false, missing: false, detail: "the Authorization header must be 'Bearer <token>'" };
  return { ok: true, token: match[1]! };
}
