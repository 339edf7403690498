import {
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type Put,
  type TransactWriteItem,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import type { ChangeEvent, Ownership, OwnershipState } from "../../contract";
import {
  EpochConflictError,
  IdempotencyKeyTakenError,
  StoreUnavailableError,
  TenantNotServedError,
  VersionConflictError,
  importBatches,
  isTombstone,
  CHANGE_RETENTION_SECONDS,
  type ChangesOptions,
  type HealthProbe,
  type IdempotencyEntry,
  type ImportResult,
  type ListOptions,
  type OwnershipExpectation,
  type RecordItem,
  type RecordWrite,
  type TenantStore,
} from "../core";
import { TABLE_SCHEMA } from "./config";
import { cancellationReasons, guarded, isConditionFailed } from "./dynamodb-errors";

/**
 * The AWS cell's `TenantStore` on one DynamoDB table.
 *
 * Layout (key names from `TABLE_SCHEMA`; ids are restricted by `contract/ids.ts` to characters
 * without `#`, so the composite keys cannot collide). A tenant's items share its partition:
 *
 * | item            | pk            | sk          | other attributes                                                  |
 * |-----------------|---------------|-------------|-------------------------------------------------------------------|
 * | ownership       | `T#<tenant>`  | `O`         | tenantId, epoch, state, movedToCell?, movedToEpoch?, updatedAt, ownershipIndex = "O"; with a standby: standbyLink (JSON), confirmedThrough?, leaseUntil?; on a standby: replica (JSON) |
 * | record          | `T#<tenant>`  | `R#<id>`    | tenantId, recordId, version, data (JSON text), createdAt, updatedAt, committedBy |
 * | tombstone       | `T#<tenant>`  | `R#<id>`    | tenantId, recordId, version, deleted = true, updatedAt, committedBy |
 * | keyed answer    | `T#<tenant>`  | `I#<key>`   | key, fingerprint, status, body, writtenAt, expiresAt (TTL)        |
 * | outbox entry    | `T#<tenant>`  | `C#<committed at>#<record>#<version>` | event (JSON text), expiresAt (TTL) |
 * | health probe    | `H#probe`     | `H`         | token, writtenAt, expiresAt (TTL); one per table, overwritten by every deep health check |
 *
 * Design choices:
 * - Every record change is one `TransactWriteItems`: a `ConditionCheck` that the tenant is `active`,
 *   the record `Put` conditioned on the version it was planned against, and, for a keyed write, the
 *   answer `Put` conditioned on the key being free. All or nothing: a fenced tenant takes no write,
 *   and a keyed write's answer exists exactly when the write does. The SDK retries a transaction with
 *   the same `ClientRequestToken`, which DynamoDB treats as the same transaction for ten minutes, so
 *   a retry after a lost answer does not apply it twice.
 * - `data` is stored as JSON text, not a DynamoDB map: it round-trips every JSON value exactly, and an
 *   answer's body is stored as the raw string it is (never escaped a second time).
 * - DynamoDB deletes TTL-expired items lazily, so reads and conditions treat a keyed answer whose
 *   `expiresAt` has passed as absent.
 * - Reads are strongly consistent (a retry right after a write must see that write), except the
 *   tenant list, which reads the sparse ownership index.
 * - Every change also writes an outbox entry in the same transaction: the tenant's change stream, read
 *   in commit-time order by the standby replicator (through the admin API) and delivered to the
 *   reporting lake by the table's own stream (new images, filtered to `C#` items), so a committed change
 *   cannot escape either consumer. The same design as the Cosmos DB cell, whose change feed shows
 *   neither deletes nor intermediate versions.
 */

export interface DynamoDbStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL, ownershipIndex: INDEX } = TABLE_SCHEMA;
type Item = Record<string, AttributeValue>;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

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

const tenantPk = (tenantId: string) => S(`T#${tenantId}`);
const OWNERSHIP_SK = "O";
const RECORD_PREFIX = "R#";
const ANSWER_PREFIX = "I#";
const CHANGE_PREFIX = "C#";
/** The ownership item's write-lease attribute (epoch ms), checked by every commit. */
const LEASE = "leaseUntil";
const ownershipKey = (tenantId: string): Item => ({ [PK]: tenantPk(tenantId), [SK]: S(OWNERSHIP_SK) });
/**
 * The health probe's key: a partition of its own, outside every `T#` tenant partition, with no
 * ownership-index attribute and no `C#` sort key, so no tenant query, the tenant list and the lake's
 * stream filter never see it.
 */
