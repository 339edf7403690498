import { CHANGE_EVENT_VERSION, changeEventId, type Ownership } from "../../contract";
import type { IdempotencyEntry, RecordItem, RecordWrite, StoredRecord, Tombstone } from "../../cells/core";

/** Object mothers: small builders for test data, so tests say only what matters to them. */

let counter = 0;
const runId = Math.random().toString(36).slice(2, 8);

/** A tenant id no other test in this run uses, so suites can share one table or container. */
export const aTenantId = (label = "t"): string => `${label}-${runId}-${++counter}`;

export const aRecord = (overrides: Partial<StoredRecord> = {}): StoredRecord => ({
  tenantId: overrides.tenantId ?? aTenantId(),
  recordId: "rec-1",
  version: 1,
  data: { name: "widget", count: 3 },
  createdAt: "2026-01-02T03:04:05.000Z",
  updatedAt: "2026-01-02T03:04:05.000Z",
  committedBy: "alpha",
  ...overrides,
});

export const aTombstone = (of: Pick<RecordItem, "tenantId" | "recordId" | "version">, overrides: Partial<Tombstone> = {}): Tombstone => ({
  tenantId: of.tenantId,
  recordId: of.recordId,
  version: of.version + 1,
  deleted: true,
  updatedAt: "2026-01-03T00:00:00.000Z",
  committedBy: "alpha",
  ...overrides,
});

export const anOwnership = (tenantId: string, overrides: Partial<Ownership> = {}): Ownership => ({
  tenantId,
  epoch: 1,
  state: "active",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...overrides,
});

export const anOutcome = (overrides: Partial<IdempotencyEntry> = {}): IdempotencyEntry => ({
  key: "key-1",
  fingerprint: "fp-1",
  status: 201,
  body: JSON.stringify({ record_id: "rec-1", note: "ünïcode" }),
  expiresAtSec: 1_780_086_400,
  writtenAtSec: 1_780_000_000,
  ...overrides,
});

/** The `RecordWrite` that puts `item` over the stored version `previousVersion`. */
export const aWrite = (item: RecordItem, previousVersion: number | undefined, outcome?: IdempotencyEntry): RecordWrite => ({
  item,
  previousVersion,
  change: {
    v: CHANGE_EVENT_VERSION,
    id: changeEventId(item.tenantId, item.recordId, item.version),
    tenant_id: item.tenantId,
    record_id: item.recordId,
    version: item.version,
    kind: "deleted" in item ? "deleted" : previousVersion === undefined ? "created" : "replaced",
    data: "deleted" in item ? null : item.data,
    committed_at: item.updatedAt,
    cell_id: "alpha",
    cloud: "aws",
  },
  ...(outcome ? { outcome } : {}),
});
