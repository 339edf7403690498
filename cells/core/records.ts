/** The cell's domain: tenant-scoped JSON records with a version for optimistic concurrency. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface StoredRecord {
  readonly tenantId: string;
  readonly recordId: string;
  /** 1 on create, +1 on every replace. */
  readonly version: number;
  readonly data: JsonObject;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ChangeKind = "created" | "updated" | "deleted";

/**
 * One event per change, in the order of `version` for a record. A delete carries the deleted
 * version + 1, so a consumer can order a record's whole history by version alone.
 */
export interface RecordChange {
  readonly tenantId: string;
  readonly recordId: string;
  readonly version: number;
  readonly kind: ChangeKind;
  /** ISO-8601 UTC time of the change. */
  readonly at: string;
  readonly cellId: string;
  readonly requestId: string;
}
