import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import {
  VersionConflictError,
  type ClaimResult,
  type IdempotencyClaim,
  type IdempotencyStore,
  type ListOptions,
  type NonceStore,
  type RecordStore,
  type StoredOutcome,
  type StoredRecord,
} from "../core";
import { TABLE_SCHEMA } from "./config";

/**
 * The AWS cell's secondary adapters: the core's store ports on one DynamoDB table.
 *
 * Single-table layout (key names from `TABLE_SCHEMA`; every id is restricted by `contract/ids.ts` or
 * the core to characters without `#`, so the composite keys below cannot collide):
 *
 * | item        | pk                       | sk            | other attributes                                         |
 * |-------------|--------------------------|---------------|----------------------------------------------------------|
 * | record      | `T#<tenantId>`           | `R#<recordId>`| tenantId, recordId, version (N), data (S, JSON), createdAt, updatedAt |
 * | idempotency | `I#<tenantId>#<key>`     | `I`           | state, fingerprint, leaseUntilMs (N), outcome (S, JSON), expiresAt (N, TTL) |
 * | nonce       | `N#<tenantId>#<nonce>`   | `N`           | expiresAt (N, TTL)                                       |
 *
 * Design choices:
 * - Record `data` is stored as a JSON string, not as a DynamoDB map. A map sends every number through
 *   DynamoDB's decimal `N` type and the SDK's number conversion, and needs care with empty values; a
 *   string round-trips every JSON value exactly (floats, large integers, `""`, `{}`, `null`, nested
 *   arrays), costs no parsing on DynamoDB's side, and the item limit (400 KB) is well above the cell's
 *   body limit (256 KiB). The price: `data` cannot be queried or projected inside DynamoDB, which this
 *   API never does.
 * - Every check-and-write is one conditional `PutItem` or `DeleteItem`: no transactions (dynalite has
 *   none, and none are needed), no read-modify-write races.
 * - DynamoDB deletes TTL-expired items lazily (up to days later; dynalite never), so every read and every
 *   condition treats an item whose `expiresAt` has passed as absent.
 * - Reads are strongly consistent: a retry right after a write must see that write.
 */

/** What every DynamoDB store adapter receives: the SDK client (owned by the composition root) and the table. */
export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

type Item = Record<string, AttributeValue>;

function str(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`DynamoDB item ${item[PK]?.S}/${item[SK]?.S} has no string attribute '${name}'`);
  return value;
}

function num(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw new Error(`DynamoDB item ${item[PK]?.S}/${item[SK]?.S} has no number attribute '${name}'`);
  return Number(value);
}

/** The SDK's error for a failed `ConditionExpression`. Checked by name so a second copy of the SDK module cannot break it. */
const isConditionFailed = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === "ConditionalCheckFailedException";

const RECORD_PREFIX = "R#";
const recordKey = (tenantId: string, recordId: string): Item => ({ [PK]: S(`T#${tenantId}`), [SK]: S(`${RECORD_PREFIX}${recordId}`) });

function toRecord(item: Item): StoredRecord {
  return {
    tenantId: str(item, "tenantId"),
    recordId: str(item, "recordId"),
    version: num(item, "version"),
    data: JSON.parse(str(item, "data")),
    createdAt: str(item, "createdAt"),
    updatedAt: str(item, "updatedAt"),
  };
}

/**
 * `RecordStore` on DynamoDB. Versions are enforced by condition expressions, so two writers racing from
 * the same version cannot both succeed. A failed condition throws `VersionConflictError` without the
 * current version (DynamoDB does not return it without an extra read; the core looks it up when it
 * needs it for a message).
 */
export class DynamoDbRecordStore implements RecordStore {
  constructor(private readonly options: DynamoDbStoreOptions) {}

  async get(tenantId: string, recordId: string): Promise<StoredRecord | undefined> {
    const { Item: item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: recordKey(tenantId, recordId), ConsistentRead: true }),
    );
    return item ? toRecord(item) : undefined;
  }

  async put(record: StoredRecord, expectedVersion: number): Promise<void> {
    const item: Item = {
      ...recordKey(record.tenantId, record.recordId),
      tenantId: S(record.tenantId),
      recordId: S(record.recordId),
      version: N(record.version),
      data: S(JSON.stringify(record.data)),
      createdAt: S(record.createdAt),
      updatedAt: S(record.updatedAt),
    };
    const condition: Pick<PutItemCommandInput, "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"> =
      expectedVersion === 0
        ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": PK } }
        : { ConditionExpression: "#version = :expected", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":expected": N(expectedVersion) } };
    try {
      await this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item, ...condition }));
    } catch (error) {
      if (isConditionFailed(error)) throw new VersionConflictError(record.tenantId, record.recordId, expectedVersion);
      throw error;
    }
  }

  async delete(tenantId: string, recordId: string, expectedVersion: number): Promise<void> {
    try {
      // `version = :expected` is false for an absent item, so deleting a missing record is a conflict too.
      await this.options.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: recordKey(tenantId, recordId),
          ConditionExpression: "#version = :expected",
          ExpressionAttributeNames: { "#version": "version" },
          ExpressionAttributeValues: { ":expected": N(expectedVersion) },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new VersionConflictError(tenantId, recordId, expectedVersion);
      throw error;
    }
  }

  /**
   * One `Query` on the tenant's partition, ascending by sort key (UTF-8 byte order, which for the ASCII
   * record ids is the order the port promises). The key condition alone selects the records (no
   * filter expression), so `Limit` counts exactly the records returned; `after` becomes the
   * `ExclusiveStartKey` (a key position that need not exist). Query stops at 1 MB per call, so pages
   * of large records take several calls: the loop keeps going until `limit` or the end.
   */
  async list(tenantId: string, { limit, after }: ListOptions): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    let startKey: Item | undefined = after === undefined ? undefined : recordKey(tenantId, after);
    while (records.length < limit) {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
          ExpressionAttributeValues: { ":pk": S(`T#${tenantId}`), ":prefix": S(RECORD_PREFIX) },
          ScanIndexForward: true,
          ConsistentRead: true,
          Limit: limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).map(toRecord));
      startKey = page.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    return records;
  }
}

