import { Headers, SIGNATURE_WINDOW_SECONDS, isKeyId, isTenantId, isWriteMethod, verifySignature } from "../../contract";
import { AuthError } from "./errors";
import type { Clock, KeySource, NonceStore } from "./ports";
import type { CellRequest } from "./request";

/**
 * Who may call what: the edge router's key signs data requests, the cell's admin key (held by
 * `cellctl`, never by the router) signs admin requests. A key of one scope is refused on the other's
 * routes, so a leaked router key cannot move or export a tenant.
 */
export type KeyScope = "edge" | "admin" | "replication";

/** The tenant an admin request names when it concerns the whole cell (`GET /admin/tenants`). */
export const CELL_WIDE_TENANT = "*";

export interface VerifierDeps {
  readonly cellId: string;
  /**
   * The key id each scope accepts (`alpha-v1`, `alpha-admin-v1`, a tenant's link key `repl-...`); no
   * admin key id: the admin API is closed; no replication key id: the tenant has no link here.
   */
  readonly keyIds: { readonly edge: string; readonly admin?: string; readonly replication?: string };
  readonly keys: KeySource;
  readonly nonces: NonceStore;
  readonly clock: Clock;
}

export interface VerifiedRequest {
  readonly tenantId: string;
}

const SIGNED_HEADERS = [Headers.cellId, Headers.tenantId, Headers.timestamp, Headers.nonce, Headers.keyId, Headers.signature] as const;
type SignedHeader = (typeof SIGNED_HEADERS)[number];

function readSignedHeaders(headers: CellRequest["headers"]): Record<SignedHeader, string> {
  const missing = SIGNED_HEADERS.filter((name) => !headers[name]);
  if (missing.length > 0) throw new AuthError("unauthenticated", `missing signature headers: ${missing.join(", ")}`);
  return Object.fromEntries(SIGNED_HEADERS.map((name) => [name, headers[name]])) as Record<SignedHeader, string>;
}

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Checks that a request was signed with this cell's key of `scope`, for this cell and this tenant,
 * inside the time window, and (for writes) that its nonce is new. Order matters: nothing about the
 * cell or tenant is revealed to a caller who cannot produce a valid signature, and a nonce is only
 * spent on a request whose signature is valid.
 *
 * @param routeTenantId the tenant the path or body names (`CELL_WIDE_TENANT` for cell-wide admin
 *   routes), if any; it must equal the signed tenant.
 */
export async function verifyRequest(req: CellRequest, routeTenantId: string | undefined, scope: KeyScope, deps: VerifierDeps): Promise<VerifiedRequest> {
  const {
    [Headers.cellId]: cellId,
    [Headers.tenantId]: tenantId,
    [Headers.timestamp]: timestampText,
    [Headers.nonce]: nonce,
    [Headers.keyId]: keyId,
    [Headers.signature]: signature,
  } = readSignedHeaders(req.headers);

  if (!/^\d{1,12}$/.test(timestampText)) throw new AuthError("unauthenticated", `${Headers.timestamp} must be unix seconds`);
  if (!NONCE_PATTERN.test(nonce)) throw new AuthError("unauthenticated", `${Headers.nonce} must be 16 to 128 URL-safe characters`);
  const cellWide = scope === "admin" && routeTenantId === CELL_WIDE_TENANT;
  if (!(isTenantId(tenantId) || (cellWide && tenantId === CELL_WIDE_TENANT))) throw new AuthError("unauthenticated", `${Headers.tenantId} is not a valid tenant id`);
  const scopeKeyId = deps.keyIds[scope];
  if (keyId !== scopeKeyId) {
    const why = { admin: `admin routes need this cell's admin key; '${keyId}' is not it`, replication: `replication needs the tenant's link key on this cell; '${keyId}' is not it`, edge: `unknown signing key '${keyId}'` };
    throw new AuthError("unauthenticated", why[scope]);
  }
  const secret = isKeyId(keyId) ? await deps.keys.secretFor(keyId) : undefined;
  if (secret === undefined) throw new AuthError("unauthenticated", `unknown signing key '${keyId}'`);

  const timestamp = Number(timestampText);
  const valid = await verifySignature(secret, { method: req.method, path: req.path, query: req.query, cellId, tenantId, timestamp, nonce, body: req.body }, signature);
  if (!valid) throw new AuthError("unauthenticated", "signature does not match the request");

  if (cellId !== deps.cellId) throw new AuthError("misdirected_request", `request was signed for cell '${cellId}', this is cell '${deps.cellId}'`);
  const window = SIGNATURE_WINDOW_SECONDS;
  const nowSec = Math.floor(deps.clock.now() / 1000);
  if (Math.abs(nowSec - timestamp) > window) {
    throw new AuthError("stale_request", `timestamp ${timestamp} is more than ${window}s from the cell's clock`);
  }
  if (routeTenantId !== undefined && routeTenantId !== tenantId) {
    throw new AuthError("tenant_mismatch", `request was signed for tenant '${tenantId}' but names tenant '${routeTenantId}'`);
  }
  // A nonce only needs remembering while its timestamp is inside the window.
  if (isWriteMethod(req.method) && !(await deps.nonces.claim(tenantId, nonce, timestamp + window + 1, nowSec))) {
    throw new AuthError("replayed_request", "this request was already processed once (nonce reused)");
  }
  return { tenantId };
}
