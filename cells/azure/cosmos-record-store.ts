import type { Container, SqlParameter } from "@azure/cosmos";
import { VersionConflictError, type JsonObject, type ListOptions, type RecordStore, type StoredRecord } from "../core";
import { COSMOS_STATUS, hasStatus } from "./cosmos-errors";
import { ITEM_KINDS } from "./cosmos-items";
import { ifMatch, readItem } from "./cosmos-read-item";

/** A record as stored: the item id is the record id, the partition key the tenant. */
interface RecordItem {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.record;
  readonly version: number;
  readonly data: JsonObject;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const toItem = (record: StoredRecord): RecordItem => ({
  id: record.recordId,
  tenantId: record.tenantId,
  kind: ITEM_KINDS.record,
  version: record.version,
  data: record.data,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

/** Picks the domain fields, which also drops Cosmos DB's system properties (`_rid`, `_etag`, `_ts`, ...). */
const fromItem = (item: RecordItem): StoredRecord => ({
  tenantId: item.tenantId,
  recordId: item.id,
  version: item.version,
  data: item.data,
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
});

/**
 * `RecordStore` on a Cosmos DB (NoSQL API) container partitioned on `/tenantId`. Optimistic concurrency
 * rides on Cosmos DB's own guarantees: a create fails with 409 if the id exists, and a replace or delete
 * carries the ETag of the version it checked (`IfMatch`), so a concurrent writer in between makes it
 * fail with 412 instead of being overwritten. Both become `VersionConflictError`.
 */
export class CosmosRecordStore implements RecordStore {
  constructor(private readonly container: Container) {}

  async get(tenantId: string, recordId: string): Promise<StoredRecord | undefined> {
    const found = await readItem<RecordItem>(this.container, recordId, tenantId);
    return found && found.item.kind === ITEM_KINDS.record ? fromItem(found.item) : undefined;
  }

  async put(record: StoredRecord, expectedVersion: number): Promise<void> {
    const { tenantId, recordId } = record;
    if (expectedVersion === 0) {
      try {
        await this.container.items.create(toItem(record));
      } catch (error) {
        if (hasStatus(error, COSMOS_STATUS.conflict)) throw new VersionConflictError(tenantId, recordId, expectedVersion);
        throw error;
      }
      return;
    }
    const current = await this.readRecord(tenantId, recordId);
    if (!current || current.item.version !== expectedVersion) throw new VersionConflictError(tenantId, recordId, expectedVersion, current?.item.version);
    try {
      await this.container.item(recordId, tenantId).replace(toItem(record), ifMatch(current.etag));
    } catch (error) {
      throw lostRace(error, tenantId, recordId, expectedVersion);
    }
  }

  async delete(tenantId: string, recordId: string, expectedVersion: number): Promise<void> {
    const current = await this.readRecord(tenantId, recordId);
    if (!current || current.item.version !== expectedVersion) throw new VersionConflictError(tenantId, recordId, expectedVersion, current?.item.version);
    try {
      await this.container.item(recordId, tenantId).delete(ifMatch(current.etag));
    } catch (error) {
      throw lostRace(error, tenantId, recordId, expectedVersion);
    }
  }

  /**
   * One single-partition query, ordered by id, with a keyset condition for paging. Item ids compare
   * ordinally in Cosmos DB (and in the emulator), which is the byte order the port promises for ASCII ids.
   */
  async list(tenantId: string, { limit, after }: ListOptions): Promise<StoredRecord[]> {
    if (!(limit >= 1)) return [];
    const top = Math.floor(limit);
    const parameters: SqlParameter[] = [
      { name: "@top", value: top },
      { name: "@tenantId", value: tenantId },
      { name: "@kind", value: ITEM_KINDS.record },
    ];
    let where = "c.tenantId = @tenantId AND c.kind = @kind";
    if (after !== undefined) {
      where += " AND c.id > @after";
      parameters.push({ name: "@after", value: after });
    }
    const { resources } = await this.container.items
      .query<RecordItem>({ query: `SELECT TOP @top * FROM c WHERE ${where} ORDER BY c.id ASC`, parameters }, { partitionKey: tenantId, maxItemCount: top })
      .fetchAll();
    return resources.slice(0, top).map(fromItem);
  }

  private async readRecord(tenantId: string, recordId: string) {
    const found = await readItem<RecordItem>(this.container, recordId, tenantId);
    return found && found.item.kind === ITEM_KINDS.record ? found : undefined;
  }
}

/** A conditional write that lost to a concurrent one (412), or whose item vanished meanwhile (404), is a conflict. */
function lostRace(error: unknown, tenantId: string, recordId: string, expectedVersion: number): unknown {
  if (hasStatus(error, COSMOS_STATUS.preconditionFailed) || hasStatus(error, COSMOS_STATUS.notFound)) {
    return new VersionConflictError(tenantId, recordId, expectedVersion);
  }
  return error;
}
