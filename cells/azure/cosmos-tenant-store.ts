import type { Container, JSONObject, OperationInput, SqlParameter } from "@azure/cosmos";
import type { ChangeEvent, Ownership, OwnershipState, ReplicaState, StandbyLink } from "../../contract";
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
  type JsonObject,
  type ListOptions,
  type OwnershipExpectation,
  type RecordItem,
  type RecordWrite,
  type TenantStore,
} from "../core";
import { COSMOS_STATUS, guarded, hasStatus } from "./cosmos-errors";
import { HEALTH_PARTITION, ITEM_KINDS, OWNERSHIP_ITEM_ID, PROBE_ITEM_ID, changeItemId, idempotencyItemId, ttlSeconds } from "./cosmos-items";
import { ifMatch, readItem, type ReadItem } from "./cosmos-read-item";
import { KeyedMutex } from "./keyed-mutex";

/**
 * The Azure cell's `TenantStore` on one Cosmos DB (NoSQL) container partitioned on `/tenantId`. A
 * tenant's ownership record, records (and tombstones), keyed answers and outbox entries all live in
 * its partition, so every change is one transactional batch on that partition:
 *
 * 1. the ownership item, replaced unchanged with `IfMatch` on the ETag it was read with (the batch
 *    fails if a fence, or any ownership change, came in between);
 * 2. the record: created (no item yet) or replaced with `IfMatch` (the version it was planned against);
 * 3. the outbox entry of the change (`chg:<record>:<version>`), which the change-stream consumers read:
 *    Cosmos DB's own change feed skips intermediate versions and never shows deletes, an outbox entry
 *    per change does not (and the cloud's change feed still delivers the entries themselves);
 * 4. for a keyed write, its answer: created, or replacing an expired one with `IfMatch`.
 *
 * Cosmos DB runs the batch all or nothing. The local emulator (`@vercel/cosmosdb-server`) stops at
 * the first failing operation but does not roll back the earlier ones, so the order above puts the
 * operation that is harmless when left applied (an unchanged ownership item) first, and the one that
 * can only fail in a race the core settles anyway (the answer) last.
 *
 * The price of step 1: concurrent writes of one tenant contend on its ownership item's ETag; a batch
 * that loses only that race is retried against the fresh ETag (the tenant is still active).
 */

interface OwnershipDoc {
  readonly id: typeof OWNERSHIP_ITEM_ID;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.ownership;
  readonly epoch: number;
  readonly state: OwnershipState;
  readonly movedTo?: { readonly cellId: string; readonly epoch: number };
  readonly operation?: string;
  readonly updatedAt: string;
  readonly standby?: StandbyLink;
  readonly leaseUntil?: number;
  readonly replica?: ReplicaState;
}

interface RecordDoc {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.record;
  readonly version: number;
  readonly deleted?: true;
  readonly data?: JsonObject;
  readonly createdAt?: string;
  readonly updatedAt: string;
  readonly committedBy: string;
}

interface AnswerDoc {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.idempotency;
  readonly key: string;
  readonly fingerprint: string;
  readonly status: number;
  readonly body: string;
  readonly writtenAt: number;
  readonly expiresAt: number;
  readonly ttl: number;
}

const ownershipDoc = (o: Ownership): OwnershipDoc => ({
  id: OWNERSHIP_ITEM_ID,
  tenantId: o.tenantId,
  kind: ITEM_KINDS.ownership,
  epoch: o.epoch,
  state: o.state,
  ...(o.movedTo ? { movedTo: { cellId: o.movedTo.cellId, epoch: o.movedTo.epoch } } : {}),
  ...(o.operation ? { operation: o.operation } : {}),
  updatedAt: o.updatedAt,
  ...(o.standby ? { standby: o.standby } : {}),
  ...(o.leaseUntil !== undefined ? { leaseUntil: o.leaseUntil } : {}),
  ...(o.replica ? { replica: o.replica } : {}),
});

