import { RECORD_ID_PATTERN, TENANT_ID_PATTERN, isRecordId, isTenantId } from "./ids";

/**
 * The HTTP rules the router and the cells share: which methods are safe, where a request names its
 * tenant, and the path templates of the cell API (data routes for the router, admin routes for
 * `cellctl`). Defined once here so the two sides can never disagree about what a path means.
 */

/** Methods that read only: never replayed as writes, served while a tenant is fenced, retried once by the router. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/** True for every method that may change state (everything but GET and HEAD; OPTIONS is not served). */
export const isWriteMethod = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/**
 * A body or an answer as JSON, or undefined when it is not JSON (empty, truncated, an HTML error
 * page): for reading the other side's answers, where "not JSON" is an outcome, not an error.
 */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The field of a JSON object body that names the tenant (the seed's `POST /api/process` shape). */
export const BODY_TENANT_FIELD = "tenant_id";

/** Path templates of the cell API. */
export const PATHS = {
  health: "/healthz",
  process: "/api/process",
  records: "/api/tenants/{tenantId}/records",
  record: "/api/tenants/{tenantId}/records/{recordId}",
  /** Admin API (admin key only): every tenant this cell has an ownership record for. */
  adminTenants: "/admin/tenants",
  adminOwnership: "/admin/tenants/{tenantId}/ownership",
  adminExport: "/admin/tenants/{tenantId}/export",
  adminImport: "/admin/tenants/{tenantId}/import",
  adminDigest: "/admin/tenants/{tenantId}/digest",
  adminPurge: "/admin/tenants/{tenantId}/purge",
  /** The tenant's change stream (its outbox), oldest first: what the standby replicator reads. */
  adminChanges: "/admin/tenants/{tenantId}/changes",
  /** Admin API (admin key only): the cell's deep health (`CellHealthReport`): a store probe and its recent requests. */
  adminHealth: "/admin/health",
  /** On a primary: its link to a standby (PUT makes it, DELETE drops it). */
  adminStandby: "/admin/tenants/{tenantId}/standby",
  /** On a standby: become (or stay) the standby of a primary; marks the seed done. */
  adminReplica: "/admin/tenants/{tenantId}/replica",
  /** On a tenant's owner: write one record as a new version, on a condition (what `cellctl reconcile --apply` does). */
  adminReconcile: "/admin/tenants/{tenantId}/reconcile",
  /** On a standby: a primary's replicated changes, signed with the link's own key (not an admin key). */
  replicationChanges: "/replication/tenants/{tenantId}/changes",
} as const;

/** The prefix every tenant data path starts with: `/api/tenants/`. */
export const TENANT_PATH_PREFIX = "/api/tenants/";

/** A path segment decoded, or undefined when its percent-escapes are malformed. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** What a tenant data path names. `raw` is the undecoded segment, for messages. */
export type TenantPath =
  | { readonly kind: "none" }
  | { readonly kind: "invalid"; readonly raw: string }
  | { readonly kind: "tenant"; readonly tenantId: string };

/**
 * The tenant a path names (`/api/tenants/{tenantId}` and anything below it), checked against
 * `TENANT_ID_PATTERN`. `none` when the path is not a tenant path at all.
 */
export function tenantOfPath(path: string): TenantPath {
  if (!path.startsWith(TENANT_PATH_PREFIX)) return { kind: "none" };
  const rest = path.slice(TENANT_PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  const raw = slash === -1 ? rest : rest.slice(0, slash);
  const tenantId = decodeSegment(raw);
  return isTenantId(tenantId) ? { kind: "tenant", tenantId } : { kind: "invalid", raw };
}

/** The cell routes, matched from a raw path. Ids are decoded and validated. */
export type CellRoute =
  | { readonly name: "health" }
  | { readonly name: "process" }
  | { readonly name: "records"; readonly tenantId: string }
  | { readonly name: "record"; readonly tenantId: string; readonly recordId: string }
  | { readonly name: "adminTenants" }
  | { readonly name: "adminHealth" }
  | {
      readonly name: "adminOwnership" | "adminExport" | "adminImport" | "adminDigest" | "adminPurge" | "adminChanges" | "adminStandby" | "adminReplica" | "adminReconcile";
      readonly tenantId: string;
    }
  | { readonly name: "replicationChanges"; readonly tenantId: string };

/** A path that matched a template but carries an id that breaks its pattern. */
export type RouteMatch = { readonly ok: true; readonly route: CellRoute } | { readonly ok: false; readonly reason: "no_route" } | { readonly ok: false; readonly reason: "invalid_id"; readonly detail: string };

const ADMIN_TENANT_ROUTES = {
  ownership: "adminOwnership",
  export: "adminExport",
  import: "adminImport",
  digest: "adminDigest",
  purge: "adminPurge",
  changes: "adminChanges",
  standby: "adminStandby",
  replica: "adminReplica",
  reconcile: "adminReconcile",
} as const;

/** Matches a raw URL path against `PATHS`. */
export function matchCellRoute(path: string): RouteMatch {
  if (path === PATHS.health) return { ok: true, route: { name: "health" } };
  if (path === PATHS.process) return { ok: true, route: { name: "process" } };
  if (path === PATHS.adminTenants) return { ok: true, route: { name: "adminTenants" } };
  if (path === PATHS.adminHealth) return { ok: true, route: { name: "adminHealth" } };
  const parts = path.split("/");
  // ["", "api" | "admin" | "replication", "tenants", tenant, ...]
  if (parts[2] !== "tenants" || parts.length < 5) return { ok: false, reason: "no_route" };
  const tenantId = decodeSegment(parts[3] ?? "");
  const badTenant = (): RouteMatch => ({ ok: false, reason: "invalid_id", detail: `tenant id in the path must match ${TENANT_ID_PATTERN}, got '${parts[3]}'` });
  if (parts[1] === "admin") {
    // Own keys only: `constructor` or `__proto__` must not name a route.
    const name = parts.length === 5 && Object.hasOwn(ADMIN_TENANT_ROUTES, parts[4]!) ? ADMIN_TENANT_ROUTES[parts[4] as keyof typeof ADMIN_TENANT_ROUTES] : undefined;
    if (name === undefined) return { ok: false, reason: "no_route" };
    return isTenantId(tenantId) ? { ok: true, route: { name, tenantId } } : badTenant();
  }
  if (parts[1] === "replication") {
    if (parts.length !== 5 || parts[4] !== "changes") return { ok: false, reason: "no_route" };
    return isTenantId(tenantId) ? { ok: true, route: { name: "replicationChanges", tenantId } } : badTenant();
  }
  if (parts[1] !== "api" || parts[4] !== "records" || parts.length > 6) return { ok: false, reason: "no_route" };
  if (!isTenantId(tenantId)) return badTenant();
  if (parts.length === 5) return { ok: true, route: { name: "records", tenantId } };
  const recordId = decodeSegment(parts[5] ?? "");
  if (!isRecordId(recordId)) return { ok: false, reason: "invalid_id", detail: `record id must match ${RECORD_ID_PATTERN}, got '${parts[5]}'` };
  return { ok: true, route: { name: "record", tenantId, recordId } };
}

/** Builds a path from a template: `pathOf(PATHS.record, { tenantId: "T-1", recordId: "r" })`. Values are percent-encoded. */
export function pathOf(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
}
