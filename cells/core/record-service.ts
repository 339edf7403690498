import { CHANGE_EVENT_VERSION, MAX_STORED_ITEM_BYTES, changeEventId, type ChangeEvent, type Cloud } from "../../contract";
import { PayloadTooLargeError, RecordNotFoundError, VersionConflictError } from "./errors";
import { byteLength } from "./json-body";
import { assertServes } from "./ownership-rules";
import type { ChangeFeed, Clock, IdempotencyEntry, Logger, RecordWrite, TenantStore } from "./ports";
import { changeKindOf, isTombstone, liveRecord, type JsonObject, type RecordItem, type StoredRecord } from "./records";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface RecordPage {
  readonly records: StoredRecord[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  readonly nextCursor?: string;
}

/** Cursors are opaque to clients: base64url of the last record id of the page. */
export const encodeCursor = (recordId: string): string => Buffer.from(recordId, "utf8").toString("base64url");

export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) return undefined;
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  return encodeCursor(decoded) === cursor ? decoded : undefined;
}

/** A response a use case produced: status and JSON body text. */
export interface StoredOutcome {
  readonly status: number;
  readonly body: string;
}

/** A write worked out against the stored state, ready to commit, with the answer it will give. */
export interface PlannedWrite {
  readonly write: Omit<RecordWrite, "outcome">;
  readonly outcome: StoredOutcome;
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

export interface RecordServiceDeps {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly store: TenantStore;
  readonly clock: Clock;
  readonly changes: ChangeFeed;
  readonly logger: Logger;
}

/**
 * The record use cases. Reads check that the cell serves the tenant; writes are planned against the
 * stored item and committed atomically with the ownership check (and, for keyed writes, with their
 * answer). Every committed change publishes one `ChangeEvent`; a refused write publishes nothing.
 */
export class RecordService {
  constructor(private readonly deps: RecordServiceDeps) {}

  /** Throws `TenantNotServedError` unless the tenant is served here for this kind of request. */
  async assertServed(tenantId: string, write: boolean): Promise<void> {
    assertServes(tenantId, await this.deps.store.ownership(tenantId), write, this.deps.clock.now());
  }

  async get(tenantId: string, recordId: string): Promise<StoredRecord> {
    const [ownership, item] = await Promise.all([this.deps.store.ownership(tenantId), this.deps.store.getItem(tenantId, recordId)]);
    assertServes(tenantId, ownership, false);
    const record = liveRecord(item);
    if (!record) throw new RecordNotFoundError(tenantId, recordId);
    return record;
  }

  async list(tenantId: string, limit: number, afterRecordId?: string): Promise<RecordPage> {
    // One extra row tells whether another page exists, so the last page never hands out a cursor to nothing.
    const [ownership, rows] = await Promise.all([this.deps.store.ownership(tenantId), this.deps.store.listItems(tenantId, { limit: limit + 1, after: afterRecordId })]);
    assertServes(tenantId, ownership, false);
    const records = rows.slice(0, limit).flatMap((r) => (isTombstone(r) ? [] : [r]));
    const last = records[records.length - 1];
    return rows.length > limit && last ? { records, nextCursor: encodeCursor(last.recordId) } : { records };
  }

  /**
   * Plans, for a tenant this cell serves writes for, a create (`expectedVersion` absent or 0: the record must not exist; after a delete it comes
   * back at the version after its tombstone) or a replace (`expectedVersion` equal to the live version).
   */
  async planPut(tenantId: string, recordId: string, data: JsonObject, expectedVersion?: number): Promise<PlannedWrite> {
    const current = await this.servedItem(tenantId, recordId);
    const live = liveRecord(current);
    const creating = expectedVersion === undefined || expectedVersion === 0;
    if (creating && live) {
      throw new VersionConflictError(tenantId, recordId, `record '${recordId}' already exists at version ${live.version}; send expected_version ${live.version} to replace it`, live.version);
    }
    if (!creating && live?.version !== expectedVersion) throw conflictWith(tenantId, recordId, expectedVersion, live?.version);
    const now = this.isoNow();
    const record: StoredRecord = {
      tenantId,
      recordId,
      version: (current?.version ?? 0) + 1,
      data,
      createdAt: live?.createdAt ?? now,
      updatedAt: now,
      committedBy: this.deps.cellId,
    };
    checkStoredSize(JSON.stringify(record));
    const outcome = json(creating ? 201 : 200, recordView(record));
    return { write: { item: record, previousVersion: current?.version, change: this.changeEvent(current, record) }, outcome };
  }

