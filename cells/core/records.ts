import type { ChangeKind } from "../../contract";

/** The cell's domain: tenant-scoped JSON records with a version for optimistic concurrency. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A live record. */
export interface StoredRecord {
  readonly tenantId: string;
  readonly recordId: string;
  /**
   * 1 on the first create, +1 on every change. A delete leaves a tombstone carrying the next version,
   * and a record created again after a delete continues from there, so a record id never reuses a
   * version: (tenant, record, version) names one state forever (replication and the lake rely on it).
   */
  readonly version: number;
  readonly data: JsonObject;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The cell that committed this version (kept through migrations, so a change is attributed to where it happened). */
  readonly committedBy: string;
}

/** What a delete leaves behind: the record's id and the version of its deletion, no data. */
export interface Tombstone {
  readonly tenantId: string;
  readonly recordId: string;
  readonly version: number;
  readonly deleted: true;
  /** ISO-8601 UTC time of the delete. */
  readonly updatedAt: string;
  readonly committedBy: string;
}

/** Everything a store holds under a record id. */
export type RecordItem = StoredRecord | Tombstone;

export const isTombstone = (item: RecordItem): item is Tombstone => "deleted" in item && item.deleted === true;

/** The live record, or undefined for a tombstone or nothing. */
export const liveRecord = (item: RecordItem | undefined): StoredRecord | undefined => (item === undefined || isTombstone(item) ? undefined : item);

/** The change kind that turns `previous` into `next`. */
export function changeKindOf(previous: RecordItem | undefined, next: RecordItem): ChangeKind {
  if (isTombstone(next)) return "deleted";
  return liveRecord(previous) === undefined ? "created" : "replaced";
}

/**
 * Splits imported items into the store's atomic batches (a DynamoDB transaction, a Cosmos DB
 * transactional batch): at most `maxOperations - 1` items each, one slot kept for the ownership check,
 * and under `maxBytes` by a cautious estimate of each item's size.
 */
export function importBatches(items: readonly RecordItem[], limits: { readonly maxOperations: number; readonly maxBytes: number }): RecordItem[][] {
  const out: RecordItem[][] = [];
  let current: RecordItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(item).length + 200;
    if (current.length > 0 && (current.length >= limits.maxOperations - 1 || bytes + size > limits.maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
