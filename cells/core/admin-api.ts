import {
  HEALTH_WINDOW_SECONDS,
  LINK_KEY_ID_PATTERN,
  MAX_ADMIN_BODY_BYTES,
  OPERATION_ID_PATTERN,
  OWNERSHIP_STATES,
  isCellId,
  isRecordId,
  ownershipView,
  parseExportItem,
  type CellRoute,
  type ExportItem,
  type OwnershipState,
  type ReplicaRequest,
} from "../../contract";
import { AdminService } from "./admin-service";
import { MIN_SECRET_LENGTH } from "./key-sources";
import type { ReplicaService } from "./replica-service";
import { jsonAnswer, type Answer } from "./answer";
import { ValidationError } from "./errors";
import type { CellHealth } from "./health";
import { parseJsonObject } from "./json-body";
import type { OwnershipChange } from "./ownership-rules";
import type { OwnershipExpectation } from "./ports";
import { decodeCursor, encodeCursor } from "./record-service";
import type { CellRequest } from "./request";

type AdminRoute = Extract<CellRoute, { name: `admin${string}` }>;

/** Fields of a JSON body, refusing any other. */
function fieldsOf(body: Uint8Array, allowed: readonly string[]): Record<string, unknown> {
  const f = parseJsonObject(body);
  const unknown = Object.keys(f).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new ValidationError(`unknown fields: ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
  return f;
}

/** A link's key id and secret, as `cellctl standby` mints them. */
function linkKey(f: Record<string, unknown>): { keyId: string; secret: string } {
  if (typeof f.key_id !== "string" || !LINK_KEY_ID_PATTERN.test(f.key_id)) throw new ValidationError(`key_id must match ${LINK_KEY_ID_PATTERN}, got ${JSON.stringify(f.key_id)}`);
  if (typeof f.secret !== "string" || f.secret.length < MIN_SECRET_LENGTH * 2) throw new ValidationError(`secret must be at least ${MIN_SECRET_LENGTH * 2} characters`);
  return { keyId: f.key_id, secret: f.secret };
}

/** `{cell_id, url, key_id, secret, expected: {epoch}}`: link the primary to a standby. */
function parseStandbyLink(body: Uint8Array) {
  const f = fieldsOf(body, ["cell_id", "url", "key_id", "secret", "expected"]);
  if (!isCellId(f.cell_id)) throw new ValidationError(`cell_id must be a cell id, got ${JSON.stringify(f.cell_id)}`);
  if (typeof f.url !== "string" || !/^https?:\/\/[^\s/?#]+$/.test(f.url)) throw new ValidationError(`url must be the standby cell's base URL (http(s)://host[:port]), got ${JSON.stringify(f.url)}`);
  const e = f.expected as Record<string, unknown> | undefined;
  if (typeof e !== "object" || e === null || !isEpoch(e.epoch)) throw new ValidationError("expected must be {epoch}: the epoch the tenant is active at here");
  return { link: { cellId: f.cell_id, url: f.url, ...linkKey(f) }, expected: { epoch: e.epoch } };
}

/** `{epoch, primary: {cell_id, epoch}, key_id, secret, operation?, expected, seeded_from?}`: become the standby of a primary. */
function parseReplicaRequest(body: Uint8Array): ReplicaRequest {
  const f = fieldsOf(body, ["epoch", "primary", "key_id", "secret", "operation", "expected", "seeded_from"]);
  if (!isEpoch(f.epoch) || f.epoch < 1) throw new ValidationError(`epoch must be an integer of at least 1, got ${JSON.stringify(f.epoch)}`);
  const p = f.primary as Record<string, unknown> | undefined;
  if (typeof p !== "object" || p === null || !isCellId(p.cell_id) || !isEpoch(p.epoch)) throw new ValidationError(`primary must be {cell_id, epoch}, got ${JSON.stringify(f.primary)}`);
  if (f.operation !== undefined && !(typeof f.operation === "string" && OPERATION_ID_PATTERN.test(f.operation))) throw new ValidationError(`operation must match ${OPERATION_ID_PATTERN}`);
  if (f.seeded_from !== undefined && (typeof f.seeded_from !== "string" || Number.isNaN(Date.parse(f.seeded_from)))) throw new ValidationError("seeded_from must be an ISO-8601 time");
  if (!("expected" in f)) throw new ValidationError("expected is required: the {epoch, state} you read, or null for a tenant new to this cell");
  let expected: ReplicaRequest["expected"] = null;
  if (f.expected !== null) {
    const e = f.expected as Record<string, unknown>;
    if (typeof e !== "object" || !isEpoch(e.epoch) || !isState(e.state)) throw new ValidationError(`expected must be {epoch, state} or null, got ${JSON.stringify(f.expected)}`);
    expected = { epoch: e.epoch, state: e.state };
  }
  return {
    epoch: f.epoch,
    primary: { cellId: p.cell_id, epoch: p.epoch },
    ...linkKey(f),
    ...(typeof f.operation === "string" ? { operation: f.operation } : {}),
    expected,
    ...(typeof f.seeded_from === "string" ? { seededFrom: f.seeded_from } : {}),
  };
}

/** `{record_id, expected_version, data}` or `{record_id, expected_version, deleted: true}`. */
function parseReconcileWrite(body: Uint8Array) {
  const f = fieldsOf(body, ["record_id", "expected_version", "data", "deleted"]);
  if (!isRecordId(f.record_id)) throw new ValidationError(`record_id is invalid: ${JSON.stringify(f.record_id)}`);
  if (!isEpoch(f.expected_version)) throw new ValidationError(`expected_version must be a non-negative integer (0: no live record), got ${JSON.stringify(f.expected_version)}`);
  if (f.deleted === true) {
    if (f.data !== undefined) throw new ValidationError("give data or deleted: true, not both");
    return { recordId: f.record_id, expectedVersion: f.expected_version, change: { deleted: true as const } };
  }
  if (typeof f.data !== "object" || f.data === null || Array.isArray(f.data)) throw new ValidationError("data must be a JSON object (or deleted: true)");
  return { recordId: f.record_id, expectedVersion: f.expected_version, change: { data: f.data as Record<string, never> } };
}

/** Most record ids one `export?ids=` call names (the URL stays well under API Gateway's 10 KB). */
export const EXPORT_IDS_MAX = 50;

/** Export page sizes: whole items per page, and id/version-only items per page. */
export const EXPORT_PAGE = { defaultFull: 100, maxFull: 500, defaultVersions: 1000, maxVersions: 5000 } as const;
/** An export page stops growing past this many bytes of JSON (Lambda answers at most 6 MB). */
export const EXPORT_PAGE_MAX_BYTES = 3 * 1024 * 1024;
/** Items deleted per purge call, at most. */
export const MAX_PURGE_BATCH = 1000;
/** Changes per page of a tenant's change stream. */
export const CHANGES_PAGE = { default: 500, max: 1000 } as const;

const isEpoch = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isState = (v: unknown): v is OwnershipState => typeof v === "string" && (OWNERSHIP_STATES as readonly string[]).includes(v);

/** `{epoch, state, moved_to?, expected}`: what to become, and what the caller read (`expected: null` for a new tenant). */
function parseOwnershipChange(body: Uint8Array): { change: OwnershipChange; expected: OwnershipExpectation | null } {
  const f = parseJsonObject(body);
  const allowed = new Set(["epoch", "state", "moved_to", "expected", "operation"]);
  const unknown = Object.keys(f).filter((k) => !allowed.has(k));
  if (unknown.length > 0) throw new ValidationError(`unknown fields: ${unknown.join(", ")}; allowed: ${[...allowed].join(", ")}`);
  if (!isEpoch(f.epoch)) throw new ValidationError(`epoch must be a non-negative integer, got ${JSON.stringify(f.epoch)}`);
  if (!isState(f.state)) throw new ValidationError(`state must be one of ${OWNERSHIP_STATES.join(", ")}, got ${JSON.stringify(f.state)}`);
  let movedTo: OwnershipChange["movedTo"];
  if (f.moved_to !== undefined && f.moved_to !== null) {
    const m = f.moved_to as Record<string, unknown>;
    if (typeof m !== "object" || !isCellId(m.cell_id) || !isEpoch(m.epoch)) throw new ValidationError(`moved_to must be {cell_id, epoch}, got ${JSON.stringify(f.moved_to)}`);
    movedTo = { cellId: m.cell_id, epoch: m.epoch };
  }
  if (f.operation !== undefined && f.operation !== null && !(typeof f.operation === "string" && OPERATION_ID_PATTERN.test(f.operation))) {
    throw new ValidationError(`operation must match ${OPERATION_ID_PATTERN}, got ${JSON.stringify(f.operation)}`);
  }
  const operation = typeof f.operation === "string" ? f.operation : undefined;
  if (!("expected" in f)) throw new ValidationError("expected is required: the {epoch, state} you read, or null for a tenant new to this cell");
  let expected: OwnershipExpectation | null = null;
  if (f.expected !== null) {
    const e = f.expected as Record<string, unknown>;
    if (typeof e !== "object" || !isEpoch(e.epoch) || !isState(e.state)) throw new ValidationError(`expected must be {epoch, state} or null, got ${JSON.stringify(f.expected)}`);
    expected = { epoch: e.epoch, state: e.state };
  }
  return { change: { epoch: f.epoch, state: f.state, ...(movedTo ? { movedTo } : {}), ...(operation ? { operation } : {}) }, expected };
}

function parseImportItems(body: Uint8Array): ExportItem[] {
  const f = parseJsonObject(body, 40);
  if (!Array.isArray(f.items)) throw new ValidationError("items must be an array of exported items");
  return f.items.map((raw, i) => {
    const parsed = parseExportItem(raw);
    if (!parsed.ok) throw new ValidationError(`items[${i}]: ${parsed.error}`);
    return parsed.value;
  });
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw new ValidationError(`${name} must be an integer from 1 to ${max}, got '${raw}'`);
  return n;
}

/** The body limit of admin calls: an import page carries whole records. */
export const ADMIN_BODY_LIMIT = MAX_ADMIN_BODY_BYTES;

/**
 * The admin routes (`/admin/...`), signed with the cell's admin key: the control plane's view of and
 * hand on this cell's tenants.
 */
export function adminApi(service: AdminService, { replicas, health, now }: { readonly replicas: ReplicaService; readonly health: CellHealth; readonly now: () => number }) {
  const view = (o: Parameters<typeof ownershipView>[0]) => ownershipView(o, now());
  return async function handleAdmin(route: AdminRoute, req: CellRequest, method: string): Promise<Answer> {
    const params = new URLSearchParams(req.query);
    switch (route.name) {
      case "adminTenants":
        return jsonAnswer(200, { tenants: (await service.tenants()).map(view) });
      case "adminHealth":
        // Always a 200 with the findings, a failed probe included: the cell reports, the control loop judges.
        return jsonAnswer(200, await health.report(intParam(params, "window", HEALTH_WINDOW_SECONDS.default, HEALTH_WINDOW_SECONDS.max)));
      case "adminOwnership": {
        if (method === "GET") return jsonAnswer(200, view(await service.ownership(route.tenantId)));
        const { change, expected } = parseOwnershipChange(req.body);
        return jsonAnswer(200, view(await service.changeOwnership(route.tenantId, change, expected)));
      }
      case "adminStandby": {
        if (method === "DELETE") return jsonAnswer(200, view(await service.dropStandby(route.tenantId)));
        const { link, expected } = parseStandbyLink(req.body);
        return jsonAnswer(200, view(await service.setStandby(route.tenantId, link, expected)));
      }
      case "adminReplica":
        return jsonAnswer(200, view(await replicas.becomeStandby(route.tenantId, parseReplicaRequest(req.body))));
      case "adminReconcile": {
        const { recordId, expectedVersion, change } = parseReconcileWrite(req.body);
        return jsonAnswer(200, await service.reconcileWrite(route.tenantId, recordId, expectedVersion, change));
      }
      case "adminExport": {
        const ids = params.get("ids");
        if (ids !== null) {
          const recordIds = ids.split(",");
          if (recordIds.length > EXPORT_IDS_MAX || !recordIds.every(isRecordId)) throw new ValidationError(`ids must be 1 to ${EXPORT_IDS_MAX} comma-separated record ids`);
          return jsonAnswer(200, { items: await service.exportItems(route.tenantId, recordIds), next_cursor: null });
        }
        const fields = params.get("fields") ?? "full";
        if (fields !== "full" && fields !== "versions") throw new ValidationError(`fields must be 'full' or 'versions', got '${fields}'`);
        const full = fields === "full";
        const limit = intParam(params, "limit", full ? EXPORT_PAGE.defaultFull : EXPORT_PAGE.defaultVersions, full ? EXPORT_PAGE.maxFull : EXPORT_PAGE.maxVersions);
        const cursor = params.get("cursor");
        const after = cursor === null ? undefined : decodeCursor(cursor);
        if (cursor !== null && after === undefined) throw new ValidationError("cursor is not one this API handed out");
        const page = await service.export(route.tenantId, { after, limit, full, maxBytes: EXPORT_PAGE_MAX_BYTES });
        return jsonAnswer(200, { items: page.items, next_cursor: page.lastId === undefined ? null : encodeCursor(page.lastId) });
      }
      case "adminImport": {
        const result = await service.import(route.tenantId, parseImportItems(req.body));
        return jsonAnswer(200, { written: result.written, skipped: result.skipped });
      }
      case "adminDigest": {
        // `?ids=a,b` or `?items=1&cursor=`: per-item shares of the digest; otherwise the digest itself.
        const ids = params.get("ids");
        if (ids !== null) {
          const recordIds = ids.split(",");
          if (recordIds.length > EXPORT_IDS_MAX || !recordIds.every(isRecordId)) throw new ValidationError(`ids must be 1 to ${EXPORT_IDS_MAX} comma-separated record ids`);
          return jsonAnswer(200, { items: await service.itemHashesOf(route.tenantId, recordIds), next_cursor: null });
        }
        if (params.get("items") !== null) {
          const cursor = params.get("cursor");
          const after = cursor === null ? undefined : decodeCursor(cursor);
          if (cursor !== null && after === undefined) throw new ValidationError("cursor is not one this API handed out");
          const page = await service.itemHashes(route.tenantId, after, intParam(params, "limit", EXPORT_PAGE.defaultVersions, EXPORT_PAGE.maxVersions));
          return jsonAnswer(200, { items: page.items, next_cursor: page.lastId === undefined ? null : encodeCursor(page.lastId) });
        }
        return jsonAnswer(200, { tenant_id: route.tenantId, ...(await service.digest(route.tenantId)) });
      }
      case "adminChanges": {
        const since = params.get("since") ?? undefined;
        if (since !== undefined && Number.isNaN(Date.parse(since))) throw new ValidationError(`since must be an ISO-8601 time, got '${since}'`);
        const changes = await service.changes(route.tenantId, since, intParam(params, "limit", CHANGES_PAGE.default, CHANGES_PAGE.max));
        return jsonAnswer(200, { tenant_id: route.tenantId, changes });
      }
      case "adminPurge": {
        const result = await service.purge(route.tenantId, intParam(params, "limit", MAX_PURGE_BATCH, MAX_PURGE_BATCH));
        return jsonAnswer(200, { tenant_id: route.tenantId, deleted: result.deleted, more: result.more });
      }
    }
  };
}