const toOwnership = (d: OwnershipDoc): Ownership => ({
  tenantId: d.tenantId,
  epoch: d.epoch,
  state: d.state,
  ...(d.movedTo ? { movedTo: { cellId: d.movedTo.cellId, epoch: d.movedTo.epoch } } : {}),
  ...(d.operation ? { operation: d.operation } : {}),
  updatedAt: d.updatedAt,
  ...(d.standby ? { standby: d.standby } : {}),
  ...(d.leaseUntil !== undefined ? { leaseUntil: d.leaseUntil } : {}),
  ...(d.replica ? { replica: d.replica } : {}),
});

/** Whether the ownership document lets a write commit at `nowMs`: active, and its write lease (if any) runs past it. */
const takesWrites = (d: OwnershipDoc | undefined, nowMs: number): boolean => d?.state === "active" && (d.leaseUntil === undefined || d.leaseUntil > nowMs);

function recordDoc(item: RecordItem): RecordDoc {
  const base = { id: item.recordId, tenantId: item.tenantId, kind: ITEM_KINDS.record, version: item.version, updatedAt: item.updatedAt, committedBy: item.committedBy };
  return isTombstone(item) ? { ...base, deleted: true } : { ...base, data: item.data, createdAt: item.createdAt };
}

/** Picks the domain fields, which also drops Cosmos DB's system properties (`_rid`, `_etag`, `_ts`, ...). */
function toRecordItem(d: RecordDoc): RecordItem {
  const base = { tenantId: d.tenantId, recordId: d.id, version: d.version, updatedAt: d.updatedAt, committedBy: d.committedBy };
  if (d.deleted === true) return { ...base, deleted: true };
  return { ...base, data: d.data ?? {}, createdAt: d.createdAt ?? d.updatedAt };
}

const answerDoc = (tenantId: string, e: IdempotencyEntry): AnswerDoc => ({
  id: idempotencyItemId(e.key),
  tenantId,
  kind: ITEM_KINDS.idempotency,
  key: e.key,
  fingerprint: e.fingerprint,
  status: e.status,
  body: e.body,
  writtenAt: e.writtenAtSec,
  expiresAt: e.expiresAtSec,
  ttl: ttlSeconds(e.expiresAtSec, e.writtenAtSec),
});

const toAnswer = (d: AnswerDoc): IdempotencyEntry => ({ key: d.key, fingerprint: d.fingerprint, status: d.status, body: d.body, expiresAtSec: d.expiresAt, writtenAtSec: d.writtenAt });

const changeDoc = (change: ChangeEvent) => ({
  id: changeItemId(change.record_id, change.version),
  tenantId: change.tenant_id,
  kind: ITEM_KINDS.change,
  /** Commit time, record and version in one sortable string: `ORDER BY` on one field needs no composite index. */
  seq: `${change.committed_at}#${change.record_id}#${change.version}`,
  event: change,
  ttl: CHANGE_RETENTION_SECONDS,
});

/** How often a batch that lost only the race for the ownership item's ETag is run again (with growing jittered pauses). */
const OWNERSHIP_RACE_ATTEMPTS = 16;
/** Cosmos DB's limits on one transactional batch: 100 operations and 2 MB. */
const MAX_BATCH_OPERATIONS = 100;
const MAX_BATCH_BYTES = 1_800_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many ETags the store remembers between a read and the write that follows it. */
const ETAG_CACHE_SIZE = 2_000;
/** The cells' default budget of one store call (`DEFAULT_STORE_TIMEOUT_MS` of the composition). */
const DEFAULT_STORE_CALL_MS = 2_500;
/** How many store-call budgets a write waits for its turn at most. */
const QUEUE_WAIT_CALLS = 3;
/** How many store-call budgets one operation may take with the SDK's retries (one quick retry of a read fits). */
const OPERATION_DEADLINE_CALLS = 2;

