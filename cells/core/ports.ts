import type { RecordChange, StoredRecord } from "./records";

/**
 * The core's ports, named in domain words. Each store port has one contract suite
 * (`__tests__/contracts/`) that every adapter passes: the in-memory fake, DynamoDB and Cosmos DB.
 */

export interface ListOptions {
  /** Most records to return. */
  readonly limit: number;
  /** Return only records whose id sorts after this one (keyset pagination). */
  readonly after?: string;
}

export interface RecordStore {
  get(tenantId: string, recordId: string): Promise<StoredRecord | undefined>;
  /**
   * Writes `record` if the stored version equals `expectedVersion`, where 0 means "must not exist".
   * Throws `VersionConflictError` otherwise; never overwrites silently.
   */
  put(record: StoredRecord, expectedVersion: number): Promise<void>;
  /** Deletes the record if its stored version equals `expectedVersion`; throws `VersionConflictError` otherwise (also when absent). */
  delete(tenantId: string, recordId: string, expectedVersion: number): Promise<void>;
  /** A tenant's records in ascending record-id order (byte order; ids are ASCII). */
  list(tenantId: string, options: ListOptions): Promise<StoredRecord[]>;
}

/** The response a write produced, kept so a retry with the same idempotency key gets it again. */
export interface StoredOutcome {
  readonly status: number;
  readonly body: string;
}

export interface IdempotencyClaim {
  /** Random id of this claim: completing or releasing a key requires still holding this claim. */
  readonly claimId: string;
  /** Hash of the request the key was first used with. */
  readonly fingerprint: string;
  /** Until when (epoch ms) this claim blocks others; a crashed writer's claim can be taken over after it. */
  readonly leaseUntilMs: number;
  /** When the entry may be forgotten (epoch seconds; the store's TTL attribute). */
  readonly expiresAtSec: number;
}

export type ClaimResult =
  | { readonly kind: "claimed" }
  | { readonly kind: "completed"; readonly fingerprint: string; readonly outcome: StoredOutcome }
  | { readonly kind: "pending" };

export interface IdempotencyStore {
  /**
   * Atomically claims `key` for a new execution. Succeeds when the key is unknown, expired, or
   * pending with a lease that ended before `nowMs`. Otherwise reports what is there.
   */
  claim(tenantId: string, key: string, claim: IdempotencyClaim, nowMs: number): Promise<ClaimResult>;
  /**
   * Records the outcome of a claimed execution, if `claim` still holds the key. A claim that was taken
   * over after its lease ended changes nothing, so it can never overwrite the new holder's result.
   */
  complete(tenantId: string, key: string, claim: IdempotencyClaim, outcome: StoredOutcome): Promise<void>;
  /** Gives up a claim (the execution failed in a way worth retrying), if `claim` still holds the key. */
  release(tenantId: string, key: string, claim: IdempotencyClaim): Promise<void>;
}

export interface NonceStore {
  /** Records a nonce; false if it was already recorded and has not expired (a replay). */
  claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number): Promise<boolean>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface KeySource {
  /** The signing secret for `keyId`, or undefined if this cell does not know the key. */
  secretFor(keyId: string): Promise<string | undefined>;
}

export interface ChangeFeed {
  publish(change: RecordChange): Promise<void>;
}

/** Structured log lines (one JSON object each). */
export interface Logger {
  log(entry: Record<string, unknown>): void;
}