const PROBE_KEY: Item = { [PK]: S("H#probe"), [SK]: S("H") };
const recordKey = (tenantId: string, recordId: string): Item => ({ [PK]: tenantPk(tenantId), [SK]: S(`${RECORD_PREFIX}${recordId}`) });
const answerKey = (tenantId: string, key: string): Item => ({ [PK]: tenantPk(tenantId), [SK]: S(`${ANSWER_PREFIX}${key}`) });

function ownershipItem(o: Ownership): Item {
  const { confirmedThrough, ...link } = o.standby ?? {};
  return {
    ...ownershipKey(o.tenantId),
    tenantId: S(o.tenantId),
    epoch: N(o.epoch),
    state: S(o.state),
    updatedAt: S(o.updatedAt),
    [INDEX.partitionKey]: S(OWNERSHIP_SK),
    ...(o.movedTo ? { movedToCell: S(o.movedTo.cellId), movedToEpoch: N(o.movedTo.epoch) } : {}),
    ...(o.operation ? { operation: S(o.operation) } : {}),
    ...(o.standby ? { standbyLink: S(JSON.stringify(link)) } : {}),
    ...(confirmedThrough ? { confirmedThrough: S(confirmedThrough) } : {}),
    ...(o.leaseUntil !== undefined ? { [LEASE]: N(o.leaseUntil) } : {}),
    ...(o.replica ? { replica: S(JSON.stringify(o.replica)) } : {}),
  };
}

function toOwnership(item: Item): Ownership {
  const movedToCell = item.movedToCell?.S;
  const link = item.standbyLink?.S;
  const confirmedThrough = item.confirmedThrough?.S;
  return {
    tenantId: str(item, "tenantId"),
    epoch: num(item, "epoch"),
    state: str(item, "state") as OwnershipState,
    ...(movedToCell ? { movedTo: { cellId: movedToCell, epoch: num(item, "movedToEpoch") } } : {}),
    ...(item.operation?.S ? { operation: item.operation.S } : {}),
    updatedAt: str(item, "updatedAt"),
    ...(link ? { standby: { ...JSON.parse(link), ...(confirmedThrough ? { confirmedThrough } : {}) } } : {}),
    ...(item[LEASE]?.N !== undefined ? { leaseUntil: num(item, LEASE) } : {}),
    ...(item.replica?.S ? { replica: JSON.parse(item.replica.S) } : {}),
  };
}

function recordItem(item: RecordItem): Item {
  const common: Item = {
    ...recordKey(item.tenantId, item.recordId),
    tenantId: S(item.tenantId),
    recordId: S(item.recordId),
    version: N(item.version),
    updatedAt: S(item.updatedAt),
    committedBy: S(item.committedBy),
  };
  if (isTombstone(item)) return { ...common, deleted: { BOOL: true } };
  return { ...common, data: S(JSON.stringify(item.data)), createdAt: S(item.createdAt) };
}

function toRecordItem(item: Item): RecordItem {
  const base = {
    tenantId: str(item, "tenantId"),
    recordId: str(item, "recordId"),
    version: num(item, "version"),
    updatedAt: str(item, "updatedAt"),
    committedBy: str(item, "committedBy"),
  };
  if (item.deleted?.BOOL === true) return { ...base, deleted: true };
  const { tenantId, recordId, version, updatedAt, committedBy } = base;
  return { tenantId, recordId, version, data: JSON.parse(str(item, "data")), createdAt: str(item, "createdAt"), updatedAt, committedBy };
}

function answerItem(tenantId: string, e: IdempotencyEntry): Item {
  return {
    ...answerKey(tenantId, e.key),
    key: S(e.key),
    fingerprint: S(e.fingerprint),
    status: N(e.status),
    body: S(e.body),
    writtenAt: N(e.writtenAtSec),
    [TTL]: N(e.expiresAtSec),
  };
}

function toAnswer(item: Item): IdempotencyEntry {
  return {
    key: str(item, "key"),
    fingerprint: str(item, "fingerprint"),
    status: num(item, "status"),
    body: item.body?.S ?? "",
    expiresAtSec: num(item, TTL),
    writtenAtSec: num(item, "writtenAt"),
  };
}

/** Sort key of an outbox entry: commit time first, so a tenant's changes read back in commit order. */
export const changeSortKey = (change: Pick<ChangeEvent, "committed_at" | "record_id" | "version">): string =>
  `${CHANGE_PREFIX}${change.committed_at}#${change.record_id}#${change.version}`;

function changeItem(change: ChangeEvent): Item {
  return {
    [PK]: tenantPk(change.tenant_id),
    [SK]: S(changeSortKey(change)),
    event: S(JSON.stringify(change)),
    [TTL]: N(Math.floor(Date.parse(change.committed_at) / 1000) + CHANGE_RETENTION_SECONDS),
  };
}

