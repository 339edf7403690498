import {
  BODY_TENANT_FIELD,
  Headers,
  JSON_CONTENT_TYPE,
  MAX_BODY_BYTES,
  PATHS,
  PROBLEM_CONTENT_TYPE,
  TENANT_ID_PATTERN,
  TENANT_PATH_PREFIX,
  isTenantId,
  matchCellRoute,
  parseJsonOrUndefined,
  problem,
  problemCode,
  type CellRoute,
  type Cloud,
} from "../../contract";
import { ADMIN_BODY_LIMIT, adminApi } from "./admin-api";
import { AdminService } from "./admin-service";
import type { Answer } from "./answer";
import { dataApi } from "./data-api";
import { CellHealth } from "./health";
import { PayloadTooLargeError, ValidationError } from "./errors";
import { staticKeySource } from "./key-sources";
import { ReplicaService } from "./replica-service";
import { replicationApi } from "./replication-api";
import { parseJsonObject } from "./json-body";
import type { ChangeFeed, Clock, KeySource, Logger, NonceStore, TenantStore } from "./ports";
import { toProblemAnswer } from "./problems";
import { RecordService } from "./record-service";
import type { CellRequest, CellResponse } from "./request";
import { CELL_WIDE_TENANT, verifyRequest, type KeyScope, type VerifierDeps } from "./verify";

export interface CellConfig {
  readonly cellId: string;
  readonly cloud: Cloud;
  /** The key id the edge router signs data requests with (`<cellId>-v<n>`). */
  readonly edgeKeyId: string;
  /** The key id `cellctl` signs admin requests with (`<cellId>-admin-v<n>`); without one the admin API refuses every call. */
  readonly adminKeyId?: string;
}

/** Everything a cell needs, wired by each cloud's composition root. */
export interface CellDeps {
  readonly config: CellConfig;
  readonly store: TenantStore;
  readonly nonces: NonceStore;
  readonly keys: KeySource;
  readonly clock: Clock;
  readonly changes: ChangeFeed;
  readonly logger: Logger;
}

export type CellHandler = (req: CellRequest) => Promise<CellResponse>;

/** The methods each route serves; anything else is a 405 with `Allow`. HEAD has GET's semantics and no body. */
const ROUTE_METHODS: Record<CellRoute["name"], readonly string[]> = {
  health: ["GET", "HEAD"],
  process: ["POST"],
  records: ["GET", "HEAD"],
  record: ["GET", "HEAD", "PUT", "DELETE"],
  adminTenants: ["GET"],
  adminHealth: ["GET"],
  adminOwnership: ["GET", "PUT"],
  adminExport: ["GET"],
  adminImport: ["POST"],
  adminDigest: ["GET"],
  adminPurge: ["POST"],
  adminChanges: ["GET"],
  adminStandby: ["PUT", "DELETE"],
  adminReplica: ["PUT"],
  adminReconcile: ["POST"],
  replicationChanges: ["POST"],
};

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const isAdminRoute = (route: CellRoute): route is Extract<CellRoute, { name: `admin${string}` }> => route.name.startsWith("admin");

/** The tenant a verified request must be signed for: the path's, the body's (`POST /api/process`), or the whole cell's. */
function routeTenant(route: CellRoute, req: CellRequest): string | undefined {
  if (route.name === "adminTenants" || route.name === "adminHealth") return CELL_WIDE_TENANT;
  if (route.name === "process") {
    const tenant = parseJsonObject(req.body)[BODY_TENANT_FIELD];
    if (!isTenantId(tenant)) throw new ValidationError(`${BODY_TENANT_FIELD} must be a string matching ${TENANT_ID_PATTERN}, got ${JSON.stringify(tenant)}`);
    return tenant;
  }
  return "tenantId" in route ? route.tenantId : undefined;
}

/**
 * The cell's HTTP API, platform-neutral. Routing, verification and error mapping live here once, so
 * both clouds' handlers are thin translators and behave identically. Each request goes through
 * `dispatch` (match the route, check the method and the body size, verify the signature for the
 * route's key scope, hand over to the data, admin or replication API); whatever it throws becomes a problem
 * answer, and `respond` adds the headers every answer carries.
 */
