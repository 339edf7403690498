import { VersionConflictError, type IdempotencyStore, type NonceStore, type RecordStore } from "../../cells/core";
import { aRecord, aTenantId } from "../support/mothers";

export interface StoreFixture {
  readonly records: RecordStore;
  readonly idempotency: IdempotencyStore;
  readonly nonces: NonceStore;
}

export interface StoreHarness {
  readonly stores: StoreFixture;
  close(): Promise<void>;
}

const NOW_MS = Date.parse("2026-06-01T12:00:00Z");
const NOW_SEC = NOW_MS / 1000;

/**
 * The behaviour every store adapter must have, written once. Run against the in-memory fake,
 * DynamoDB (dynalite) and Cosmos DB (cosmosdb-server); an adapter that differs fails here.
 * Tests isolate themselves by tenant id, so one table or container serves the whole suite.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let s: StoreFixture;
    beforeAll(async () => {
      harness = await open();
      s = harness.stores;
    });
    afterAll(async () => harness?.close());

    describe("RecordStore", () => {
      test("get of a record that was never written is undefined", async () => {
        expect(await s.records.get(aTenantId(), "nope")).toBeUndefined();
      });

      test("a created record reads back exactly, JSON types included", async () => {
        const record = aRecord({
          data: { text: "héllo ✓ 🚀", int: 42, big: 9007199254740991, float: 0.1, neg: -3.5e-7, yes: true, no: false, nil: null, empty: {}, list: [1, "two", { three: [3] }], blank: "" },
        });
        await s.records.put(record, 0);
        expect(await s.records.get(record.tenantId, record.recordId)).toEqual(record);
      });

      test("creating a record that exists is a conflict and leaves it unchanged", async () => {
        const record = aRecord();
        await s.records.put(record, 0);
        await expect(s.records.put({ ...record, data: { other: 1 } }, 0)).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.records.get(record.tenantId, record.recordId)).toEqual(record);
      });

      test("replacing with the current version succeeds and bumps the stored version", async () => {
        const v1 = aRecord();
        await s.records.put(v1, 0);
        const v2 = { ...v1, version: 2, data: { name: "gadget" }, updatedAt: "2026-01-03T00:00:00.000Z" };
        await s.records.put(v2, 1);
        expect(await s.records.get(v1.tenantId, v1.recordId)).toEqual(v2);
      });

      test("replacing with a stale version is a conflict, not a silent overwrite", async () => {
        const v1 = aRecord();
        await s.records.put(v1, 0);
        await s.records.put({ ...v1, version: 2 }, 1);
        await expect(s.records.put({ ...v1, version: 2, data: { lost: true } }, 1)).rejects.toBeInstanceOf(VersionConflictError);
        expect((await s.records.get(v1.tenantId, v1.recordId))?.data).toEqual(v1.data);
      });

      test("replacing a record that does not exist is a conflict", async () => {
        const record = aRecord({ version: 2 });
        await expect(s.records.put(record, 1)).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.records.get(record.tenantId, record.recordId)).toBeUndefined();
      });

      test("delete with the current version removes the record", async () => {
        const record = aRecord();
        await s.records.put(record, 0);
        await s.records.delete(record.tenantId, record.recordId, 1);
        expect(await s.records.get(record.tenantId, record.recordId)).toBeUndefined();
      });

      test("delete with a stale version, or of a missing record, is a conflict and deletes nothing", async () => {
        const record = aRecord();
        await s.records.put(record, 0);
        await expect(s.records.delete(record.tenantId, record.recordId, 7)).rejects.toBeInstanceOf(VersionConflictError);
        await expect(s.records.delete(record.tenantId, "missing", 1)).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.records.get(record.tenantId, record.recordId)).toEqual(record);
      });

      test("tenants are isolated: same record id, separate records and lists", async () => {
        const a = aRecord({ data: { owner: "a" } });
        const b = aRecord({ data: { owner: "b" } });
        await s.records.put(a, 0);
        await s.records.put(b, 0);
        expect((await s.records.get(a.tenantId, "rec-1"))?.data).toEqual({ owner: "a" });
        expect((await s.records.get(b.tenantId, "rec-1"))?.data).toEqual({ owner: "b" });
        expect((await s.records.list(a.tenantId, { limit: 10 })).map((r) => r.data)).toEqual([{ owner: "a" }]);
      });

      test("list returns records in ascending id order and pages with `after` without gaps or repeats", async () => {
        const tenantId = aTenantId();
        const ids = ["b", "a-2", "c.1", "A", "a-10", "z_9", "0", "a"];
        for (const recordId of ids) await s.records.put(aRecord({ tenantId, recordId }), 0);
        const expected = [...ids].sort();
        expect((await s.records.list(tenantId, { limit: 100 })).map((r) => r.recordId)).toEqual(expected);

        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await s.records.list(tenantId, { limit: 3, after });
          expect(page.length).toBeLessThanOrEqual(3);
          seen.push(...page.map((r) => r.recordId));
          if (page.length < 3) break;
          after = page[page.length - 1]?.recordId;
        }
        expect(seen).toEqual(expected);
      });

      test("list of a tenant with no records is empty", async () => {
        expect(await s.records.list(aTenantId(), { limit: 5 })).toEqual([]);
      });

      test("of concurrent creates of one record exactly one wins", async () => {
        const tenantId = aTenantId();
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => s.records.put(aRecord({ tenantId, data: { writer: i } }), 0)),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(VersionConflictError);
      });

      test("of concurrent replaces from the same version exactly one wins", async () => {
        const base = aRecord();
        await s.records.put(base, 0);
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => s.records.put({ ...base, version: 2, data: { writer: i } }, 1)),
        );
        const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
        expect(winners).toHaveLength(1);
        expect((await s.records.get(base.tenantId, base.recordId))?.data).toEqual({ writer: winners[0] });
      });
    });

    describe("IdempotencyStore", () => {
      let claims = 0;
      const claim = (overrides: { fingerprint?: string; leaseUntilMs?: number; expiresAtSec?: number } = {}) => ({
        claimId: `claim-${++claims}`,
        fingerprint: "fp-1",
        leaseUntilMs: NOW_MS + 30_000,
        expiresAtSec: NOW_SEC + 86_400,
        ...overrides,
      });

      test("a new key is claimed; a second claim while the lease runs sees it pending", async () => {
        const t = aTenantId();
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS)).toEqual({ kind: "claimed" });
        expect(await s.idempotency.claim(t, "k1", claim({ fingerprint: "fp-2" }), NOW_MS + 1000)).toEqual({ kind: "pending" });
      });

      test("a completed key returns its first fingerprint and outcome", async () => {
        const t = aTenantId();
        const mine = claim();
        await s.idempotency.claim(t, "k1", mine, NOW_MS);
        const outcome = { status: 201, body: JSON.stringify({ record_id: "r", note: "ünïcode" }) };
        await s.idempotency.complete(t, "k1", mine, outcome);
        expect(await s.idempotency.claim(t, "k1", claim({ fingerprint: "fp-other" }), NOW_MS + 5000)).toEqual({ kind: "completed", fingerprint: "fp-1", outcome });
      });

      test("a pending claim whose lease ended can be taken over", async () => {
        const t = aTenantId();
        await s.idempotency.claim(t, "k1", claim({ leaseUntilMs: NOW_MS + 1000 }), NOW_MS);
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS + 2000)).toEqual({ kind: "claimed" });
      });

      test("a released key can be claimed again", async () => {
        const t = aTenantId();
        const mine = claim();
        await s.idempotency.claim(t, "k1", mine, NOW_MS);
        await s.idempotency.release(t, "k1", mine);
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS)).toEqual({ kind: "claimed" });
      });

      test("a claim that was taken over can neither complete nor release the new holder's claim", async () => {
        const t = aTenantId();
        const slow = claim({ leaseUntilMs: NOW_MS + 1000 });
        const taker = claim({ fingerprint: "fp-taker" });
        await s.idempotency.claim(t, "k1", slow, NOW_MS);
        expect(await s.idempotency.claim(t, "k1", taker, NOW_MS + 2000)).toEqual({ kind: "claimed" });
        await s.idempotency.complete(t, "k1", slow, { status: 200, body: "stale" });
        await s.idempotency.release(t, "k1", slow);
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS + 3000)).toEqual({ kind: "pending" });
        await s.idempotency.complete(t, "k1", taker, { status: 201, body: "fresh" });
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS + 4000)).toEqual({
          kind: "completed",
          fingerprint: "fp-taker",
          outcome: { status: 201, body: "fresh" },
        });
      });

      test("an expired completed key is forgotten, even before the store's TTL sweeper runs", async () => {
        const t = aTenantId();
        const mine = claim({ expiresAtSec: NOW_SEC + 10 });
        await s.idempotency.claim(t, "k1", mine, NOW_MS);
        await s.idempotency.complete(t, "k1", mine, { status: 200, body: "{}" });
        expect(await s.idempotency.claim(t, "k1", claim(), NOW_MS + 11_000)).toEqual({ kind: "claimed" });
      });

      test("keys are scoped by tenant", async () => {
        const [a, b] = [aTenantId(), aTenantId()];
        await s.idempotency.claim(a, "shared", claim(), NOW_MS);
        expect(await s.idempotency.claim(b, "shared", claim(), NOW_MS)).toEqual({ kind: "claimed" });
      });

      test("of concurrent claims of one key exactly one succeeds", async () => {
        const t = aTenantId();
        const results = await Promise.all(Array.from({ length: 6 }, () => s.idempotency.claim(t, "race", claim(), NOW_MS)));
        expect(results.filter((r) => r.kind === "claimed")).toHaveLength(1);
        expect(results.filter((r) => r.kind === "pending")).toHaveLength(5);
      });
    });

    describe("NonceStore", () => {
      test("a nonce is accepted once and refused after", async () => {
        const t = aTenantId();
        expect(await s.nonces.claim(t, "n-0123456789abcdef", NOW_SEC + 120, NOW_SEC)).toBe(true);
        expect(await s.nonces.claim(t, "n-0123456789abcdef", NOW_SEC + 120, NOW_SEC + 1)).toBe(false);
      });

      test("nonces are scoped by tenant", async () => {
        const [a, b] = [aTenantId(), aTenantId()];
        expect(await s.nonces.claim(a, "n-shared-0123456789", NOW_SEC + 120, NOW_SEC)).toBe(true);
        expect(await s.nonces.claim(b, "n-shared-0123456789", NOW_SEC + 120, NOW_SEC)).toBe(true);
      });

      test("an expired nonce is forgotten, even before the store's TTL sweeper runs", async () => {
        const t = aTenantId();
        expect(await s.nonces.claim(t, "n-expiring-0123456", NOW_SEC + 10, NOW_SEC)).toBe(true);
        expect(await s.nonces.claim(t, "n-expiring-0123456", NOW_SEC + 200, NOW_SEC + 11)).toBe(true);
      });

      test("of concurrent claims of one nonce exactly one succeeds", async () => {
        const t = aTenantId();
        const results = await Promise.all(Array.from({ length: 6 }, () => s.nonces.claim(t, "n-race-0123456789ab", NOW_SEC + 120, NOW_SEC)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