/** The condition that a keyed answer's slot is free (absent, or expired by `nowSec`). */
const answerSlotFree = (nowSec: number) => ({
  ConditionExpression: "attribute_not_exists(#pk) OR #ttl <= :now",
  ExpressionAttributeNames: { "#pk": PK, "#ttl": TTL },
  ExpressionAttributeValues: { ":now": N(nowSec) },
});

type Condition = Pick<Put, "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues">;

/** The condition that a record item is still at `version` (undefined: no item at all). */
const itemAt = (version: number | undefined): Condition =>
  version === undefined
    ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": PK } }
    : { ConditionExpression: "#version = :version", ExpressionAttributeNames: { "#version": "version" }, ExpressionAttributeValues: { ":version": N(version) } };

/** How often a transaction that collided with another one on the same item is tried again. */
const TRANSACTION_ATTEMPTS = 4;
/** DynamoDB's limits on one transaction: 100 items and 4 MB; imports stay below both. */
const MAX_TRANSACTION_ITEMS = 100;
const MAX_TRANSACTION_BYTES = 3_500_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DynamoDbTenantStore implements TenantStore {
  constructor(private readonly options: DynamoDbStoreOptions) {}

  private get table(): string {
    return this.options.tableName;
  }

  /** Sends one command; an unavailable store becomes `StoreUnavailableError`. */
  private send<T>(what: string, command: object): Promise<T> {
    return guarded(what, () => (this.options.client as unknown as { send(c: object): Promise<T> }).send(command));
  }

  async ownership(tenantId: string): Promise<Ownership | undefined> {
    const { Item: item } = await this.send<{ Item?: Item }>("GetItem", new GetItemCommand({ TableName: this.table, Key: ownershipKey(tenantId), ConsistentRead: true }));
    return item ? toOwnership(item) : undefined;
  }

  async setOwnership(next: Ownership, expected: OwnershipExpectation | undefined): Promise<void> {
    const condition: Condition =
      expected === undefined
        ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": PK } }
        : {
            ConditionExpression: `#epoch = :epoch AND #state = :state${expected.updatedAt === undefined ? "" : " AND #updatedAt = :updatedAt"}`,
            ExpressionAttributeNames: { "#epoch": "epoch", "#state": "state", ...(expected.updatedAt === undefined ? {} : { "#updatedAt": "updatedAt" }) },
            ExpressionAttributeValues: { ":epoch": N(expected.epoch), ":state": S(expected.state), ...(expected.updatedAt === undefined ? {} : { ":updatedAt": S(expected.updatedAt) }) },
          };
    try {
      await this.send("PutItem", new PutItemCommand({ TableName: this.table, Item: ownershipItem(next), ...condition, ReturnValuesOnConditionCheckFailure: "ALL_OLD" }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const old = (error as { Item?: Item }).Item;
      const current = old ? toOwnership(old) : await this.ownership(next.tenantId);
      throw new EpochConflictError(next.tenantId, current, "the ownership record changed since it was read");
    }
  }

  async listOwnerships(): Promise<Ownership[]> {
    const out: Ownership[] = [];
    let start: Item | undefined;
    do {
      const page = await this.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        "Query",
        new QueryCommand({
          TableName: this.table,
          IndexName: INDEX.name,
          KeyConditionExpression: "#ix = :o",
          ExpressionAttributeNames: { "#ix": INDEX.partitionKey },
          ExpressionAttributeValues: { ":o": S(OWNERSHIP_SK) },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []).map(toOwnership));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async getItem(tenantId: string, recordId: string): Promise<RecordItem | undefined> {
    const { Item: item } = await this.send<{ Item?: Item }>("GetItem", new GetItemCommand({ TableName: this.table, Key: recordKey(tenantId, recordId), ConsistentRead: true }));
    return item ? toRecordItem(item) : undefined;
  }

  /**
   * One `Query` per 1 MB on the tenant's partition, ascending by sort key (UTF-8 byte order, which for
   * the ASCII record ids is the order the port promises); `after` becomes the `ExclusiveStartKey` (a
   * key position that need not exist). Tombstones are filtered by DynamoDB when not asked for, so the
   * loop keeps querying until `limit` items or the end.
   */
  async listItems(tenantId: string, { limit, after, includeDeleted }: ListOptions): Promise<RecordItem[]> {
    const items: RecordItem[] = [];
    let start: Item | undefined = after === undefined ? undefined : recordKey(tenantId, after);
    while (items.length < limit) {
      const page = await this.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        "Query",
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ...(includeDeleted ? {} : { FilterExpression: "attribute_not_exists(#deleted)" }),
          ExpressionAttributeNames: { "#pk": PK, "#sk": SK, ...(includeDeleted ? {} : { "#deleted": "deleted" }) },
          ExpressionAttributeValues: { ":pk": tenantPk(tenantId), ":prefix": S(RECORD_PREFIX) },
          ScanIndexForward: true,
          ConsistentRead: true,
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []).map(toRecordItem));
      start = page.LastEvaluatedKey;
      if (start === undefined) break;
    }
    return items;
  }

  async commit(write: RecordWrite): Promise<void> {
    const { tenantId } = write.item;
    // Built again for every attempt: the lease is checked against the clock when the attempt is sent,
    // so a write retried after its lease ran out cannot commit (a standby's promotion waits for that).
    const items = (attemptAt: number): TransactWriteItem[] => [
      // Active, and a write lease (a tenant with a standby) running past the writer's clock.
      {
        ConditionCheck: {
          TableName: this.table,
          Key: ownershipKey(tenantId),
          ConditionExpression: "#state = :active AND (attribute_not_exists(#lease) OR #lease > :now)",
          ExpressionAttributeNames: { "#state": "state", "#lease": LEASE },
          ExpressionAttributeValues: { ":active": S("active"), ":now": N(Math.max(write.at ?? 0, attemptAt)) },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      },
      { Put: { TableName: this.table, Item: recordItem(write.item), ...itemAt(write.previousVersion) } },
      { Put: { TableName: this.table, Item: changeItem(write.change) } },
      ...(write.outcome ? [{ Put: { TableName: this.table, Item: answerItem(tenantId, write.outcome), ...answerSlotFree(write.outcome.writtenAtSec) } }] : []),
    ];
    const reasons = await this.transact(items);
    if (reasons === undefined) return;
    const [owner, record, , answer] = reasons;
    if (answer?.Code === "ConditionalCheckFailed") throw new IdempotencyKeyTakenError(`idempotency key '${write.outcome?.key}' is taken`);
    if (owner?.Code === "ConditionalCheckFailed") {
      throw new TenantNotServedError(tenantId, owner.Item ? toOwnership(owner.Item) : await this.ownership(tenantId), true);
    }
    if (record?.Code === "ConditionalCheckFailed") throw new VersionConflictError(tenantId, write.item.recordId, "the record changed since it was read");
    throw new StoreUnavailableError(`DynamoDB cancelled the transaction: ${reasons.map((r) => r.Code ?? "None").join(", ")}`);
  }

  /**
   * Runs one transaction. Resolves undefined when it committed, or the cancellation reasons when a
   * condition failed. A collision with another transaction on the same items is tried again a few
   * times (it says nothing about the conditions), then reported as an unavailable store.
   */
  private async transact(items: TransactWriteItem[] | ((attemptAt: number) => TransactWriteItem[])): Promise<Array<{ Code?: string; Item?: Item }> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const transactItems = typeof items === "function" ? items(Date.now()) : items;
        await this.send("TransactWriteItems", new TransactWriteItemsCommand({ TransactItems: transactItems, ClientRequestToken: crypto.randomUUID() }));
        return undefined;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw error;
        const collided = reasons.some((r) => r.Code === "TransactionConflict");
        if (!collided || reasons.some((r) => r.Code === "ConditionalCheckFailed")) return reasons;
        if (attempt >= TRANSACTION_ATTEMPTS) throw new StoreUnavailableError("DynamoDB transaction kept colliding with concurrent ones", error);
        await pause(10 * attempt + Math.random() * 20);
      }
    }
  }

  async changes(tenantId: string, { since, limit }: ChangesOptions): Promise<ChangeEvent[]> {
    const out: ChangeEvent[] = [];
    let start: Item | undefined;
    do {
      const page = await this.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
        "Query",
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: since === undefined ? "#pk = :pk AND begins_with(#sk, :prefix)" : "#pk = :pk AND #sk BETWEEN :from AND :to",
          ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
          ExpressionAttributeValues:
            since === undefined
              ? { ":pk": tenantPk(tenantId), ":prefix": S(CHANGE_PREFIX) }
              : { ":pk": tenantPk(tenantId), ":from": S(`${CHANGE_PREFIX}${since}`), ":to": S(`${CHANGE_PREFIX}\uffff`) },
          ConsistentRead: true,
          Limit: limit - out.length,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []).map((item) => JSON.parse(str(item, "event")) as ChangeEvent));
      start = page.LastEvaluatedKey;
    } while (start !== undefined && out.length < limit);
    return out;
  }

  async idempotencyEntry(tenantId: string, key: string, nowSec: number): Promise<IdempotencyEntry | undefined> {
    const { Item: item } = await this.send<{ Item?: Item }>("GetItem", new GetItemCommand({ TableName: this.table, Key: answerKey(tenantId, key), ConsistentRead: true }));
    if (!item || num(item, TTL) <= nowSec) return undefined;
    return toAnswer(item);
  }

  async saveOutcome(tenantId: string, entry: IdempotencyEntry): Promise<boolean> {
    try {
      await this.send("PutItem", new PutItemCommand({ TableName: this.table, Item: answerItem(tenantId, entry), ...answerSlotFree(entry.writtenAtSec) }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Writes in transactions of up to 99 items (plus the check that the tenant is `importing` or `standby`), each
   * item conditioned on being absent or older here. When some items are the same or newer here, the
   * transaction is cancelled, those items are dropped and the rest is tried again.
   */
  async importItems(tenantId: string, incoming: readonly RecordItem[]): Promise<ImportResult> {
    let written = 0;
    for (const chunk of importBatches(incoming, { maxOperations: MAX_TRANSACTION_ITEMS, maxBytes: MAX_TRANSACTION_BYTES })) {
      let pending = [...chunk];
      while (pending.length > 0) {
        const reasons = await this.transact([
          {
            ConditionCheck: {
              TableName: this.table,
              Key: ownershipKey(tenantId),
              ConditionExpression: "#state IN (:importing, :standby)",
              ExpressionAttributeNames: { "#state": "state" },
              ExpressionAttributeValues: { ":importing": S("importing"), ":standby": S("standby") },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          ...pending.map(
            (item): TransactWriteItem => ({
              Put: {
                TableName: this.table,
                Item: recordItem({ ...item, tenantId }),
                ConditionExpression: "attribute_not_exists(#pk) OR #version < :version",
                ExpressionAttributeNames: { "#pk": PK, "#version": "version" },
                ExpressionAttributeValues: { ":version": N(item.version) },
              },
            }),
          ),
        ]);
        if (reasons === undefined) {
          written += pending.length;
          break;
        }
        const [owner, ...puts] = reasons;
        if (owner?.Code === "ConditionalCheckFailed") throw new TenantNotServedError(tenantId, owner.Item ? toOwnership(owner.Item) : await this.ownership(tenantId), true);
        const keep = pending.filter((_, i) => puts[i]?.Code !== "ConditionalCheckFailed");
        if (keep.length === pending.length) throw new StoreUnavailableError(`DynamoDB cancelled an import transaction: ${reasons.map((r) => r.Code ?? "None").join(", ")}`);
        pending = keep;
      }
    }
    return { written, skipped: incoming.length - written };
  }

  /** Deletes the tenant's records, tombstones, keyed answers and outbox entries (everything in its partition but the ownership item), in batches of 25. */
  async purge(tenantId: string, limit: number): Promise<{ deleted: number; more: boolean }> {
    const page = await this.send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
      "Query",
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
        ExpressionAttributeValues: { ":pk": tenantPk(tenantId) },
        ProjectionExpression: "#pk, #sk",
        ConsistentRead: true,
        Limit: limit + 2, // the ownership item, and one more to tell whether anything is left
      }),
    );
    const keys = (page.Items ?? []).filter((item) => item[SK]?.S !== OWNERSHIP_SK);
    const batch = keys.slice(0, limit);
    for (let i = 0; i < batch.length; i += 25) {
      let requests: WriteRequest[] = batch.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: { [PK]: key[PK]!, [SK]: key[SK]! } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await pause(20 * attempt);
        const result = await this.send<{ UnprocessedItems?: Record<string, WriteRequest[]> }>("BatchWriteItem", new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = result.UnprocessedItems?.[this.table] ?? [];
      }
    }
    return { deleted: batch.length, more: keys.length > batch.length || page.LastEvaluatedKey !== undefined };
  }

  async writeProbe(probe: HealthProbe): Promise<void> {
    await this.send("PutItem", new PutItemCommand({ TableName: this.table, Item: { ...PROBE_KEY, token: S(probe.token), writtenAt: S(probe.writtenAt), [TTL]: N(probe.expiresAtSec) } }));
  }

  async readProbe(): Promise<HealthProbe | undefined> {
    const { Item: item } = await this.send<{ Item?: Item }>("GetItem", new GetItemCommand({ TableName: this.table, Key: PROBE_KEY, ConsistentRead: true }));
    return item ? { token: str(item, "token"), writtenAt: str(item, "writtenAt"), expiresAtSec: num(item, TTL) } : undefined;
  }
}