export function createCellHandler(deps: CellDeps): CellHandler {
  const cell = wireCell(deps);
  return async function handle(req: CellRequest): Promise<CellResponse> {
    const requestId = requestIdOf(req);
    const method = req.method.toUpperCase();
    const started = deps.clock.now();
    let answer: Answer;
    try {
      answer = await dispatch(cell, req, method, requestId);
    } catch (error) {
      answer = problemAnswer(error, requestId);
      if (answer.status >= 500) deps.logger.log({ level: answer.status === 503 ? "warn" : "error", msg: "request failed", requestId, method, path: req.path, status: answer.status, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    observeTenantRequest(cell, req, answer, deps.clock.now() - started);
    return respond(cell.config, answer, requestId, method);
  };
}

/** Tenant requests (not admin calls, not the shallow health check) make the deep health's recent figures. */
function observeTenantRequest(cell: WiredCell, req: CellRequest, answer: Answer, elapsedMs: number): void {
  if (!req.path.startsWith(TENANT_PATH_PREFIX) && req.path !== PATHS.process) return;
  cell.health.observe(answer.status, answer.status === 503 ? problemCode(parseJsonOrUndefined(answer.body)) : undefined, elapsedMs);
}

/** What serving a request needs, wired once per cell. */
interface WiredCell {
  readonly config: CellConfig;
  readonly handleData: ReturnType<typeof dataApi>;
  readonly handleAdmin: ReturnType<typeof adminApi>;
  /** The deep health check's probe and the rolling window of recent tenant requests. */
  readonly health: CellHealth;
  readonly handleReplication: ReturnType<typeof replicationApi>;
  readonly verifier: VerifierDeps;
  /** A replication call verifies against the tenant's link key on this cell (none: refused like an unknown key). */
  readonly replicationVerifier: (tenantId: string) => Promise<VerifierDeps>;
}

function wireCell(deps: CellDeps): WiredCell {
  const { config, logger, clock } = deps;
  const service = new RecordService({ cellId: config.cellId, cloud: config.cloud, store: deps.store, clock, changes: deps.changes, logger });
  const health = new CellHealth({ cellId: config.cellId, cloud: config.cloud, store: deps.store, clock });
  const replicas = new ReplicaService({ cellId: config.cellId, store: deps.store, clock });
  const verifier: VerifierDeps = { cellId: config.cellId, keyIds: { edge: config.edgeKeyId, admin: config.adminKeyId }, keys: deps.keys, nonces: deps.nonces, clock };
  return {
    config,
    handleData: dataApi({ cellId: config.cellId, cloud: config.cloud, store: deps.store, clock, service, logger }),
    handleAdmin: adminApi(new AdminService({ cellId: config.cellId, store: deps.store, clock, records: service }), { replicas, health, now: () => clock.now() }),
    handleReplication: replicationApi(replicas),
    health,
    verifier,
    replicationVerifier: async (tenantId) => {
      const link = await replicas.linkKey(tenantId);
      return { ...verifier, keyIds: { edge: config.edgeKeyId, replication: link?.keyId }, keys: staticKeySource(link ? { [link.keyId]: link.secret } : {}) };
    },
  };
}

/** The caller's `x-request-id` when it is a sane one, a fresh UUID otherwise. */
function requestIdOf(req: CellRequest): string {
  const supplied = req.headers[Headers.requestId];
  return supplied && REQUEST_ID_PATTERN.test(supplied) ? supplied : crypto.randomUUID();
}

async function dispatch(cell: WiredCell, req: CellRequest, method: string, requestId: string): Promise<Answer> {
  const routed = routeOf(req, method, requestId);
  if (!routed.ok) return routed.answer;
  const { route } = routed;
  if (route.name === "health") return { status: 200, body: JSON.stringify({ status: "ok", cell_id: cell.config.cellId, cloud: cell.config.cloud }) };

  const scope: KeyScope = isAdminRoute(route) ? "admin" : route.name === "replicationChanges" ? "replication" : "edge";
  checkBodySize(req, scope);
  if (route.name === "replicationChanges") {
    await verifyRequest(req, route.tenantId, scope, await cell.replicationVerifier(route.tenantId));
    return cell.handleReplication(route.tenantId, req);
  }
  const { tenantId } = await verifyRequest(req, routeTenant(route, req), scope, cell.verifier);
  return isAdminRoute(route) ? cell.handleAdmin(route, req, method) : cell.handleData(route, req, method, tenantId, requestId);
}

/** The route the path names, if it serves the method; otherwise the 404 or 405 answer. An id that breaks its pattern throws (400). */
function routeOf(req: CellRequest, method: string, requestId: string): { ok: true; route: CellRoute } | { ok: false; answer: Answer } {
  const match = matchCellRoute(req.path);
  if (!match.ok) {
    if (match.reason === "invalid_id") throw new ValidationError(match.detail);
    const p = problem("not_found", `no route for ${method} ${req.path}`, requestId);
    return { ok: false, answer: { status: p.status, body: JSON.stringify(p) } };
  }
  const allowed = ROUTE_METHODS[match.route.name];
  if (!allowed.includes(method)) {
    const p = problem("method_not_allowed", `${method} is not allowed on ${req.path}; allowed: ${allowed.join(", ")}`, requestId);
    return { ok: false, answer: { status: p.status, body: JSON.stringify(p), headers: { allow: allowed.join(", ") } } };
  }
  return { ok: true, route: match.route };
}

/** Admin and replication calls may carry an import page or a push; everything else the contract's body limit. */
function checkBodySize(req: CellRequest, scope: KeyScope): void {
  const limit = scope === "edge" ? MAX_BODY_BYTES : ADMIN_BODY_LIMIT;
  if (req.body.byteLength > limit) throw new PayloadTooLargeError(`request body is ${req.body.byteLength} bytes; the limit is ${limit}`);
}

function problemAnswer(error: unknown, requestId: string): Answer {
  const { problem: p, headers } = toProblemAnswer(error, requestId);
  return { status: p.status, body: JSON.stringify(p), headers };
}

/** The answer with the headers every answer carries; a HEAD request gets them without the body. */
function respond(config: CellConfig, answer: Answer, requestId: string, method: string): CellResponse {
  return {
    status: answer.status,
    body: method === "HEAD" ? "" : answer.body,
    headers: {
      [Headers.contentType]: answer.status >= 400 ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE,
      [Headers.requestId]: requestId,
      [Headers.cellId]: config.cellId,
      [Headers.processedByCloud]: config.cloud,
      ...answer.headers,
    },
  };
}
