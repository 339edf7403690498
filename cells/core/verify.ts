import { Headers, SIGNATURE_WINDOW_SECONDS, isKeyId, isTenantId, verifySignature } from "../../contract";
import { AuthError } from "./errors";
import type { Clock, KeySource, NonceStore } from "./ports";
import { isWriteMethod, type CellRequest } from "./request";

export interface VerifierDeps {
  readonly cellId: string;
  readonly keys: KeySource;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  /** Allowed clock difference either way. */
  readonly windowSeconds?: number;
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
 * Checks that a request was signed by the edge router for this cell and this tenant, inside the time
 * window, and (for writes) that its nonce is new. Order matters: nothing about the cell or tenant is
 * revealed to a caller who cannot produce a valid signature, and a nonce is only spent on a request
 * whose signature is valid.
 *
 * @param routeTenantId the tenant the path or body names, if any; it must equal the signed tenant.
 */
export async function verifyEdgeRequest(req: CellRequest, routeTenantId: string | undefined, deps: VerifierDeps): Promise<VerifiedRequest> {
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
  if (!isTenantId(tenantId)) throw new AuthError("unauthenticated", `${Headers.tenantId} is not a valid tenant id`);
  const secret = isKeyId(keyId) ? await deps.keys.secretFor(keyId) : undefined;
  if (secret === undefined) throw new AuthError("unauthenticated", `unknown signing key '${keyId}'`);

  const timestamp = Number(timestampText);
  const valid = await verifySignature(secret, { method: req.method, path: req.path, query: req.query, cellId, tenantId, timestamp, nonce, body: req.body }, signature);
  if (!valid) throw new AuthError("unauthenticated", "signature does not match the request");

  if (cellId !== deps.cellId) throw new AuthError("misdirected_request", `request was signed for cell '${cellId}', this is cell '${deps.cellId}'`);
  const window = deps.windowSeconds ?? SIGNATURE_WINDOW_SECONDS;
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