const idempotencyKey = (tenantId: string, key: string): Item => ({ [PK]: S(`I#${tenantId}#${key}`), [SK]: S("I") });

/** How often `claim` re-reads and retries when the item changed between its conditional write and its read. */
const CLAIM_ATTEMPTS = 3;

/** The condition that a pending claim with this id still holds the key. */
const holding = (claim: IdempotencyClaim) => ({
  ConditionExpression: "#state = :pending AND #claimId = :claimId",
  ExpressionAttributeNames: { "#state": "state", "#claimId": "claimId" },
  ExpressionAttributeValues: { ":pending": S("pending"), ":claimId": S(claim.claimId) },
});

/**
 * `IdempotencyStore` on DynamoDB. A claim is one conditional `PutItem` that succeeds only when the key
 * is free: absent, expired (`expiresAt <= now`, whether or not TTL has swept it), or pending with a
 * lease that has ended. Only when that write is refused is the item read, to tell the caller what holds
 * the key.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(private readonly options: DynamoDbStoreOptions) {}

  async claim(tenantId: string, key: string, claim: IdempotencyClaim, nowMs: number): Promise<ClaimResult> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.options.client.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: {
              ...idempotencyKey(tenantId, key),
              state: S("pending"),
              claimId: S(claim.claimId),
              fingerprint: S(claim.fingerprint),
              leaseUntilMs: N(claim.leaseUntilMs),
              [TTL]: N(claim.expiresAtSec),
            },
            ConditionExpression: "attribute_not_exists(#pk) OR #ttl <= :nowSec OR (#state = :pending AND #lease <= :nowMs)",
            ExpressionAttributeNames: { "#pk": PK, "#ttl": TTL, "#state": "state", "#lease": "leaseUntilMs" },
            ExpressionAttributeValues: { ":nowSec": N(nowMs / 1000), ":nowMs": N(nowMs), ":pending": S("pending") },
          }),
        );
        return { kind: "claimed" };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const { Item: item } = await this.options.client.send(
        new GetItemCommand({ TableName: this.options.tableName, Key: idempotencyKey(tenantId, key), ConsistentRead: true }),
      );
      // Released or expired since the refused write: the key is free again, so try to claim it.
      if (!item || num(item, TTL) * 1000 <= nowMs) continue;
      if (str(item, "state") === "completed") {
        return { kind: "completed", fingerprint: str(item, "fingerprint"), outcome: JSON.parse(str(item, "outcome")) as StoredOutcome };
      }
      if (num(item, "leaseUntilMs") > nowMs) return { kind: "pending" };
    }
    // Lost every race for a key that keeps changing hands: report it busy, the client retries later.
    return { kind: "pending" };
  }

  /**
   * Stores the outcome as JSON (`{status, body}`) in one string attribute, so any body, empty ones
   * included, reads back exactly.
   */
  async complete(tenantId: string, key: string, claim: IdempotencyClaim, outcome: StoredOutcome): Promise<void> {
    await this.whileHolding(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...idempotencyKey(tenantId, key),
          state: S("completed"),
          claimId: S(claim.claimId),
          fingerprint: S(claim.fingerprint),
          outcome: S(JSON.stringify({ status: outcome.status, body: outcome.body })),
          [TTL]: N(claim.expiresAtSec),
        },
        ...holding(claim),
      }),
    );
  }

  async release(tenantId: string, key: string, claim: IdempotencyClaim): Promise<void> {
    await this.whileHolding(new DeleteItemCommand({ TableName: this.options.tableName, Key: idempotencyKey(tenantId, key), ...holding(claim) }));
  }

  /** Runs a write conditioned on still holding the claim; losing the claim means there is nothing to do. */
  private async whileHolding(command: PutItemCommand | DeleteItemCommand): Promise<void> {
    try {
      await this.options.client.send(command as PutItemCommand);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/**
 * `NonceStore` on DynamoDB: one conditional `PutItem` that succeeds when the nonce is unknown or its
 * entry has expired (also before TTL deletes it). A refused write is a replay.
 */
export class DynamoDbNonceStore implements NonceStore {
  constructor(private readonly options: DynamoDbStoreOptions) {}

  async claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { [PK]: S(`N#${tenantId}#${nonce}`), [SK]: S("N"), [TTL]: N(expiresAtSec) },
          ConditionExpression: "attribute_not_exists(#pk) OR #ttl <= :now",
          ExpressionAttributeNames: { "#pk": PK, "#ttl": TTL },
          ExpressionAttributeValues: { ":now": N(nowSec) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