  /** Plans a delete: the record becomes a tombstone at the next version. `expectedVersion`, when given, must be the live version. */
  async planDelete(tenantId: string, recordId: string, expectedVersion?: number): Promise<PlannedWrite> {
    const current = await this.servedItem(tenantId, recordId);
    const live = liveRecord(current);
    if (!live) throw new RecordNotFoundError(tenantId, recordId);
    if (expectedVersion !== undefined && expectedVersion !== live.version) throw conflictWith(tenantId, recordId, expectedVersion, live.version);
    const tombstone: RecordItem = { tenantId, recordId, version: live.version + 1, deleted: true, updatedAt: this.isoNow(), committedBy: this.deps.cellId };
    const outcome = json(200, { tenant_id: tenantId, record_id: recordId, deleted_version: live.version });
    return { write: { item: tombstone, previousVersion: live.version, change: this.changeEvent(live, tombstone) }, outcome };
  }

  /**
   * Commits a planned write (with its answer when the request carries an idempotency key). A write that
   * lost a race is a `VersionConflictError` naming the version that won.
   */
  async commit(planned: PlannedWrite, outcome?: IdempotencyEntry): Promise<void> {
    const { write } = planned;
    try {
      const at = this.deps.clock.now();
      await this.deps.store.commit(outcome === undefined ? { ...write, at } : { ...write, outcome, at });
    } catch (error) {
      if (error instanceof VersionConflictError && error.currentVersion === undefined) {
        const now = liveRecord(await this.deps.store.getItem(write.item.tenantId, write.item.recordId));
        throw conflictWith(write.item.tenantId, write.item.recordId, write.previousVersion ?? 0, now?.version, "another write committed first");
      }
      throw error;
    }
    try {
      await this.deps.changes.publish(write.change);
    } catch (error) {
      // The write is durable and the store's own stream (or outbox) carries it; do not fail the request.
      this.deps.logger.log({ level: "error", msg: "change feed publish failed", change: write.change.id, error: String(error) });
    }
  }

  /** The stored item, read beside the ownership record; throws unless the tenant takes writes here. */
  private async servedItem(tenantId: string, recordId: string): Promise<RecordItem | undefined> {
    const [ownership, item] = await Promise.all([this.deps.store.ownership(tenantId), this.deps.store.getItem(tenantId, recordId)]);
    assertServes(tenantId, ownership, true, this.deps.clock.now());
    return item;
  }

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private changeEvent(previous: RecordItem | undefined, next: RecordItem): ChangeEvent {
    return {
      v: CHANGE_EVENT_VERSION,
      id: changeEventId(next.tenantId, next.recordId, next.version),
      tenant_id: next.tenantId,
      record_id: next.recordId,
      version: next.version,
      kind: changeKindOf(previous, next),
      data: isTombstone(next) ? null : next.data,
      committed_at: next.updatedAt,
      cell_id: this.deps.cellId,
      cloud: this.deps.cloud,
    };
  }
}

function conflictWith(tenantId: string, recordId: string, expected: number | undefined, current: number | undefined, why?: string): VersionConflictError {
  const state = current === undefined ? "the record does not exist" : `the current version is ${current}`;
  return new VersionConflictError(tenantId, recordId, `record '${recordId}': expected version ${expected ?? 0}, but ${state}${why ? ` (${why})` : ""}`, current);
}

/** Refuses, before anything is written, a record whose stored form would pass the store's item limit. */
export function checkStoredSize(serialized: string): void {
  const bytes = byteLength(serialized);
  if (bytes > MAX_STORED_ITEM_BYTES) {
    throw new PayloadTooLargeError(`the stored record would be ${bytes} bytes; a cell stores at most ${MAX_STORED_ITEM_BYTES} bytes per record`);
  }
}
