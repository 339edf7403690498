import { IdempotencyKeyTakenError, TenantNotServedError, VersionConflictError, isTombstone } from "../../cells/core";
import type { ChangesOptions, HealthProbe, IdempotencyEntry, ImportResult, ListOptions, NonceStore, OwnershipExpectation, RecordItem, RecordWrite, TenantStore } from "../../cells/core";
import { EpochConflictError } from "../../cells/core";
import type { ChangeEvent, Ownership } from "../../contract";

/**
 * Hand-written fakes of the store ports, for the core's unit tests. They pass the same contract
 * suite as the DynamoDB and Cosmos DB adapters, which is what keeps them honest. Values are
 * deep-copied in and out, as a real store would.
 */
const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryTenantStore implements TenantStore {
  private readonly owners = new Map<string, Ownership>();

  /**
   * @param options.activeTenants `"all"`: every tenant without an ownership record counts as active
   *   here (for tests of the router, where the cells' ownership is not the subject).
   */
  constructor(private readonly options: { readonly activeTenants?: "all" } = {}) {}

  private ownerOf(tenantId: string): Ownership | undefined {
    const o = this.owners.get(tenantId);
    if (o === undefined && this.options.activeTenants === "all") return { tenantId, epoch: 1, state: "active", updatedAt: "2026-01-01T00:00:00.000Z" };
    return o;
  }
  private readonly items = new Map<string, Map<string, RecordItem>>();
  private readonly outcomes = new Map<string, IdempotencyEntry>();
  private readonly outbox = new Map<string, ChangeEvent[]>();

  private itemsOf(tenantId: string): Map<string, RecordItem> {
    let items = this.items.get(tenantId);
    if (!items) this.items.set(tenantId, (items = new Map()));
    return items;
  }

  private static outcomeKey = (tenantId: string, key: string) => `${tenantId}\u0000${key}`;

  async ownership(tenantId: string) {
    const o = this.ownerOf(tenantId);
    return o && copy(o);
  }

  async setOwnership(next: Ownership, expected: OwnershipExpectation | undefined) {
    const current = this.owners.get(next.tenantId);
    const matches =
      expected === undefined ? current === undefined : current?.epoch === expected.epoch && current.state === expected.state && (expected.updatedAt === undefined || current.updatedAt === expected.updatedAt);
    if (!matches) throw new EpochConflictError(next.tenantId, current && copy(current), "ownership changed");
    this.owners.set(next.tenantId, copy(next));
  }

  async listOwnerships() {
    return [...this.owners.values()].sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1)).map(copy);
  }

  async getItem(tenantId: string, recordId: string) {
    const item = this.itemsOf(tenantId).get(recordId);
    return item && copy(item);
  }

  async listItems(tenantId: string, { limit, after, includeDeleted }: ListOptions) {
    return [...this.itemsOf(tenantId).values()]
      .filter((r) => (after === undefined || r.recordId > after) && (includeDeleted || !isTombstone(r)))
      .sort((a, b) => (a.recordId < b.recordId ? -1 : 1))
      .slice(0, limit)
      .map(copy);
  }

  private liveOutcome(tenantId: string, key: string, nowSec: number) {
    const entry = this.outcomes.get(InMemoryTenantStore.outcomeKey(tenantId, key));
    return entry && entry.expiresAtSec > nowSec ? entry : undefined;
  }

  async commit(write: RecordWrite) {
    const { tenantId, recordId } = write.item;
    const ownership = this.ownerOf(tenantId);
    const leaseHolds = ownership?.leaseUntil === undefined || ownership.leaseUntil > (write.at ?? Date.now());
    if (ownership?.state !== "active" || !leaseHolds) throw new TenantNotServedError(tenantId, ownership && copy(ownership), true);
    const items = this.itemsOf(tenantId);
    if (items.get(recordId)?.version !== write.previousVersion) throw new VersionConflictError(tenantId, recordId, "version changed");
    if (write.outcome && this.liveOutcome(tenantId, write.outcome.key, write.outcome.writtenAtSec)) throw new IdempotencyKeyTakenError("key taken");
    items.set(recordId, copy(write.item));
    this.outbox.set(tenantId, [...(this.outbox.get(tenantId) ?? []), copy(write.change)]);
    if (write.outcome) this.outcomes.set(InMemoryTenantStore.outcomeKey(tenantId, write.outcome.key), copy(write.outcome));
  }

  async changes(tenantId: string, { since, limit }: ChangesOptions) {
    return (this.outbox.get(tenantId) ?? [])
      .filter((c) => since === undefined || c.committed_at >= since)
      .sort((a, b) => (a.committed_at < b.committed_at ? -1 : a.committed_at > b.committed_at ? 1 : a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(copy);
  }

  async idempotencyEntry(tenantId: string, key: string, nowSec: number) {
    const entry = this.liveOutcome(tenantId, key, nowSec);
    return entry && copy(entry);
  }

  async saveOutcome(tenantId: string, entry: IdempotencyEntry) {
    if (this.liveOutcome(tenantId, entry.key, entry.writtenAtSec)) return false;
    this.outcomes.set(InMemoryTenantStore.outcomeKey(tenantId, entry.key), copy(entry));
    return true;
  }

  async importItems(tenantId: string, incoming: readonly RecordItem[]): Promise<ImportResult> {
    const ownership = this.owners.get(tenantId);
    if (ownership?.state !== "importing" && ownership?.state !== "standby") throw new TenantNotServedError(tenantId, ownership && copy(ownership), true);
    const items = this.itemsOf(tenantId);
    let written = 0;
    for (const item of incoming) {
      const current = items.get(item.recordId);
      if (current !== undefined && current.version >= item.version) continue;
      items.set(item.recordId, copy({ ...item, tenantId }));
      written++;
    }
    return { written, skipped: incoming.length - written };
  }

  async purge(tenantId: string, limit: number) {
    const items = this.itemsOf(tenantId);
    const keys = [...this.outcomes.keys()].filter((k) => k.startsWith(`${tenantId}\u0000`));
    let deleted = 0;
    for (const id of [...items.keys()]) {
      if (deleted >= limit) break;
      items.delete(id);
      deleted++;
    }
    for (const k of keys) {
      if (deleted >= limit) break;
      this.outcomes.delete(k);
      deleted++;
    }
    const outbox = this.outbox.get(tenantId) ?? [];
    const dropped = Math.min(outbox.length, limit - deleted);
    this.outbox.set(tenantId, outbox.slice(dropped));
    deleted += dropped;
    return { deleted, more: items.size > 0 || outbox.length > dropped || [...this.outcomes.keys()].some((k) => k.startsWith(`${tenantId}\u0000`)) };
  }

  private probe: HealthProbe | undefined;

  async writeProbe(probe: HealthProbe) {
    this.probe = copy(probe);
  }

  async readProbe() {
    return this.probe && copy(this.probe);
  }
}

export class InMemoryNonceStore implements NonceStore {
  private readonly nonces = new Map<string, number>();

  async claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number) {
    const key = `${tenantId}\u0000${nonce}`;
    const expires = this.nonces.get(key);
    if (expires !== undefined && expires > nowSec) return false;
    this.nonces.set(key, expiresAtSec);
    return true;
  }
}
