import {
  Headers,
  JSON_CONTENT_TYPE,
  MAX_BODY_BYTES,
  PROBLEM_CONTENT_TYPE,
  isRecordId,
  isTenantId,
  problem,
  type Cloud,
  type Problem,
} from "../../contract";
import { InvalidJsonError, PayloadTooLargeError, ValidationError } from "./errors";
import { runIdempotent } from "./idempotency";
import type { ChangeFeed, Clock, IdempotencyStore, KeySource, Logger, NonceStore, RecordStore, StoredOutcome } from "./ports";
import { toProblem } from "./problems";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RecordService, decodeCursor } from "./record-service";
import type { JsonObject, StoredRecord } from "./records";
import type { CellRequest, CellResponse } from "./request";
import { verifyEdgeRequest } from "./verify";

export interface CellConfig {
  readonly cellId: string;
  readonly cloud: Cloud;
  /** Allowed clock difference for signed requests, seconds. */
  readonly windowSeconds?: number;
}

/** Everything a cell needs, wired by each cloud's composition root. */
export interface CellDeps {
  readonly config: CellConfig;
  readonly records: RecordStore;
  readonly idempotency: IdempotencyStore;
  readonly nonces: NonceStore;
  readonly keys: KeySource;
  readonly clock: Clock;
  readonly changes: ChangeFeed;
  readonly logger: Logger;
}

export type CellHandler = (req: CellRequest) => Promise<CellResponse>;

type Route =
  | { readonly name: "health" }
  | { readonly name: "process" }
  | { readonly name: "records"; readonly tenantId: string }
  | { readonly name: "record"; readonly tenantId: string; readonly recordId: string };

const ROUTE_METHODS: Record<Route["name"], readonly string[]> = {
  health: ["GET", "HEAD"],
  process: ["POST"],
  records: ["GET"],
  record: ["GET", "PUT", "DELETE"],
};

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Matches the path; ids are validated here so nothing downstream sees an id it cannot store. */
function matchRoute(path: string): Route | undefined {
  if (path === "/healthz") return { name: "health" };
  if (path === "/api/process") return { name: "process" };
  const parts = path.split("/");
  if (parts.length < 5 || parts[1] !== "api" || parts[2] !== "tenants" || parts[4] !== "records") return undefined;
  const tenantId = decodeSegment(parts[3]);
  if (!isTenantId(tenantId)) throw new ValidationError(`tenant id in the path must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got '${parts[3]}'`);
  if (parts.length === 5) return { name: "records", tenantId };
  if (parts.length !== 6) return undefined;
  const recordId = decodeSegment(parts[5]);
  if (!isRecordId(recordId)) throw new ValidationError(`record id must match /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, got '${parts[5]}'`);
  return { name: "record", tenantId, recordId };
}

function decodeSegment(segment = ""): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    throw new InvalidJsonError("request body must be a JSON object in UTF-8");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InvalidJsonError("request body must be a JSON object");
  return value as Record<string, unknown>;
}

function parseVersion(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new ValidationError(`${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

function parseLimit(value: string | null): number {
  if (value === null) return DEFAULT_PAGE_SIZE;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got '${value}'`);
  return n;
}

const PUT_FIELDS = new Set(["data", "expected_version", "tenant_id"]);

function parsePutBody(body: Uint8Array, tenantId: string): { data: JsonObject; expectedVersion?: number } {
  const fields = parseJsonObject(body);
  const unknown = Object.keys(fields).filter((k) => !PUT_FIELDS.has(k));
  if (unknown.length > 0) throw new ValidationError(`unknown fields: ${unknown.join(", ")}; allowed: ${[...PUT_FIELDS].join(", ")}`);
  const { data } = fields;
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ValidationError("data must be a JSON object");
  if (fields.tenant_id !== undefined && fields.tenant_id !== tenantId) {
    throw new ValidationError(`tenant_id in the body ('${String(fields.tenant_id)}') does not match the path ('${tenantId}')`);
  }
  return { data: data as JsonObject, expectedVersion: parseVersion(fields.expected_version, "expected_version") };
}

