import { BODY_TENANT_FIELD, Headers, SAFE_METHODS, type CellRoute, type Cloud } from "../../contract";
import { jsonAnswer, type Answer } from "./answer";
import { ValidationError } from "./errors";
import { parseJsonObject } from "./json-body";
import { runKeyedWrite, type KeyedWork } from "./keyed-write";
import type { Clock, Logger, TenantStore } from "./ports";
import { toProblemAnswer } from "./problems";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RecordService, decodeCursor, recordView, type PlannedWrite, type StoredOutcome } from "./record-service";
import type { JsonObject } from "./records";
import type { CellRequest } from "./request";

type DataRoute = Extract<CellRoute, { name: "process" | "records" | "record" }>;

function parseLimit(value: string | null): number {
  if (value === null) return DEFAULT_PAGE_SIZE;
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got '${value}'`);
  return n;
}

/** `expected_version` in a JSON body: a JSON integer, never a string. */
function bodyVersion(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`expected_version must be a non-negative JSON integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `expected_version` in a query string: digits only. */
function queryVersion(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ValidationError(`expected_version must be a non-negative integer, got '${value}'`);
  return Number(value);
}

const PUT_FIELDS = new Set(["data", "expected_version", BODY_TENANT_FIELD]);

function parsePutBody(body: Uint8Array, tenantId: string): { data: JsonObject; expectedVersion?: number } {
  const fields = parseJsonObject(body);
  const unknown = Object.keys(fields).filter((k) => !PUT_FIELDS.has(k));
  if (unknown.length > 0) throw new ValidationError(`unknown fields: ${unknown.join(", ")}; allowed: ${[...PUT_FIELDS].join(", ")}`);
  const { data } = fields;
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ValidationError("data must be a JSON object");
  const named = fields[BODY_TENANT_FIELD];
  if (named !== undefined && named !== tenantId) throw new ValidationError(`${BODY_TENANT_FIELD} in the body ('${String(named)}') does not match the path ('${tenantId}')`);
  return { data: data as JsonObject, expectedVersion: bodyVersion(fields.expected_version) };
}

export interface DataApiDeps {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly store: TenantStore;
  readonly clock: Clock;
  readonly service: RecordService;
  readonly logger: Logger;
}

/**
 * The tenant data routes: reads (served while the tenant is active or fenced here), writes (only while
 * active, committed atomically with that check) and the seed's `POST /api/process`. A write with an
 * `Idempotency-Key` runs exactly once (`runKeyedWrite`).
 */
export function dataApi(deps: DataApiDeps) {
  const { service } = deps;
  const outcomeOf = (error: unknown, requestId: string): StoredOutcome | undefined => {
    const { problem } = toProblemAnswer(error, requestId);
    return problem.status < 500 ? { status: problem.status, body: JSON.stringify(problem) } : undefined;
  };

  /** The write a route asks for, planned against the stored state; undefined for `POST /api/process`, which writes nothing. */
  async function plan(route: DataRoute, req: CellRequest, method: string, tenantId: string, requestId: string): Promise<PlannedWrite | { outcome: StoredOutcome; write?: undefined }> {
    if (route.name === "process") {
      await service.assertServed(tenantId, true);
      const body = parseJsonObject(req.body);
      return {
        outcome: {
          status: 200,
          body: JSON.stringify({
            status: "processed",
            tenant_id: tenantId,
            cell_id: deps.cellId,
            cloud: deps.cloud,
            request_id: requestId,
            processed_at: new Date(deps.clock.now()).toISOString(),
            received_fields: Object.keys(body).length,
          }),
        },
      };
    }
    if (route.name !== "record") throw new Error(`no write on route ${route.name}`);
    if (method === "PUT") {
      const { data, expectedVersion } = parsePutBody(req.body, tenantId);
      return service.planPut(tenantId, route.recordId, data, expectedVersion);
    }
    return service.planDelete(tenantId, route.recordId, queryVersion(new URLSearchParams(req.query).get("expected_version")));
  }

  async function read(route: DataRoute, req: CellRequest, tenantId: string): Promise<Answer> {
    if (route.name === "record") return jsonAnswer(200, recordView(await service.get(tenantId, route.recordId)));
    const params = new URLSearchParams(req.query);
    const cursor = params.get("cursor");
    const after = cursor === null ? undefined : decodeCursor(cursor);
    if (cursor !== null && after === undefined) throw new ValidationError("cursor is not one this API handed out");
    const page = await service.list(tenantId, parseLimit(params.get("limit")), after);
    return jsonAnswer(200, { records: page.records.map(recordView), next_cursor: page.nextCursor ?? null });
  }

  return async function handleData(route: DataRoute, req: CellRequest, method: string, tenantId: string, requestId: string): Promise<Answer> {
    if (SAFE_METHODS.has(method)) return read(route, req, tenantId);
    const key = req.headers[Headers.idempotencyKey];
    if (key === undefined) {
      const planned = await plan(route, req, method, tenantId, requestId);
      if (planned.write !== undefined) await service.commit(planned);
      return planned.outcome;
    }
    const work: KeyedWork = {
      plan: () => plan(route, req, method, tenantId, requestId),
      commit: (planned, entry) => service.commit(planned, entry),
      answerFor: (error) => outcomeOf(error, requestId),
    };
    const result = await runKeyedWrite(deps, tenantId, key, req, work);
    return { ...result.outcome, ...(result.replayed ? { headers: { "idempotent-replayed": "true" } } : {}) };
  };
}
