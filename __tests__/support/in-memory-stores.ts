import { VersionConflictError } from "../../cells/core";
import type { ClaimResult, IdempotencyClaim, IdempotencyStore, ListOptions, NonceStore, RecordStore, StoredOutcome } from "../../cells/core";
import type { StoredRecord } from "../../cells/core";

/**
 * Hand-written fakes of the store ports, for the core's unit tests. They pass the same contract
 * suites as the DynamoDB and Cosmos DB adapters, which is what keeps them honest.
 * Values are deep-copied in and out, as a real store would.
 */
const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryRecordStore implements RecordStore {
  private readonly rows = new Map<string, StoredRecord>();
  private static key = (tenantId: string, recordId: string) => `${tenantId}\u0000${recordId}`;

  async get(tenantId: string, recordId: string) {
    const row = this.rows.get(InMemoryRecordStore.key(tenantId, recordId));
    return row && copy(row);
  }

  async put(record: StoredRecord, expectedVersion: number) {
    const key = InMemoryRecordStore.key(record.tenantId, record.recordId);
    const current = this.rows.get(key);
    if ((current?.version ?? 0) !== expectedVersion) throw new VersionConflictError(record.tenantId, record.recordId, expectedVersion, current?.version);
    this.rows.set(key, copy(record));
  }

  async delete(tenantId: string, recordId: string, expectedVersion: number) {
    const key = InMemoryRecordStore.key(tenantId, recordId);
    const current = this.rows.get(key);
    if (!current || current.version !== expectedVersion) throw new VersionConflictError(tenantId, recordId, expectedVersion, current?.version);
    this.rows.delete(key);
  }

  async list(tenantId: string, { limit, after }: ListOptions) {
    return [...this.rows.values()]
      .filter((r) => r.tenantId === tenantId && (after === undefined || r.recordId > after))
      .sort((a, b) => (a.recordId < b.recordId ? -1 : 1))
      .slice(0, limit)
      .map(copy);
  }
}

interface IdempotencyRow extends IdempotencyClaim {
  state: "pending" | "completed";
  outcome?: StoredOutcome;
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly rows = new Map<string, IdempotencyRow>();

  async claim(tenantId: string, key: string, claim: IdempotencyClaim, nowMs: number): Promise<ClaimResult> {
    const id = `${tenantId}\u0000${key}`;
    const row = this.rows.get(id);
    const free = !row || row.expiresAtSec * 1000 <= nowMs || (row.state === "pending" && row.leaseUntilMs <= nowMs);
    if (free) {
      this.rows.set(id, { ...claim, state: "pending" });
      return { kind: "claimed" };
    }
    if (row.state === "completed" && row.outcome) return { kind: "completed", fingerprint: row.fingerprint, outcome: copy(row.outcome) };
    return { kind: "pending" };
  }

  async complete(tenantId: string, key: string, claim: IdempotencyClaim, outcome: StoredOutcome) {
    const id = `${tenantId}\u0000${key}`;
    if (!this.holds(id, claim)) return;
    this.rows.set(id, { ...claim, leaseUntilMs: 0, state: "completed", outcome: copy(outcome) });
  }

  async release(tenantId: string, key: string, claim: IdempotencyClaim) {
    const id = `${tenantId}\u0000${key}`;
    if (this.holds(id, claim)) this.rows.delete(id);
  }

  private holds(id: string, claim: IdempotencyClaim): boolean {
    const row = this.rows.get(id);
    return row?.state === "pending" && row.claimId === claim.claimId;
  }
}

export class InMemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();

  async claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number) {
    const id = `${tenantId}\u0000${nonce}`;
    const expiry = this.seen.get(id);
    if (expiry !== undefined && expiry > nowSec) return false;
    this.seen.set(id, expiresAtSec);
    return true;
  }
}