/** The API's view of a record: snake_case, like the rest of the wire format. */
export const recordView = (r: StoredRecord) => ({
  tenant_id: r.tenantId,
  record_id: r.recordId,
  version: r.version,
  data: r.data,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

const json = (status: number, value: unknown): StoredOutcome => ({ status, body: JSON.stringify(value) });

/**
 * The cell's HTTP API, platform-neutral. Routing, verification and error mapping live here once, so
 * both clouds' handlers are thin translators and behave identically.
 */
export function createCellHandler(deps: CellDeps): CellHandler {
  const { config, logger, clock } = deps;
  const service = new RecordService({ cellId: config.cellId, store: deps.records, clock, changes: deps.changes, logger });
  const verifier = { cellId: config.cellId, keys: deps.keys, nonces: deps.nonces, clock, windowSeconds: config.windowSeconds };

  const respond = (outcome: StoredOutcome, requestId: string, extra: Record<string, string> = {}): CellResponse => ({
    status: outcome.status,
    body: outcome.body,
    headers: {
      [Headers.contentType]: outcome.status >= 400 ? PROBLEM_CONTENT_TYPE : JSON_CONTENT_TYPE,
      [Headers.requestId]: requestId,
      [Headers.cellId]: config.cellId,
      [Headers.processedByCloud]: config.cloud,
      ...extra,
    },
  });
  const problemOutcome = (p: Problem): StoredOutcome => json(p.status, p);

  /** Runs the use case; known domain errors become problem outcomes (final, so they replay), others throw. */
  async function execute(route: Route, req: CellRequest, method: string, tenantId: string, requestId: string): Promise<StoredOutcome> {
    const ctx = { tenantId, requestId };
    try {
      switch (route.name) {
        case "process": {
          const body = parseJsonObject(req.body);
          return json(200, {
            status: "processed",
            tenant_id: tenantId,
            cell_id: config.cellId,
            cloud: config.cloud,
            request_id: requestId,
            processed_at: new Date(clock.now()).toISOString(),
            received_fields: Object.keys(body).length,
          });
        }
        case "records": {
          const params = new URLSearchParams(req.query);
          const cursor = params.get("cursor");
          const after = cursor === null ? undefined : decodeCursor(cursor);
          if (cursor !== null && after === undefined) throw new ValidationError("cursor is not one this API handed out");
          const page = await service.list(tenantId, parseLimit(params.get("limit")), after);
          return json(200, { records: page.records.map(recordView), next_cursor: page.nextCursor ?? null });
        }
        case "record": {
          if (method === "GET" || method === "HEAD") return json(200, recordView(await service.get(tenantId, route.recordId)));
          if (method === "PUT") {
            const { data, expectedVersion } = parsePutBody(req.body, tenantId);
            const { record, created } = await service.put(ctx, route.recordId, data, expectedVersion);
            return json(created ? 201 : 200, recordView(record));
          }
          const expected = parseVersion(new URLSearchParams(req.query).get("expected_version") ?? undefined, "expected_version");
          const deleted = await service.delete(ctx, route.recordId, expected);
          return json(200, { tenant_id: tenantId, record_id: route.recordId, deleted_version: deleted.version });
        }
        case "health":
          throw new Error("health is answered before verification");
      }
    } catch (error) {
      const p = toProblem(error, requestId);
      if (p.status >= 500) throw error;
      return problemOutcome(p);
    }
  }

  return async function handle(req: CellRequest): Promise<CellResponse> {
    const supplied = req.headers[Headers.requestId];
    const requestId = supplied && REQUEST_ID_PATTERN.test(supplied) ? supplied : crypto.randomUUID();
    const method = req.method.toUpperCase();
    try {
      const route = matchRoute(req.path);
      if (!route) return respond(problemOutcome(problem("not_found", `no route for ${method} ${req.path}`, requestId)), requestId);
      const allowed = ROUTE_METHODS[route.name];
      if (!allowed.includes(method)) {
        return respond(problemOutcome(problem("method_not_allowed", `${method} is not allowed on ${req.path}; allowed: ${allowed.join(", ")}`, requestId)), requestId, {
          allow: allowed.join(", "),
        });
      }
      if (route.name === "health") return respond(json(200, { status: "ok", cell_id: config.cellId, cloud: config.cloud }), requestId);
      if (req.body.byteLength > MAX_BODY_BYTES) throw new PayloadTooLargeError(`request body is ${req.body.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`);

      // /api/process names its tenant in the body (the seed's shape); record routes in the path.
      let routeTenant = route.name === "process" ? undefined : route.tenantId;
      if (route.name === "process") {
        const tenant = parseJsonObject(req.body).tenant_id;
        if (!isTenantId(tenant)) throw new ValidationError(`tenant_id must be a string matching /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got ${JSON.stringify(tenant)}`);
        routeTenant = tenant;
      }
      const { tenantId } = await verifyEdgeRequest(req, routeTenant, verifier);

      const key = req.headers[Headers.idempotencyKey];
      if (key === undefined || method === "GET" || method === "HEAD") {
        return respond(await execute(route, req, method, tenantId, requestId), requestId);
      }
      const result = await runIdempotent({ store: deps.idempotency, clock }, tenantId, key, req, () => execute(route, req, method, tenantId, requestId));
      return respond(result.outcome, requestId, result.replayed ? { "idempotent-replayed": "true" } : {});
    } catch (error) {
      const p = toProblem(error, requestId);
      if (p.status >= 500) logger.log({ level: "error", msg: "unhandled error", requestId, method, path: req.path, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      return respond(problemOutcome(p), requestId);
    }
  };
}
