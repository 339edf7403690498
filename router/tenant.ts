import { BODY_TENANT_FIELD, TENANT_ID_PATTERN, isTenantId, tenantOfPath } from "../contract";

/** Where a request named its tenant (`token`: the verified client token's tenant claim). */
export type TenantSource = "token" | "header" | "path" | "body";

/** What tenant resolution sees of a request. */
export interface TenantInput {
  /** The raw `X-Tenant-Id` header value, or null when absent. */
  readonly header: string | null;
  /** The URL path, e.g. `/api/tenants/T-100/records/r1`. */
  readonly path: string;
  /** The request body bytes; empty for requests without one (GET, HEAD). */
  readonly body: Uint8Array;
  /** The tenant the client's verified token grants, when the router authenticates clients. */
  readonly token?: string;
}

/** The tenant, with every source that named it, or the problem to answer with. */
export type TenantResolution =
  | { readonly ok: true; readonly tenantId: string; readonly sources: readonly TenantSource[] }
  | {
      readonly ok: false;
      readonly code: "missing_tenant" | "tenant_conflict" | "invalid_json" | "invalid_request" | "tenant_forbidden";
      readonly detail: string;
    };

const utf8 = new TextDecoder("utf-8", { fatal: true });

type BodyTenant = { readonly kind: "absent" } | { readonly kind: "invalid_json" } | { readonly kind: "named"; readonly value: unknown };

/** The body's top-level `tenant_id` (`BODY_TENANT_FIELD`), if the body is a JSON object that has one. */
function bodyTenant(body: Uint8Array): BodyTenant {
  if (body.byteLength === 0) return { kind: "absent" };
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    return { kind: "invalid_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !(BODY_TENANT_FIELD in value)) return { kind: "absent" };
  return { kind: "named", value: (value as Record<string, unknown>)[BODY_TENANT_FIELD] };
}

const invalid = (where: string, value: unknown) =>
  ({ ok: false, code: "invalid_request", detail: `tenant id in the ${where} must match ${TENANT_ID_PATTERN}, got ${JSON.stringify(value)}` }) as const;

/**
 * Finds the request's tenant. A request may name it in the `X-Tenant-Id` header, in the path
 * (`/api/tenants/{id}/...`), or as `tenant_id` in a JSON object body (the seed's `POST /api/process`).
 * Every source present must name the same, valid tenant:
 *
 * - none => `missing_tenant`; two that disagree => `tenant_conflict`; an id that breaks
 *   `TENANT_ID_PATTERN` => `invalid_request`;
 * - a body that is not JSON is `invalid_json` only when the body is the only place the tenant could be;
 *   when the header or path names the tenant, the body is the cell's business (it may not be JSON at all).
 *
 * With a verified token the token's tenant is the tenant: the request need not name it, and a header,
 * path or body that names another one is `tenant_forbidden` (403).
 */
export function resolveTenant(input: TenantInput): TenantResolution {
  const named: Array<{ source: TenantSource; tenantId: string }> = input.token === undefined ? [] : [{ source: "token", tenantId: input.token }];

  if (input.header !== null) {
    const value = input.header.trim();
    if (!isTenantId(value)) return invalid("X-Tenant-Id header", input.header);
    named.push({ source: "header", tenantId: value });
  }

  const fromPath = tenantOfPath(input.path);
  if (fromPath.kind === "invalid") return invalid("path", fromPath.raw);
  if (fromPath.kind === "tenant") named.push({ source: "path", tenantId: fromPath.tenantId });

  const body = bodyTenant(input.body);
  if (body.kind === "invalid_json" && named.length === 0) {
    return { ok: false, code: "invalid_json", detail: "the request names no tenant in the X-Tenant-Id header or the path, and its body is not valid JSON in UTF-8" };
  }
  if (body.kind === "named") {
    if (!isTenantId(body.value)) return invalid("body's tenant_id", body.value);
    named.push({ source: "body", tenantId: body.value });
  }

  const first = named[0];
  if (first === undefined) {
    return { ok: false, code: "missing_tenant", detail: "name the tenant in the X-Tenant-Id header, the path (/api/tenants/{id}/...) or the body's tenant_id" };
  }
  const other = named.find((n) => n.tenantId !== first.tenantId);
  if (other !== undefined && first.source === "token") {
    return { ok: false, code: "tenant_forbidden", detail: `the token grants tenant '${first.tenantId}' but the ${other.source} names '${other.tenantId}'` };
  }
  if (other !== undefined) {
    return { ok: false, code: "tenant_conflict", detail: `the ${first.source} names tenant '${first.tenantId}' but the ${other.source} names '${other.tenantId}'` };
  }
  return { ok: true, tenantId: first.tenantId, sources: named.map((n) => n.source) };
}
