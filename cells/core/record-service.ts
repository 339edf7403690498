import { VersionConflictError, RecordNotFoundError } from "./errors";
import type { ChangeFeed, Clock, Logger, RecordStore } from "./ports";
import type { ChangeKind, JsonObject, RecordChange, StoredRecord } from "./records";

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface RecordPage {
  readonly records: StoredRecord[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  readonly nextCursor?: string;
}

export interface WriteContext {
  readonly tenantId: string;
  readonly requestId: string;
}

export interface PutResult {
  readonly record: StoredRecord;
  readonly created: boolean;
}

/** Cursors are opaque to clients: base64url of the last record id of the page. */
export const encodeCursor = (recordId: string): string => Buffer.from(recordId, "utf8").toString("base64url");

export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) return undefined;
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  return encodeCursor(decoded) === cursor ? decoded : undefined;
}

/**
 * The record use cases. Every successful change publishes one `RecordChange`; a failed or conflicting
 * write publishes nothing.
 */
export class RecordService {
  constructor(
    private readonly deps: {
      readonly cellId: string;
      readonly store: RecordStore;
      readonly clock: Clock;
      readonly changes: ChangeFeed;
      readonly logger: Logger;
    },
  ) {}

  async get(tenantId: string, recordId: string): Promise<StoredRecord> {
    const record = await this.deps.store.get(tenantId, recordId);
    if (!record) throw new RecordNotFoundError(tenantId, recordId);
    return record;
  }

  async list(tenantId: string, limit: number, afterRecordId?: string): Promise<RecordPage> {
    // One extra row tells whether another page exists, so the last page never hands out a cursor to nothing.
    const rows = await this.deps.store.list(tenantId, { limit: limit + 1, after: afterRecordId });
    const records = rows.slice(0, limit);
    const last = records[records.length - 1];
    return rows.length > limit && last ? { records, nextCursor: encodeCursor(last.recordId) } : { records };
  }

  /**
   * Creates (`expectedVersion` 0 or absent and the record does not exist) or replaces (`expectedVersion`
   * equal to the stored version) a record. A replace without an expected version is a conflict:
   * a client must say which version it is replacing.
   */
  async put(ctx: WriteContext, recordId: string, data: JsonObject, expectedVersion = 0): Promise<PutResult> {
    const { tenantId } = ctx;
    const current = expectedVersion === 0 ? undefined : await this.deps.store.get(tenantId, recordId);
    if (expectedVersion !== 0 && current?.version !== expectedVersion) {
      throw new VersionConflictError(tenantId, recordId, expectedVersion, current?.version);
    }
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: StoredRecord = {
      tenantId,
      recordId,
      version: expectedVersion + 1,
      data,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
    await this.withConflictDetail(() => this.deps.store.put(record, expectedVersion));
    await this.publish(ctx, recordId, record.version, expectedVersion === 0 ? "created" : "updated", now);
    return { record, created: expectedVersion === 0 };
  }

  /** Deletes a record, if `expectedVersion` is given only when it is the stored version. */
  async delete(ctx: WriteContext, recordId: string, expectedVersion?: number): Promise<StoredRecord> {
    const { tenantId } = ctx;
    const current = await this.deps.store.get(tenantId, recordId);
    if (!current) throw new RecordNotFoundError(tenantId, recordId);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new VersionConflictError(tenantId, recordId, expectedVersion, current.version);
    }
    await this.withConflictDetail(() => this.deps.store.delete(tenantId, recordId, current.version));
    const now = new Date(this.deps.clock.now()).toISOString();
    await this.publish(ctx, recordId, current.version + 1, "deleted", now);
    return current;
  }

  /** A store reports a conflict without knowing the current version; look it up for the caller's message. */
  private async withConflictDetail(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof VersionConflictError && error.currentVersion === undefined) {
        const now = await this.deps.store.get(error.tenantId, error.recordId);
        throw new VersionConflictError(error.tenantId, error.recordId, error.expectedVersion, now?.version);
      }
      throw error;
    }
  }

  private async publish(ctx: WriteContext, recordId: string, version: number, kind: ChangeKind, at: string): Promise<void> {
    const change: RecordChange = { tenantId: ctx.tenantId, recordId, version, kind, at, cellId: this.deps.cellId, requestId: ctx.requestId };
    try {
      await this.deps.changes.publish(change);
    } catch (error) {
      // The write is durable; the table's own change stream still carries it. Do not fail the request.
      this.deps.logger.log({ level: "error", msg: "change feed publish failed", change, error: String(error) });
    }
  }
}
