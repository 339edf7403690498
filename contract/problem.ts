import { PROBLEM_CONTENT_TYPE } from "./headers";

/**
 * Error bodies, from router and cells alike: RFC 9457 `application/problem+json`.
 * Every problem a component can answer with is listed here once, with its status and title, so
 * the router and both clouds' cells cannot drift apart.
 */
export const PROBLEMS = {
  invalid_json: { status: 400, title: "Request body is not valid JSON" },
  invalid_request: { status: 400, title: "Request is invalid" },
  missing_tenant: { status: 400, title: "No tenant in the request" },
  tenant_conflict: { status: 400, title: "The request names two different tenants" },
  unauthenticated: { status: 401, title: "Request signature is missing or invalid" },
  stale_request: { status: 401, title: "Request timestamp is outside the allowed window" },
  replayed_request: { status: 401, title: "Request nonce was already used" },
  invalid_token: { status: 401, title: "Client token is missing or invalid" },
  tenant_mismatch: { status: 403, title: "Signed tenant does not match the requested tenant" },
  tenant_forbidden: { status: 403, title: "Token does not grant this tenant" },
  not_found: { status: 404, title: "No such route" },
  unknown_tenant: { status: 404, title: "Unknown tenant" },
  record_not_found: { status: 404, title: "Record not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  version_conflict: { status: 409, title: "Record version conflict" },
  tenant_moved: { status: 409, title: "Tenant has moved to another cell" },
  epoch_conflict: { status: 409, title: "Tenant ownership changed since it was read" },
  ownership_state: { status: 409, title: "Tenant ownership state does not allow this" },
  idempotency_in_progress: { status: 409, title: "A request with this idempotency key is still in progress" },
  payload_too_large: { status: 413, title: "Request body is too large" },
  uri_too_long: { status: 414, title: "Request URL is too long" },
  misdirected_request: { status: 421, title: "Request was signed for another cell" },
  idempotency_key_reused: { status: 422, title: "Idempotency key was used for a different request" },
  cell_throttled: { status: 429, title: "Cell is throttling requests" },
  headers_too_large: { status: 431, title: "Request headers are too large" },
  internal: { status: 500, title: "Internal error" },
  bad_gateway: { status: 502, title: "Cell unreachable or gave an invalid answer" },
  registry_invalid: { status: 502, title: "Registry entry is invalid" },
  cell_unavailable: { status: 503, title: "Cell is not accepting requests" },
  tenant_not_writable: { status: 503, title: "Tenant is not accepting writes" },
  tenant_migrating: { status: 503, title: "Tenant is moving to another cell" },
  tenant_fenced: { status: 503, title: "Tenant is being handed over to another cell; writes are paused" },
  tenant_unavailable: { status: 503, title: "Tenant is not active on this cell yet" },
  store_unavailable: { status: 503, title: "The cell's store did not answer" },
  registry_unavailable: { status: 503, title: "Tenant registry could not be read" },
  cell_busy: { status: 503, title: "Cell is temporarily unavailable" },
  circuit_open: { status: 503, title: "Cell is failing; requests are paused" },
  auth_unavailable: { status: 503, title: "Token keys could not be fetched" },
  gateway_timeout: { status: 504, title: "Cell did not answer in time" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_TYPE_PREFIX = "urn:problem-type:cells:";

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly requestId: string;
  readonly [extension: string]: unknown;
}

export function problem(code: ProblemCode, detail: string, requestId: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = PROBLEMS[code];
  return { ...extensions, type: `${PROBLEM_TYPE_PREFIX}${code}`, title, status, detail, requestId };
}

/** The code of a problem body, or undefined when `body` is not one of ours. */
export function problemCode(body: unknown): ProblemCode | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const type = (body as { type?: unknown }).type;
  if (typeof type !== "string" || !type.startsWith(PROBLEM_TYPE_PREFIX)) return undefined;
  const code = type.slice(PROBLEM_TYPE_PREFIX.length);
  return Object.hasOwn(PROBLEMS, code) ? (code as ProblemCode) : undefined;
}

/** A ready-to-send problem response as a Fetch API `Response` (workerd and Node 20 both have it). */
export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), { status: p.status, headers: { "content-type": PROBLEM_CONTENT_TYPE, ...headers } });
}
