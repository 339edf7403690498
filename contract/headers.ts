/**
 * Header names of the edge-to-cell wire contract, lower-case (HTTP header names are case-insensitive;
 * every platform here hands them to us lower-cased or lets us look them up that way).
 */
export const Headers = {
  requestId: "x-request-id",
  tenantId: "x-tenant-id",
  cellId: "x-cell-id",
  processedByCloud: "x-processed-by-cloud",
  timestamp: "x-edge-timestamp",
  nonce: "x-edge-nonce",
  keyId: "x-edge-key-id",
  signature: "x-edge-signature",
  idempotencyKey: "idempotency-key",
  retryAfter: "retry-after",
  contentType: "content-type",
} as const;

/**
 * The router owns every header with this prefix. It strips any a client sends, so a client can never
 * smuggle a signature, timestamp or nonce of its own through the edge.
 */
export const ROUTER_HEADER_PREFIX = "x-edge-";

/** Headers the router sets itself on the way in; client-supplied values are dropped before forwarding. */
export const ROUTER_OWNED_HEADERS: readonly string[] = [Headers.requestId, Headers.tenantId, Headers.cellId, Headers.processedByCloud];

export const JSON_CONTENT_TYPE = "application/json";
export const PROBLEM_CONTENT_TYPE = "application/problem+json";
