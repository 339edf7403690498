import type { ChangeEvent, Ownership, OwnershipState } from "../../contract";
import type { RecordItem } from "./records";

/**
 * The core's ports, named in domain words. `TenantStore` and `NonceStore` have one contract suite
 * (`__tests__/contracts/store.contract.ts`) that every adapter passes: the in-memory fake, DynamoDB
 * (DynamoDB Local) and Cosmos DB (cosmosdb-server).
 */

export interface ListOptions {
  /** Most items to return. */
  readonly limit: number;
  /** Return only items whose record id sorts after this one (keyset pagination). */
  readonly after?: string;
  /** Include tombstones (admin export, digests); client lists never do. */
  readonly includeDeleted?: boolean;
}

/** A stored response to a keyed write, replayed to every retry with the same key. */
export interface IdempotencyEntry {
  readonly key: string;
  /** Hash of the request the key was first used with. */
  readonly fingerprint: string;
  readonly status: number;
  readonly body: string;
  /** When the entry may be forgotten (epoch seconds; the store's TTL). */
  readonly expiresAtSec: number;
  /** When it was written (epoch seconds): an older entry under the key that expired by then may be replaced. */
  readonly writtenAtSec: number;
}

/**
 * One record change, committed all or nothing: the tenant's ownership must be `active`, the stored
 * item must still be at `previousVersion` (undefined: no item at all, live or tombstone), and then
 * `item` (a live record or a tombstone), `change` (the tenant's outbox entry, its change stream) and,
 * for a keyed write, its `outcome` are written together. So no write can commit once the tenant is
 * fenced, a keyed write's answer is stored if and only if the write happened, and no committed change
 * can miss the change stream.
 */
export interface RecordWrite {
  readonly item: RecordItem;
  readonly previousVersion: number | undefined;
  readonly change: ChangeEvent;
  readonly outcome?: IdempotencyEntry;
  /**
   * The writer's clock at commit (epoch ms). A tenant with a standby has a write lease
   * (`Ownership.leaseUntil`): the commit also requires the lease to run past this time, in the same
   * atomic operation. @default the store's `Date.now()`
   */
  readonly at?: number;
}

/** The (epoch, state) an ownership compare-and-set expects to find; undefined expects no record. */
export interface OwnershipExpectation {
  readonly epoch: number;
  readonly state: OwnershipState;
  /**
   * Also the record's `updatedAt`, for changes that keep epoch and state (a standby's progress, a
   * primary's lease): the record must not have changed at all since it was read.
   */
  readonly updatedAt?: string;
}

/** Where to resume reading a tenant's change stream. */
export interface ChangesOptions {
  /** Only changes committed at or after this ISO time (callers re-read an overlap and drop duplicates by id). */
  readonly since?: string;
  readonly limit: number;
}

/**
 * How long a change stays in a tenant's outbox, seconds: its consumers (the standby replicator, the
 * reporting lake) must read it within this time. Seven days covers a long outage of a consumer.
 */
export const CHANGE_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/**
 * The cell's health probe item: one per cell, overwritten by every deep health check. Adapters keep it
 * outside every tenant's partition and never as a record, an outbox entry or an ownership record, so
 * no tenant listing, export, digest, purge, change stream or lake ever sees it.
 */
export interface HealthProbe {
  /** Random per probe: the read back must find this one (or a later probe's). */
  readonly token: string;
  /** ISO-8601 time of the write, from the cell's clock. */
  readonly writtenAt: string;
  /** When the store may forget the item (epoch seconds; its TTL). */
  readonly expiresAtSec: number;
}

export interface ImportResult {
  /** Items written (absent on this cell, or older here). */
  readonly written: number;
  /** Items skipped because this cell holds the same or a newer version. */
  readonly skipped: number;
}

/**
 * Everything a cell keeps about its tenants in its one store: ownership, records (with tombstones)
 * and keyed-write outcomes.
 *
 * Errors: a failed condition is a domain error (`VersionConflictError`, `TenantNotServedError`,
 * `IdempotencyKeyTakenError`, `EpochConflictError`); a store that does not answer is a
 * `StoreUnavailableError`. Nothing else may escape except bugs.
 */
export interface TenantStore {
  /** The tenant's ownership record; undefined when this cell never held the tenant. Strongly consistent. */
  ownership(tenantId: string): Promise<Ownership | undefined>;
  /**
   * Writes `next` if the stored ownership matches `expected` (undefined: there must be none).
   * Throws `EpochConflictError` with the current record otherwise.
   */
  setOwnership(next: Ownership, expected: OwnershipExpectation | undefined): Promise<void>;
  /** Every tenant this cell holds an ownership record for, in tenant id order. */
  listOwnerships(): Promise<Ownership[]>;

  /** The record or tombstone under `recordId`. Strongly consistent. */
  getItem(tenantId: string, recordId: string): Promise<RecordItem | undefined>;
  /** A tenant's items in ascending record id order (byte order; ids are ASCII). Tombstones only on request. */
  listItems(tenantId: string, options: ListOptions): Promise<RecordItem[]>;
  /** See `RecordWrite`. Throws `TenantNotServedError` (ownership not active, or its write lease ran out), `VersionConflictError` or `IdempotencyKeyTakenError`. */
  commit(write: RecordWrite): Promise<void>;

  /**
   * The tenant's committed changes (its outbox), oldest first by commit time then id, at least once:
   * every committed change is there until `CHANGE_RETENTION_SECONDS` after its commit.
   */
  changes(tenantId: string, options: ChangesOptions): Promise<ChangeEvent[]>;

  /** The unexpired outcome stored under `key`, if any. */
  idempotencyEntry(tenantId: string, key: string, nowSec: number): Promise<IdempotencyEntry | undefined>;
  /** Stores an outcome that wrote nothing else (a 4xx answer); false when the key is taken already. */
  saveOutcome(tenantId: string, entry: IdempotencyEntry): Promise<boolean>;

  /**
   * Writes each item that is absent here or older here, keeping its version, times and committing
   * cell, and only while the tenant is `importing` or `standby` on this cell (checked atomically with the writes;
   * `TenantNotServedError` otherwise). Idempotent: importing a page twice changes nothing the second time.
   */
  importItems(tenantId: string, items: readonly RecordItem[]): Promise<ImportResult>;
  /**
   * Deletes up to `limit` of the tenant's data (records, tombstones, outcomes, outbox entries; never
   * its ownership record, so the cell keeps answering `tenant_moved`). `more` tells whether anything is left.
   */
  purge(tenantId: string, limit: number): Promise<{ readonly deleted: number; readonly more: boolean }>;

  /** Writes the cell's probe item (see `HealthProbe`), replacing the last one. */
  writeProbe(probe: HealthProbe): Promise<void>;
  /** The probe item as last written, read strongly consistent; undefined when there is none. */
  readProbe(): Promise<HealthProbe | undefined>;
}

export interface NonceStore {
  /**
   * Records a nonce; false if it was already recorded and has not expired (a replay). A retry of the
   * same call after a lost answer (the SDK retrying) is not a replay: it answers true again.
   */
  claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number): Promise<boolean>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface KeySource {
  /** The secret for `keyId`, or undefined if this cell does not know the key. Which key may call which route is the core's rule. */
  secretFor(keyId: string): Promise<string | undefined>;
}

/** Observability of committed changes (log lines today); the durable stream is the store's own. */
export interface ChangeFeed {
  publish(change: ChangeEvent): Promise<void>;
}

/** Structured log lines (one JSON object each). */
export interface Logger {
  log(entry: Record<string, unknown>): void;
}