/**
 * The ETags of items this store read or wrote most recently, so a write right after its planning
 * reads (the usual case) needs no second round of reads before its batch. A record's ETag is keyed
 * by its version, which pins it (a version is written once); the ownership item's ETag is whatever
 * was seen last. A stale entry only costs a failed condition and a fresh read, never a wrong write.
 */
class EtagCache<V> {
  private readonly entries = new Map<string, V>();

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, etag: V | undefined): void {
    if (etag === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, etag);
    if (this.entries.size > ETAG_CACHE_SIZE) this.entries.delete(this.entries.keys().next().value as string);
  }
}

const recordEtagKey = (tenantId: string, recordId: string, version: number) => `${tenantId}\u0000r\u0000${recordId}\u0000${version}`;
const asJson = (value: object): JSONObject => value as unknown as JSONObject;

export class CosmosTenantStore implements TenantStore {
  private readonly etags = new EtagCache<string>();
  /** The ownership item as last read or written, with its ETag, per tenant. */
  private readonly owners = new EtagCache<ReadItem<OwnershipDoc>>();
  /** One write at a time per tenant in this process (see `KeyedMutex`). */
  private readonly writes = new KeyedMutex();

  /**
   * @param storeTimeoutMs One store call's budget (the client's per-attempt `requestTimeout`). One
   *   operation, the SDK's retries included, ends after two of them at most. A write waits for its turn in its tenant's queue at
   *   most three of them, and a write queued behind one that found the store unavailable answers the
   *   same at once (a 503 with Retry-After): a failing store sheds load instead of queueing writes past
   *   the router's deadline.
   */
  /** The most one store operation may take, the SDK's retries included (see `guarded`). */
  private readonly deadlineMs: number;

  constructor(
    private readonly container: Container,
    private readonly storeTimeoutMs: number = DEFAULT_STORE_CALL_MS,
  ) {
    this.deadlineMs = OPERATION_DEADLINE_CALLS * storeTimeoutMs;
  }

  /** Runs `task` in the tenant's write queue (see the constructor). */
  private inWriteQueue<T>(tenantId: string, task: () => Promise<T>): Promise<T> {
    const waitMs = QUEUE_WAIT_CALLS * this.storeTimeoutMs;
    return this.writes.run(tenantId, task, {
      waitMs,
      onTimeout: () => new StoreUnavailableError(`writes of tenant '${tenantId}' waited ${waitMs} ms behind earlier ones: the store is slow`),
      shedAfter: (error) => error instanceof StoreUnavailableError,
    });
  }

  private async readOwnership(tenantId: string): Promise<ReadItem<OwnershipDoc> | undefined> {
    const found = await readItem<OwnershipDoc>(this.container, OWNERSHIP_ITEM_ID, tenantId, this.deadlineMs);
    this.owners.set(tenantId, found);
    return found;
  }

  async ownership(tenantId: string): Promise<Ownership | undefined> {
    const found = await this.readOwnership(tenantId);
    return found && toOwnership(found.item);
  }

  /**
   * A compare-and-set on (epoch, state). Every write of the tenant touches the ownership item's ETag
   * (the first step of its batch), so a replace that loses only to such a write, while the record
   * still says what the caller expected, is tried again.
   */
  setOwnership(next: Ownership, expected: OwnershipExpectation | undefined): Promise<void> {
    return this.inWriteQueue(next.tenantId, () => this.setOwnershipNow(next, expected));
  }

