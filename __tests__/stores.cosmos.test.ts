import { CosmosNonceStore } from "../cells/azure/cosmos-nonce-store";
import { CosmosTenantStore } from "../cells/azure/cosmos-tenant-store";
import { CHANGE_RETENTION_SECONDS } from "../cells/core";
import { outboxEntriesOfFeed } from "../cells/azure/lake-consumer";
import { isTenantId } from "../contract";
import { HEALTH_PARTITION, OWNERSHIP_ITEM_ID, PROBE_ITEM_ID, TTL_MARGIN_SECONDS, changeItemId, idempotencyItemId, nonceItemId, ttlSeconds } from "../cells/azure/cosmos-items";
import { describeStoreContract } from "./contracts/store.contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { aRecord, aTenantId, aTombstone, aWrite, anOutcome, anOwnership } from "./support/mothers";

// The real @azure/cosmos SDK against @vercel/cosmosdb-server on loopback: the same wire protocol as
// Cosmos DB, so 409 on duplicate ids and 412 on stale ETags come from the server, not from a fake.
describeStoreContract("Cosmos DB (cosmosdb-server)", async () => {
  const emulator = await startCosmosEmulator();
  const { container } = emulator;
  return {
    stores: { tenants: new CosmosTenantStore(container), nonces: new CosmosNonceStore(container) },
    close: () => emulator.close(),
  };
});

describe("Cosmos DB item layout", () => {
  let emulator: CosmosEmulator;
  let store: CosmosTenantStore;
  beforeAll(async () => {
    emulator = await startCosmosEmulator();
    store = new CosmosTenantStore(emulator.container);
  });
  afterAll(async () => emulator?.close());

  const raw = async (id: string, tenantId: string) => (await emulator.container.item(id, tenantId).read()).resource;
  const NOW_SEC = 1_800_000_000;

  test("one write batch leaves the record, its outbox entry and its keyed answer in the tenant's partition", async () => {
    const tenantId = aTenantId();
    await store.setOwnership(anOwnership(tenantId), undefined);
    const record = aRecord({ tenantId, data: { n: 0.1 } });
    await store.commit(aWrite(record, undefined, anOutcome({ key: "k1", writtenAtSec: NOW_SEC, expiresAtSec: NOW_SEC + 86_400 })));
    expect(await raw(OWNERSHIP_ITEM_ID, tenantId)).toEqual(expect.objectContaining({ kind: "ownership", state: "active", epoch: 1 }));
    expect(await raw("rec-1", tenantId)).toEqual(expect.objectContaining({ kind: "record", tenantId, version: 1, data: { n: 0.1 }, committedBy: "alpha" }));
    expect(await raw(changeItemId("rec-1", 1), tenantId)).toEqual(
      expect.objectContaining({ kind: "change", ttl: CHANGE_RETENTION_SECONDS, event: expect.objectContaining({ id: `${tenantId}/rec-1/1`, kind: "created", version: 1, data: { n: 0.1 } }) }),
    );
    expect(await raw(idempotencyItemId("k1"), tenantId)).toEqual(expect.objectContaining({ kind: "idempotency", expiresAt: NOW_SEC + 86_400, ttl: 86_400 + TTL_MARGIN_SECONDS }));
  });

  test("a delete is a tombstone item with its own outbox entry, so the change stream sees deletes", async () => {
    const tenantId = aTenantId();
    await store.setOwnership(anOwnership(tenantId), undefined);
    const record = aRecord({ tenantId });
    await store.commit(aWrite(record, undefined));
    await store.commit(aWrite(aTombstone(record), 1));
    expect(await raw("rec-1", tenantId)).toEqual(expect.objectContaining({ deleted: true, version: 2 }));
    expect(await raw(changeItemId("rec-1", 2), tenantId)).toEqual(expect.objectContaining({ event: expect.objectContaining({ kind: "deleted", version: 2, data: null }) }));
  });

  test("nonces carry a TTL past their logical expiry and the claim's token", async () => {
    const nonces = new CosmosNonceStore(emulator.container);
    const tenantId = aTenantId();
    await nonces.claim(tenantId, "n-0123456789abcdef", NOW_SEC + 61, NOW_SEC);
    expect(await raw(nonceItemId("n-0123456789abcdef"), tenantId)).toEqual(
      expect.objectContaining({ kind: "nonce", expiresAt: NOW_SEC + 61, ttl: ttlSeconds(NOW_SEC + 61, NOW_SEC), token: expect.any(String) }),
    );
  });

  test("the health probe lives in a partition no tenant id can name, as a kind the lake trigger skips", async () => {
    await store.writeProbe({ token: "t-1", writtenAt: "2026-01-02T03:04:05.000Z", expiresAtSec: 1_767_323_045 + 3600 });
    const doc = await raw(PROBE_ITEM_ID, HEALTH_PARTITION);
    expect(doc).toEqual(expect.objectContaining({ kind: "health", tenantId: HEALTH_PARTITION, token: "t-1", ttl: 3600 + TTL_MARGIN_SECONDS }));
    expect(isTenantId(HEALTH_PARTITION)).toBe(false);
    expect(outboxEntriesOfFeed([doc])).toEqual({ entries: [], rejected: [] });
  });

  test("concurrent writes of one tenant all commit although they contend on its ownership item", async () => {
    const tenantId = aTenantId();
    await store.setOwnership(anOwnership(tenantId), undefined);
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.commit(aWrite(aRecord({ tenantId, recordId: `r-${i}` }), undefined))));
    expect(await store.listItems(tenantId, { limit: 20 })).toHaveLength(8);
  });
});
