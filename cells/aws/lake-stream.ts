import type { OutboxEntry, RejectedEntry } from "../core";
import { LAKE_STREAM_FILTER, OUTBOX_SORT_KEY_PREFIX, TABLE_SCHEMA } from "./config";

/**
 * Reads outbox entries out of DynamoDB stream records. Both shapes that carry them fit
 * `StreamRecordLike`: the records of a Lambda `DynamoDBStreamEvent` (what the deployed consumer gets)
 * and the records of the Streams API's `GetRecords` (what the sandbox's pump reads from DynamoDB
 * Local); their `dynamodb.Keys` and `dynamodb.NewImage` are the same attribute-value JSON.
 */

interface AttributeLike {
  readonly S?: string;
}

/** The part of a DynamoDB stream record the lake reads. */
export interface StreamRecordLike {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly Keys?: Readonly<Record<string, AttributeLike>>;
    readonly NewImage?: Readonly<Record<string, AttributeLike>>;
  };
}

const TENANT_PARTITION = /^T#(.+)$/;

/**
 * Whether a record is a new outbox item: the rule of `LAKE_STREAM_FILTER`, which the deployed event
 * source mapping applies before the function sees anything (the function checks again, cheaply).
 */
export function isOutboxInsert(record: StreamRecordLike): boolean {
  return LAKE_STREAM_FILTER.eventName.includes(record.eventName as "INSERT") && (record.dynamodb?.Keys?.[TABLE_SCHEMA.sortKey]?.S ?? "").startsWith(OUTBOX_SORT_KEY_PREFIX);
}

/**
 * The outbox entries among `records`, in stream order, each with the tenant of the partition it was
 * written to (`T#<tenant>`). Other records are skipped; an outbox item whose `event` is missing or not
 * JSON is returned as refused (a bug to log), not thrown.
 */
export function outboxEntriesOf(records: readonly StreamRecordLike[]): { entries: OutboxEntry[]; rejected: RejectedEntry[] } {
  const entries: OutboxEntry[] = [];
  const rejected: RejectedEntry[] = [];
  for (const record of records) {
    if (!isOutboxInsert(record)) continue;
    const keys = record.dynamodb?.Keys ?? {};
    const partitionTenantId = TENANT_PARTITION.exec(keys[TABLE_SCHEMA.partitionKey]?.S ?? "")?.[1] ?? "";
    const text = record.dynamodb?.NewImage?.event?.S;
    if (text === undefined) {
      rejected.push({ reason: "the outbox item has no 'event' attribute (is the stream's view type NEW_IMAGE or NEW_AND_OLD_IMAGES?)", partitionTenantId });
      continue;
    }
    try {
      entries.push({ partitionTenantId, event: JSON.parse(text) });
    } catch {
      rejected.push({ reason: "the outbox item's 'event' is not JSON", partitionTenantId });
    }
  }
  return { entries, rejected };
}