  private async setOwnershipNow(next: Ownership, expected: OwnershipExpectation | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.readOwnership(next.tenantId);
      const matches =
        expected === undefined
          ? current === undefined
          : current !== undefined && current.item.epoch === expected.epoch && current.item.state === expected.state && (expected.updatedAt === undefined || current.item.updatedAt === expected.updatedAt);
      if (!matches) throw new EpochConflictError(next.tenantId, current && toOwnership(current.item), "the ownership record changed since it was read");
      try {
        await guarded("write", () =>
          current === undefined
            ? this.container.items.create(ownershipDoc(next))
            : this.container.item(OWNERSHIP_ITEM_ID, next.tenantId).replace(ownershipDoc(next), ifMatch(current.etag)),
          this.deadlineMs,
        );
        this.owners.delete(next.tenantId);
        return;
      } catch (error) {
        const lostRace = hasStatus(error, COSMOS_STATUS.conflict) || hasStatus(error, COSMOS_STATUS.preconditionFailed) || hasStatus(error, COSMOS_STATUS.notFound);
        if (!lostRace) throw error;
        if (attempt >= OWNERSHIP_RACE_ATTEMPTS) throw new StoreUnavailableError(`the ownership item of tenant '${next.tenantId}' kept changing under concurrent writes`);
        await pause(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  async listOwnerships(): Promise<Ownership[]> {
    const { resources } = await guarded("query", (abortSignal) =>
      this.container.items
        .query<OwnershipDoc>({ query: "SELECT * FROM c WHERE c.kind = @kind", parameters: [{ name: "@kind", value: ITEM_KINDS.ownership }] }, { abortSignal })
        .fetchAll(),
      this.deadlineMs,
    );
    return resources.map(toOwnership).sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  }

  async getItem(tenantId: string, recordId: string): Promise<RecordItem | undefined> {
    const found = await readItem<RecordDoc>(this.container, recordId, tenantId, this.deadlineMs);
    if (!found || found.item.kind !== ITEM_KINDS.record) return undefined;
    this.etags.set(recordEtagKey(tenantId, recordId, found.item.version), found.etag);
    return toRecordItem(found.item);
  }

  /**
   * One single-partition query, ordered by id, with a keyset condition for paging. Item ids compare
   * ordinally in Cosmos DB (and in the emulator), which is the byte order the port promises for ASCII ids.
   */
  async listItems(tenantId: string, { limit, after, includeDeleted }: ListOptions): Promise<RecordItem[]> {
    if (!(limit >= 1)) return [];
    const top = Math.floor(limit);
    const parameters: SqlParameter[] = [
      { name: "@top", value: top },
      { name: "@tenantId", value: tenantId },
      { name: "@kind", value: ITEM_KINDS.record },
    ];
    let where = "c.tenantId = @tenantId AND c.kind = @kind";
    if (!includeDeleted) where += " AND NOT IS_DEFINED(c.deleted)";
    if (after !== undefined) {
      where += " AND c.id > @after";
      parameters.push({ name: "@after", value: after });
    }
    const { resources } = await guarded("query", (abortSignal) =>
      this.container.items.query<RecordDoc>({ query: `SELECT TOP @top * FROM c WHERE ${where} ORDER BY c.id ASC`, parameters }, { partitionKey: tenantId, maxItemCount: top, abortSignal }).fetchAll(),
      this.deadlineMs,
    );
    return resources.slice(0, top).map(toRecordItem);
  }

  /**
   * Commits in one batch. The first attempt uses the ETags of the reads the core planned the write
   * with (one round trip in the usual case); an attempt that lost the ownership item's ETag to a
   * concurrent write of the tenant reads the ownership again and retries.
   */
  commit(write: RecordWrite): Promise<void> {
    return this.inWriteQueue(write.item.tenantId, () => this.commitNow(write));
  }

  private async commitNow(write: RecordWrite): Promise<void> {
    const { tenantId, recordId } = write.item;
    let owner = this.owners.get(tenantId);
    // A keyed write looks at its answer's slot first: a batch whose last operation fails would leave
    // the record written on the emulator (it does not roll back), and an expired answer must be replaced.
    let answerEtag: string | undefined;
    if (write.outcome) {
      const answer = await readItem<AnswerDoc>(this.container, idempotencyItemId(write.outcome.key), tenantId, this.deadlineMs);
      if (answer && answer.item.expiresAt > write.outcome.writtenAtSec) throw new IdempotencyKeyTakenError(`idempotency key '${write.outcome.key}' is taken`);
      answerEtag = answer?.etag;
    }
    for (let attempt = 1; ; attempt++) {
      // The batch below proves the ownership item is unchanged since `owner` was read; this proves it
      // says active, with a write lease (a tenant with a standby) running past the writer's clock.
      const now = Math.max(write.at ?? 0, Date.now());
      if (owner === undefined || !takesWrites(owner.item, now)) {
        const fresh = await this.readOwnership(tenantId);
        if (fresh === undefined || !takesWrites(fresh.item, now)) throw new TenantNotServedError(tenantId, fresh && toOwnership(fresh.item), true);
        owner = fresh;
      }
      let recordEtag: string | undefined;
      if (write.previousVersion !== undefined) {
        recordEtag = this.etags.get(recordEtagKey(tenantId, recordId, write.previousVersion));
        if (recordEtag === undefined) {
          const record = await readItem<RecordDoc>(this.container, recordId, tenantId, this.deadlineMs);
          if (record === undefined || record.item.kind !== ITEM_KINDS.record || record.item.version !== write.previousVersion) {
            throw new VersionConflictError(tenantId, recordId, "the record changed since it was read");
          }
          recordEtag = record.etag;
        }
      }
      const operations: OperationInput[] = [
        { operationType: "Replace", id: OWNERSHIP_ITEM_ID, resourceBody: asJson(owner.item), ifMatch: owner.etag },
        recordEtag === undefined
          ? { operationType: "Create", resourceBody: asJson(recordDoc(write.item)) }
          : { operationType: "Replace", id: recordId, resourceBody: asJson(recordDoc(write.item)), ifMatch: recordEtag },
        { operationType: "Upsert", resourceBody: asJson(changeDoc(write.change)) },
      ];
      if (write.outcome) {
        const doc = asJson(answerDoc(tenantId, write.outcome));
        operations.push(answerEtag === undefined ? { operationType: "Create", resourceBody: doc } : { operationType: "Replace", id: doc.id as string, resourceBody: doc, ifMatch: answerEtag });
      }
      const result = await this.batch(tenantId, operations);
      if (result.failed === undefined) {
        const ownerEtag = result.etags[0];
        if (ownerEtag !== undefined) this.owners.set(tenantId, { item: owner.item, etag: ownerEtag });
        this.etags.set(recordEtagKey(tenantId, recordId, write.item.version), result.etags[1]);
        return;
      }
      const { index } = result.failed;
      if (index === 0) {
        // The ownership item changed: fenced (the fresh read says so) or touched by a concurrent write.
        if (attempt >= OWNERSHIP_RACE_ATTEMPTS) throw new StoreUnavailableError(`writes of tenant '${tenantId}' kept colliding on its ownership item`);
        owner = undefined;
        if (attempt > 1) await pause(Math.random() * Math.min(100, 2 ** attempt));
        continue;
      }
      if (index === 1) throw new VersionConflictError(tenantId, recordId, "the record changed since it was read");
      if (index === 3) throw new IdempotencyKeyTakenError(`idempotency key '${write.outcome?.key}' is taken`);
      throw new StoreUnavailableError(`Cosmos DB refused operation ${index} of a write batch with status ${result.failed.status}`);
    }
  }

  /**
   * Runs a transactional batch on a tenant's partition. Answers the new ETag of each operation when
   * all succeeded, or the first failed operation (index and status) when a condition failed.
   * Throttling and server errors are an unavailable store.
   */
  private async batch(tenantId: string, operations: OperationInput[]): Promise<{ failed?: { index: number; status: number }; etags: Array<string | undefined> }> {
    let results: Array<{ statusCode: number; eTag?: string }>;
    // Every operation names the partition (the SDK sends it JSON-encoded; the emulator needs it on replaces and deletes).
    const onPartition = operations.map((op) => ({ ...op, partitionKey: tenantId }));
    try {
      const response = await guarded("batch", () => this.container.items.batch(onPartition, tenantId), this.deadlineMs);
      results = response.result ?? [];
    } catch (error) {
      const codes = (error as { result?: Array<{ statusCode: number }> }).result;
      if (!codes) throw error;
      results = codes;
    }
    const index = results.findIndex((r) => r.statusCode >= 400 && r.statusCode !== COSMOS_STATUS.failedDependency);
    if (index === -1) return { etags: results.map((r) => r.eTag) };
    const status = results[index]!.statusCode;
    if (status === 429 || status >= 500) throw new StoreUnavailableError(`Cosmos DB answered ${status} to a batch operation`);
    return { failed: { index, status }, etags: [] };
  }

  async changes(tenantId: string, { since, limit }: ChangesOptions): Promise<ChangeEvent[]> {
    const parameters: SqlParameter[] = [
      { name: "@top", value: Math.max(1, Math.floor(limit)) },
      { name: "@tenantId", value: tenantId },
      { name: "@kind", value: ITEM_KINDS.change },
    ];
    let where = "c.tenantId = @tenantId AND c.kind = @kind";
    if (since !== undefined) {
      where += " AND c.seq >= @since";
      parameters.push({ name: "@since", value: since });
    }
    const { resources } = await guarded("query", (abortSignal) =>
      this.container.items
        .query<{ event: ChangeEvent }>({ query: `SELECT TOP @top c.event FROM c WHERE ${where} ORDER BY c.seq ASC`, parameters }, { partitionKey: tenantId, abortSignal })
        .fetchAll(),
      this.deadlineMs,
    );
    return resources.map((r) => r.event);
  }

  async idempotencyEntry(tenantId: string, key: string, nowSec: number): Promise<IdempotencyEntry | undefined> {
    const found = await readItem<AnswerDoc>(this.container, idempotencyItemId(key), tenantId, this.deadlineMs);
    return found && found.item.expiresAt > nowSec ? toAnswer(found.item) : undefined;
  }

  async saveOutcome(tenantId: string, entry: IdempotencyEntry): Promise<boolean> {
    const doc = answerDoc(tenantId, entry);
    const existing = await readItem<AnswerDoc>(this.container, doc.id, tenantId, this.deadlineMs);
    if (existing && existing.item.expiresAt > entry.writtenAtSec) return false;
    try {
      await guarded("write", () => (existing ? this.container.item(doc.id, tenantId).replace(doc, ifMatch(existing.etag)) : this.container.items.create(doc)), this.deadlineMs);
      return true;
    } catch (error) {
      if (hasStatus(error, COSMOS_STATUS.conflict) || hasStatus(error, COSMOS_STATUS.preconditionFailed) || hasStatus(error, COSMOS_STATUS.notFound)) return false;
      throw error;
    }
  }

  /**
   * Writes in batches of up to 99 items behind the ownership check (the tenant must be `importing` or `standby`):
   * each item is created when absent here, replaced with `IfMatch` when older here, skipped otherwise.
   * A batch that loses a race is worked out again from fresh reads.
   */
  async importItems(tenantId: string, incoming: readonly RecordItem[]): Promise<ImportResult> {
    let written = 0;
    for (const chunk of importBatches(incoming, { maxOperations: MAX_BATCH_OPERATIONS, maxBytes: MAX_BATCH_BYTES })) {
      for (let attempt = 1; ; attempt++) {
        const owner = await this.readOwnership(tenantId);
        if (owner?.item.state !== "importing" && owner?.item.state !== "standby") throw new TenantNotServedError(tenantId, owner && toOwnership(owner.item), true);
        const here = await this.versionsHere(tenantId, chunk);
        const operations: OperationInput[] = [{ operationType: "Replace", id: OWNERSHIP_ITEM_ID, resourceBody: asJson(owner.item), ifMatch: owner.etag }];
        for (const item of chunk) {
          const existing = here.get(item.recordId);
          const doc = asJson(recordDoc({ ...item, tenantId }));
          if (existing === undefined) operations.push({ operationType: "Create", resourceBody: doc });
          else if (existing.version < item.version) operations.push({ operationType: "Replace", id: item.recordId, resourceBody: doc, ifMatch: existing.etag });
        }
        if (operations.length === 1) break;
        const { failed } = await this.batch(tenantId, operations);
        if (failed === undefined) {
          written += operations.length - 1;
          break;
        }
        if (attempt >= OWNERSHIP_RACE_ATTEMPTS) throw new StoreUnavailableError(`an import batch of tenant '${tenantId}' kept losing races`);
        await pause(Math.random() * 5 * attempt);
      }
    }
    return { written, skipped: incoming.length - written };
  }

  /** Version and ETag of each of `items` that exists here, read with one query over their id range. */
  private async versionsHere(tenantId: string, items: readonly RecordItem[]): Promise<Map<string, { version: number; etag: string }>> {
    const ids = items.map((i) => i.recordId).sort();
    const { resources } = await guarded("query", (abortSignal) =>
      this.container.items
        .query<{ id: string; version: number; _etag: string }>(
          {
            query: "SELECT c.id, c.version, c._etag FROM c WHERE c.tenantId = @tenantId AND c.kind = @kind AND c.id >= @first AND c.id <= @last",
            parameters: [
              { name: "@tenantId", value: tenantId },
              { name: "@kind", value: ITEM_KINDS.record },
              { name: "@first", value: ids[0]! },
              { name: "@last", value: ids[ids.length - 1]! },
            ],
          },
          { partitionKey: tenantId, abortSignal },
        )
        .fetchAll(),
      this.deadlineMs,
    );
    const wanted = new Set(ids);
    return new Map(resources.filter((r) => wanted.has(r.id)).map((r) => [r.id, { version: r.version, etag: r._etag }]));
  }

  /** Deletes the tenant's items except its ownership record, in batches of 100 deletes. */
  async purge(tenantId: string, limit: number): Promise<{ deleted: number; more: boolean }> {
    const { resources } = await guarded("query", (abortSignal) =>
      this.container.items
        .query<{ id: string }>(
          { query: "SELECT TOP @top c.id FROM c WHERE c.tenantId = @tenantId AND c.id != @ownership", parameters: [
            { name: "@top", value: limit + 1 },
            { name: "@tenantId", value: tenantId },
            { name: "@ownership", value: OWNERSHIP_ITEM_ID },
          ] },
          { partitionKey: tenantId, abortSignal },
        )
        .fetchAll(),
      this.deadlineMs,
    );
    const batch = resources.slice(0, limit);
    for (let i = 0; i < batch.length; i += MAX_BATCH_OPERATIONS) {
      const operations: OperationInput[] = batch.slice(i, i + MAX_BATCH_OPERATIONS).map((r) => ({ operationType: "Delete", id: r.id }));
      const { failed } = await this.batch(tenantId, operations);
      if (failed !== undefined && failed.status !== COSMOS_STATUS.notFound) throw new StoreUnavailableError(`Cosmos DB refused a purge batch with status ${failed.status}`);
    }
    return { deleted: batch.length, more: resources.length > limit };
  }

  async writeProbe(probe: HealthProbe): Promise<void> {
    const nowSec = Math.floor(Date.parse(probe.writtenAt) / 1000);
    const doc = { id: PROBE_ITEM_ID, tenantId: HEALTH_PARTITION, kind: ITEM_KINDS.health, token: probe.token, writtenAt: probe.writtenAt, expiresAt: probe.expiresAtSec, ttl: ttlSeconds(probe.expiresAtSec, nowSec) };
    await guarded("write", () => this.container.items.upsert(doc), this.deadlineMs);
  }

  async readProbe(): Promise<HealthProbe | undefined> {
    const found = await readItem<{ token: string; writtenAt: string; expiresAt: number }>(this.container, PROBE_ITEM_ID, HEALTH_PARTITION, this.deadlineMs);
    return found && { token: found.item.token, writtenAt: found.item.writtenAt, expiresAtSec: found.item.expiresAt };
  }
}
