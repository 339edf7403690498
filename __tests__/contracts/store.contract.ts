import { EpochConflictError, IdempotencyKeyTakenError, TenantNotServedError, VersionConflictError, type NonceStore, type TenantStore } from "../../cells/core";
import { aRecord, aTenantId, aTombstone, aWrite, anOutcome, anOwnership } from "../support/mothers";

export interface StoreFixture {
  readonly tenants: TenantStore;
  readonly nonces: NonceStore;
}

export interface StoreHarness {
  readonly stores: StoreFixture;
  close(): Promise<void>;
}

const NOW_SEC = 1_780_000_000;

/**
 * The behaviour every store adapter must have, written once. Run against the in-memory fake,
 * DynamoDB (DynamoDB Local) and Cosmos DB (cosmosdb-server); an adapter that differs fails here.
 * Tests isolate themselves by tenant id, so one table or container serves the whole suite.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let s: TenantStore;
    let nonces: NonceStore;
    beforeAll(async () => {
      harness = await open();
      s = harness.stores.tenants;
      nonces = harness.stores.nonces;
    });
    afterAll(async () => harness?.close());

    /** A tenant that is active on the store's cell. */
    const activeTenant = async (): Promise<string> => {
      const tenantId = aTenantId();
      await s.setOwnership(anOwnership(tenantId), undefined);
      return tenantId;
    };

    describe("ownership", () => {
      test("a tenant never held has no ownership record", async () => {
        expect(await s.ownership(aTenantId())).toBeUndefined();
      });

      test("an ownership record is created once, reads back exactly and is listed", async () => {
        const tenantId = aTenantId();
        const moved = anOwnership(tenantId, { epoch: 4, state: "moved", movedTo: { cellId: "beta", epoch: 4 }, operation: "move-1f2e" });
        await s.setOwnership(moved, undefined);
        expect(await s.ownership(tenantId)).toEqual(moved);
        await expect(s.setOwnership(anOwnership(tenantId), undefined)).rejects.toBeInstanceOf(EpochConflictError);
        expect((await s.listOwnerships()).filter((o) => o.tenantId === tenantId)).toEqual([moved]);
      });

      test("a compare-and-set with what is stored wins; with a stale expectation it fails and names the current record", async () => {
        const tenantId = await activeTenant();
        const fenced = anOwnership(tenantId, { epoch: 2, state: "fenced", updatedAt: "2026-01-02T00:00:00.000Z" });
        await s.setOwnership(fenced, { epoch: 1, state: "active" });
        expect(await s.ownership(tenantId)).toEqual(fenced);
        const stale = s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "active" }), { epoch: 1, state: "active" });
        await expect(stale).rejects.toBeInstanceOf(EpochConflictError);
        await expect(stale).rejects.toEqual(expect.objectContaining({ current: fenced }));
      });

      test("of concurrent compare-and-sets from the same state exactly one wins", async () => {
        const tenantId = await activeTenant();
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => s.setOwnership(anOwnership(tenantId, { epoch: 2 + i, state: "fenced" }), { epoch: 1, state: "active" })),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(EpochConflictError);
      });
    });

    describe("standby replication", () => {
      const link = { cellId: "beta", url: "http://127.0.0.1:9", keyId: "repl-0123456789abcdef", secret: "s".repeat(40), since: "2026-01-01T00:00:00.000Z" };

      test("a primary's link, lease and confirmed point and a standby's replica state read back exactly", async () => {
        const primary = aTenantId();
        const withLink = anOwnership(primary, { standby: { ...link, confirmedThrough: "2026-01-01T00:00:05.000Z", seeded: true }, leaseUntil: Date.now() + 60_000 });
        await s.setOwnership(withLink, undefined);
        expect(await s.ownership(primary)).toEqual(withLink);
        const standby = aTenantId();
        const replica = anOwnership(standby, {
          epoch: 2,
          state: "standby",
          replica: { primary: { cellId: "alpha", epoch: 1 }, keyId: link.keyId, secret: link.secret, seededAt: "2026-01-01T00:00:01.000Z", appliedThrough: "2026-01-01T00:00:05.000Z", lastHeardAt: "2026-01-01T00:00:05.100Z", sweepMs: 12, caughtUp: 0, leaseMs: 2000, guardMs: 3000 },
        });
        await s.setOwnership(replica, undefined);
        expect(await s.ownership(standby)).toEqual(replica);
        expect((await s.listOwnerships()).find((o) => o.tenantId === standby)).toEqual(replica);
      });

      test("a compare-and-set that names updatedAt fails once the record changed, even at the same epoch and state", async () => {
        const tenantId = await activeTenant();
        const read = (await s.ownership(tenantId))!;
        const renewed = { ...read, leaseUntil: Date.now() + 10_000, updatedAt: "2026-01-03T00:00:00.000Z" };
        await s.setOwnership(renewed, { epoch: 1, state: "active", updatedAt: read.updatedAt });
        const stale = s.setOwnership({ ...read, updatedAt: "2026-01-04T00:00:00.000Z" }, { epoch: 1, state: "active", updatedAt: read.updatedAt });
        await expect(stale).rejects.toBeInstanceOf(EpochConflictError);
        expect(await s.ownership(tenantId)).toEqual(renewed);
      });

      test("a write commits while the tenant's write lease runs and not once it has run out; the refusal names the ownership", async () => {
        const tenantId = aTenantId();
        const until = Date.now() + 60_000;
        await s.setOwnership(anOwnership(tenantId, { standby: link, leaseUntil: until }), undefined);
        await s.commit({ ...aWrite(aRecord({ tenantId, recordId: "in-lease" }), undefined), at: until - 1 });
        const late = s.commit({ ...aWrite(aRecord({ tenantId, recordId: "after-lease" }), undefined), at: until });
        await expect(late).rejects.toBeInstanceOf(TenantNotServedError);
        await expect(late).rejects.toEqual(expect.objectContaining({ ownership: expect.objectContaining({ state: "active", leaseUntil: until }) }));
        expect(await s.getItem(tenantId, "in-lease")).toBeDefined();
        expect(await s.getItem(tenantId, "after-lease")).toBeUndefined();
        expect((await s.changes(tenantId, { limit: 10 })).map((c) => c.record_id)).toEqual(["in-lease"]);
      });

      test("a standby takes imports and no client write", async () => {
        const tenantId = aTenantId();
        await s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "standby", replica: { primary: { cellId: "alpha", epoch: 1 }, keyId: link.keyId, secret: link.secret } }), undefined);
        expect(await s.importItems(tenantId, [aRecord({ tenantId, recordId: "copied", version: 3 })])).toEqual({ written: 1, skipped: 0 });
        await expect(s.commit(aWrite(aRecord({ tenantId, recordId: "client" }), undefined))).rejects.toBeInstanceOf(TenantNotServedError);
        expect(await s.getItem(tenantId, "client")).toBeUndefined();
      });
    });

    describe("records", () => {
      test("a committed record reads back exactly, JSON types included", async () => {
        const tenantId = await activeTenant();
        const record = aRecord({
          tenantId,
          data: { text: "héllo ✓ 🚀", int: 42, big: 9007199254740991, float: 0.1, neg: -3.5e-7, yes: true, no: false, nil: null, empty: {}, list: [1, "two", { three: [3] }], blank: "" },
        });
        await s.commit(aWrite(record, undefined));
        expect(await s.getItem(tenantId, record.recordId)).toEqual(record);
      });

      test("creating over an existing item is a conflict and leaves it unchanged", async () => {
        const tenantId = await activeTenant();
        const record = aRecord({ tenantId });
        await s.commit(aWrite(record, undefined));
        await expect(s.commit(aWrite({ ...record, data: { other: 1 } }, undefined))).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.getItem(tenantId, record.recordId)).toEqual(record);
      });

      test("a write over the stored version succeeds; over a stale or missing one it is a conflict", async () => {
        const tenantId = await activeTenant();
        const v1 = aRecord({ tenantId });
        await s.commit(aWrite(v1, undefined));
        const v2 = { ...v1, version: 2, data: { name: "gadget" }, updatedAt: "2026-01-03T00:00:00.000Z" };
        await s.commit(aWrite(v2, 1));
        expect(await s.getItem(tenantId, v1.recordId)).toEqual(v2);
        await expect(s.commit(aWrite({ ...v1, version: 2, data: { lost: true } }, 1))).rejects.toBeInstanceOf(VersionConflictError);
        await expect(s.commit(aWrite(aRecord({ tenantId, recordId: "nope", version: 2 }), 1))).rejects.toBeInstanceOf(VersionConflictError);
        expect(await s.getItem(tenantId, "nope")).toBeUndefined();
        expect((await s.getItem(tenantId, v1.recordId))?.version).toBe(2);
      });

      test("a delete leaves a tombstone that lists only on request, and a new create continues its versions", async () => {
        const tenantId = await activeTenant();
        const v1 = aRecord({ tenantId });
        await s.commit(aWrite(v1, undefined));
        const tombstone = aTombstone(v1);
        await s.commit(aWrite(tombstone, 1));
        expect(await s.getItem(tenantId, v1.recordId)).toEqual(tombstone);
        expect(await s.listItems(tenantId, { limit: 10 })).toEqual([]);
        expect(await s.listItems(tenantId, { limit: 10, includeDeleted: true })).toEqual([tombstone]);
        const again = aRecord({ tenantId, version: 3, data: { back: true } });
        await s.commit(aWrite(again, 2));
        expect(await s.getItem(tenantId, v1.recordId)).toEqual(again);
      });

      test("nothing commits for a tenant that is not active here, and the refusal names its state", async () => {
        const fencedTenant = await activeTenant();
        await s.setOwnership(anOwnership(fencedTenant, { epoch: 2, state: "fenced" }), { epoch: 1, state: "active" });
        const refused = s.commit(aWrite(aRecord({ tenantId: fencedTenant }), undefined, anOutcome()));
        await expect(refused).rejects.toBeInstanceOf(TenantNotServedError);
        await expect(refused).rejects.toEqual(expect.objectContaining({ ownership: expect.objectContaining({ state: "fenced" }) }));
        expect(await s.getItem(fencedTenant, "rec-1")).toBeUndefined();
        expect(await s.idempotencyEntry(fencedTenant, "key-1", NOW_SEC)).toBeUndefined();

        const unknown = aTenantId();
        await expect(s.commit(aWrite(aRecord({ tenantId: unknown }), undefined))).rejects.toEqual(expect.objectContaining({ ownership: undefined }));
        expect(await s.getItem(unknown, "rec-1")).toBeUndefined();
      });

      test("a keyed write commits its answer with it; a taken key refuses the whole write", async () => {
        const tenantId = await activeTenant();
        const outcome = anOutcome();
        await s.commit(aWrite(aRecord({ tenantId }), undefined, outcome));
        expect(await s.idempotencyEntry(tenantId, outcome.key, NOW_SEC)).toEqual(outcome);
        const other = aRecord({ tenantId, recordId: "rec-2" });
        await expect(s.commit(aWrite(other, undefined, anOutcome({ fingerprint: "fp-2" })))).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
        expect(await s.getItem(tenantId, "rec-2")).toBeUndefined();
        expect(await s.idempotencyEntry(tenantId, outcome.key, NOW_SEC)).toEqual(outcome);
      });

      test("a key whose answer expired can be used again, even before the store's TTL sweeper runs", async () => {
        const tenantId = await activeTenant();
        await s.commit(aWrite(aRecord({ tenantId }), undefined, anOutcome({ expiresAtSec: NOW_SEC + 10 })));
        expect(await s.idempotencyEntry(tenantId, "key-1", NOW_SEC + 11)).toBeUndefined();
        const fresh = anOutcome({ fingerprint: "fp-new", writtenAtSec: NOW_SEC + 11, expiresAtSec: NOW_SEC + 1000 });
        await s.commit(aWrite(aRecord({ tenantId, recordId: "rec-2" }), undefined, fresh));
        expect(await s.idempotencyEntry(tenantId, "key-1", NOW_SEC + 12)).toEqual(fresh);
      });

      test("tenants are isolated: same record id, separate records and lists", async () => {
        const [a, b] = [await activeTenant(), await activeTenant()];
        await s.commit(aWrite(aRecord({ tenantId: a, data: { owner: "a" } }), undefined));
        await s.commit(aWrite(aRecord({ tenantId: b, data: { owner: "b" } }), undefined));
        expect((await s.getItem(a, "rec-1")) as unknown).toEqual(expect.objectContaining({ data: { owner: "a" } }));
        expect((await s.getItem(b, "rec-1")) as unknown).toEqual(expect.objectContaining({ data: { owner: "b" } }));
        expect((await s.listItems(a, { limit: 10 })).map((r) => r.tenantId)).toEqual([a]);
      });

      test("listItems returns ascending id order and pages with `after` without gaps or repeats", async () => {
        const tenantId = await activeTenant();
        const ids = ["b", "a-2", "c.1", "A", "a-10", "z_9", "0", "a"];
        for (const recordId of ids) await s.commit(aWrite(aRecord({ tenantId, recordId }), undefined));
        await s.commit(aWrite(aTombstone({ tenantId, recordId: "c.1", version: 1 }), 1));
        const live = [...ids].filter((id) => id !== "c.1").sort();
        expect((await s.listItems(tenantId, { limit: 100 })).map((r) => r.recordId)).toEqual(live);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await s.listItems(tenantId, { limit: 3, after, includeDeleted: true });
          expect(page.length).toBeLessThanOrEqual(3);
          seen.push(...page.map((r) => r.recordId));
          if (page.length < 3) break;
          after = page[page.length - 1]?.recordId;
        }
        expect(seen).toEqual([...ids].sort());
        expect(await s.listItems(aTenantId(), { limit: 5 })).toEqual([]);
      });

      test("of concurrent creates of one record exactly one wins", async () => {
        const tenantId = await activeTenant();
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => s.commit(aWrite(aRecord({ tenantId, data: { writer: i } }), undefined))));
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(VersionConflictError);
      });

      test("of concurrent writes from the same version exactly one wins", async () => {
        const tenantId = await activeTenant();
        const base = aRecord({ tenantId });
        await s.commit(aWrite(base, undefined));
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => s.commit(aWrite({ ...base, version: 2, data: { writer: i } }, 1))));
        const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
        expect(winners).toHaveLength(1);
        expect((await s.getItem(tenantId, base.recordId)) as unknown).toEqual(expect.objectContaining({ data: { writer: winners[0] } }));
      });

      test("writes racing a fence: none commits once the fence is acknowledged", async () => {
        const tenantId = await activeTenant();
        let n = 0;
        const acknowledged: string[] = [];
        let fenced = false;
        let begunAfterFence = 0;
        let committedAfterFence = 0;
        const writer = async () => {
          for (let tries = 0; tries < 5; ) {
            const fenceWasAcknowledged = fenced;
            const recordId = `w-${++n}`;
            try {
              await s.commit(aWrite(aRecord({ tenantId, recordId }), undefined));
              acknowledged.push(recordId);
              if (fenceWasAcknowledged) committedAfterFence++;
            } catch (error) {
              if (!(error instanceof TenantNotServedError)) throw error;
            }
            if (fenceWasAcknowledged) {
              tries++;
              begunAfterFence++;
            }
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        };
        const writers = [writer(), writer(), writer()];
        await new Promise((resolve) => setTimeout(resolve, 50));
        await s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "fenced" }), { epoch: 1, state: "active" });
        fenced = true;
        const atFence = (await s.listItems(tenantId, { limit: 5000 })).map((r) => r.recordId).sort();
        await Promise.all(writers);
        expect(acknowledged.length).toBeGreaterThan(0);
        expect(begunAfterFence).toBeGreaterThanOrEqual(15);
        expect(committedAfterFence).toBe(0);
        expect((await s.listItems(tenantId, { limit: 5000 })).map((r) => r.recordId).sort()).toEqual(atFence);
        expect([...acknowledged].sort()).toEqual(atFence);
      });
    });

    describe("the change stream (outbox)", () => {
      const at = (second: number) => `2026-01-02T03:04:${String(second).padStart(2, "0")}.000Z`;

      test("every committed change is in the tenant's outbox in commit order, with its data; refused writes are not", async () => {
        const tenantId = await activeTenant();
        const v1 = aRecord({ tenantId, updatedAt: at(1) });
        await s.commit(aWrite(v1, undefined));
        await s.commit(aWrite({ ...v1, version: 2, data: { n: 2 }, updatedAt: at(2) }, 1));
        await expect(s.commit(aWrite({ ...v1, version: 2, data: { lost: true }, updatedAt: at(3) }, 1))).rejects.toBeInstanceOf(VersionConflictError);
        await s.commit(aWrite(aTombstone({ tenantId, recordId: v1.recordId, version: 2 }, { updatedAt: at(4) }), 2));
        await s.commit(aWrite(aRecord({ tenantId, recordId: "other", updatedAt: at(5) }), undefined));
        const changes = await s.changes(tenantId, { limit: 10 });
        expect(changes.map((c) => [c.record_id, c.version, c.kind, c.data])).toEqual([
          ["rec-1", 1, "created", { name: "widget", count: 3 }],
          ["rec-1", 2, "replaced", { n: 2 }],
          ["rec-1", 3, "deleted", null],
          ["other", 1, "created", { name: "widget", count: 3 }],
        ]);
        expect(changes[0]).toEqual(aWrite(v1, undefined).change);
        expect((await s.changes(tenantId, { since: at(4), limit: 10 })).map((c) => c.id)).toEqual([`${tenantId}/rec-1/3`, `${tenantId}/other/1`]);
        expect(await s.changes(tenantId, { limit: 2 })).toHaveLength(2);
        expect(await s.changes(aTenantId(), { limit: 10 })).toEqual([]);
      });
    });

    describe("keyed-write answers on their own", () => {
      test("an answer is saved once; the second save is refused and the first stays, byte for byte", async () => {
        const tenantId = aTenantId();
        const first = anOutcome({ status: 409, body: "" });
        expect(await s.saveOutcome(tenantId, first)).toBe(true);
        expect(await s.saveOutcome(tenantId, anOutcome({ fingerprint: "fp-2" }))).toBe(false);
        expect(await s.idempotencyEntry(tenantId, first.key, NOW_SEC)).toEqual(first);
      });

      test("a large answer of escaped quotes is stored once, not escaped again past the item limit", async () => {
        const tenantId = aTenantId();
        const body = JSON.stringify({ data: { s: '"'.repeat(120_000) } });
        const entry = anOutcome({ body });
        expect(await s.saveOutcome(tenantId, entry)).toBe(true);
        expect((await s.idempotencyEntry(tenantId, entry.key, NOW_SEC))?.body).toBe(body);
      });

      test("answers are scoped by tenant and one of concurrent saves wins", async () => {
        const [a, b] = [aTenantId(), aTenantId()];
        expect(await s.saveOutcome(a, anOutcome())).toBe(true);
        expect(await s.saveOutcome(b, anOutcome())).toBe(true);
        const t = aTenantId();
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => s.saveOutcome(t, anOutcome({ fingerprint: `fp-${i}` }))));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe("import and purge", () => {
      test("an import goes only into an importing (or standby) tenant", async () => {
        const tenantId = await activeTenant();
        await expect(s.importItems(tenantId, [aRecord({ tenantId })])).rejects.toBeInstanceOf(TenantNotServedError);
        expect(await s.getItem(tenantId, "rec-1")).toBeUndefined();
      });

      test("an import writes what is absent or older, keeps versions, times and origin, and is idempotent", async () => {
        const tenantId = aTenantId();
        await s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "importing" }), undefined);
        const a = aRecord({ tenantId, recordId: "a", version: 7, committedBy: "beta" });
        const b = aTombstone({ tenantId, recordId: "b", version: 3 }, { committedBy: "beta" });
        expect(await s.importItems(tenantId, [a, b])).toEqual({ written: 2, skipped: 0 });
        expect(await s.importItems(tenantId, [a, b])).toEqual({ written: 0, skipped: 2 });
        const a8 = { ...a, version: 8, data: { newer: true } };
        expect(await s.importItems(tenantId, [a8, { ...a, version: 6 }])).toEqual({ written: 1, skipped: 1 });
        expect(await s.getItem(tenantId, "a")).toEqual(a8);
        expect(await s.getItem(tenantId, "b")).toEqual(b);
      });

      test("purge removes records, tombstones and answers in batches and keeps the ownership record", async () => {
        const tenantId = await activeTenant();
        for (let i = 0; i < 5; i++) await s.commit(aWrite(aRecord({ tenantId, recordId: `r-${i}` }), undefined, anOutcome({ key: `k-${i}` })));
        await s.commit(aWrite(aTombstone({ tenantId, recordId: "r-0", version: 1 }), 1));
        await s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "moved", movedTo: { cellId: "beta", epoch: 2 } }), { epoch: 1, state: "active" });
        const first = await s.purge(tenantId, 4);
        expect(first).toEqual({ deleted: 4, more: true });
        let total = first.deleted;
        for (let more = true; more; ) {
          const next = await s.purge(tenantId, 4);
          total += next.deleted;
          more = next.more;
        }
        expect(total).toBe(16); // 5 records, 5 answers, 6 outbox entries
        expect(await s.listItems(tenantId, { limit: 10, includeDeleted: true })).toEqual([]);
        expect(await s.idempotencyEntry(tenantId, "k-1", NOW_SEC)).toBeUndefined();
        expect(await s.changes(tenantId, { limit: 10 })).toEqual([]);
        expect((await s.ownership(tenantId))?.state).toBe("moved");
      });
    });

    describe("the health probe", () => {
      const aProbe = (token: string, second: number) => ({ token, writtenAt: `2026-01-02T03:04:${String(second).padStart(2, "0")}.000Z`, expiresAtSec: NOW_SEC + 3600 });

      test("the probe item reads back as written, strongly consistent, and the last write wins", async () => {
        await s.writeProbe(aProbe("probe-a", 1));
        expect(await s.readProbe()).toEqual(aProbe("probe-a", 1));
        await s.writeProbe(aProbe("probe-b", 2));
        expect(await s.readProbe()).toEqual(aProbe("probe-b", 2));
      });

      test("no tenant ever sees it: not in the tenant list, nor in any tenant's records, changes or purge", async () => {
        const tenantId = await activeTenant();
        await s.commit(aWrite(aRecord({ tenantId }), undefined));
        const owners = (await s.listOwnerships()).map((o) => o.tenantId);
        await s.writeProbe(aProbe("probe-c", 3));
        expect((await s.listOwnerships()).map((o) => o.tenantId)).toEqual(owners);
        expect((await s.listItems(tenantId, { limit: 10, includeDeleted: true })).map((r) => r.recordId)).toEqual(["rec-1"]);
        expect((await s.changes(tenantId, { limit: 10 })).map((c) => c.record_id)).toEqual(["rec-1"]);
        await s.setOwnership(anOwnership(tenantId, { epoch: 2, state: "moved", movedTo: { cellId: "beta", epoch: 2 } }), { epoch: 1, state: "active" });
        while ((await s.purge(tenantId, 100)).more);
        expect(await s.readProbe()).toEqual(aProbe("probe-c", 3));
      });
    });

    describe("nonces", () => {
      test("a nonce is accepted once and refused after", async () => {
        const t = aTenantId();
        expect(await nonces.claim(t, "n-0123456789abcdef", NOW_SEC + 120, NOW_SEC)).toBe(true);
        expect(await nonces.claim(t, "n-0123456789abcdef", NOW_SEC + 120, NOW_SEC + 1)).toBe(false);
      });

      test("nonces are scoped by tenant", async () => {
        const [a, b] = [aTenantId(), aTenantId()];
        expect(await nonces.claim(a, "n-shared-0123456789", NOW_SEC + 120, NOW_SEC)).toBe(true);
        expect(await nonces.claim(b, "n-shared-0123456789", NOW_SEC + 120, NOW_SEC)).toBe(true);
      });

      test("an expired nonce is forgotten, even before the store's TTL sweeper runs", async () => {
        const t = aTenantId();
        expect(await nonces.claim(t, "n-expiring-0123456", NOW_SEC + 10, NOW_SEC)).toBe(true);
        expect(await nonces.claim(t, "n-expiring-0123456", NOW_SEC + 200, NOW_SEC + 11)).toBe(true);
      });

      test("of concurrent claims of one nonce exactly one succeeds", async () => {
        const t = aTenantId();
        const results = await Promise.all(Array.from({ length: 6 }, () => nonces.claim(t, "n-race-0123456789ab", NOW_SEC + 120, NOW_SEC)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
