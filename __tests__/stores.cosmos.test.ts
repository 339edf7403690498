import { CosmosIdempotencyStore } from "../cells/azure/cosmos-idempotency-store";
import { CosmosNonceStore } from "../cells/azure/cosmos-nonce-store";
import { CosmosRecordStore } from "../cells/azure/cosmos-record-store";
import { TTL_MARGIN_SECONDS, idempotencyItemId, nonceItemId, ttlSeconds } from "../cells/azure/cosmos-items";
import { describeStoreContract } from "./contracts/store.contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { aRecord, aTenantId } from "./support/mothers";

// The real @azure/cosmos SDK against @vercel/cosmosdb-server on loopback: the same wire protocol as
// Cosmos DB, so 409 on duplicate ids and 412 on stale ETags come from the server, not from a fake.
describeStoreContract("Cosmos DB (cosmosdb-server)", async () => {
  const emulator = await startCosmosEmulator();
  const { container } = emulator;
  return {
    stores: { records: new CosmosRecordStore(container), idempotency: new CosmosIdempotencyStore(container), nonces: new CosmosNonceStore(container) },
    close: () => emulator.close(),
  };
});

describe("Cosmos DB item layout", () => {
  let emulator: CosmosEmulator;
  beforeAll(async () => {
    emulator = await startCosmosEmulator();
  });
  afterAll(async () => emulator?.close());

  const raw = async (id: string, tenantId: string) => (await emulator.container.item(id, tenantId).read()).resource;
  const NOW_SEC = 1_800_000_000;

  test("a record is one item: record id as item id, tenant as partition key, kind 'record'", async () => {
    const record = aRecord();
    await new CosmosRecordStore(emulator.container).put(record, 0);
    expect(await raw(record.recordId, record.tenantId)).toEqual(
      expect.objectContaining({ id: record.recordId, tenantId: record.tenantId, kind: "record", version: 1, data: record.data }),
    );
  });

  // The emulator never sweeps expired items, so the TTL itself cannot be watched working here; these
  // check that every expiring item carries one, or the cloud container would grow without bound.
  test("a spent nonce carries a ttl that outlives its expiry by the margin", async () => {
    const tenantId = aTenantId();
    await new CosmosNonceStore(emulator.container).claim(tenantId, "n-layout-0123456789", NOW_SEC + 61, NOW_SEC);
    expect(await raw(nonceItemId("n-layout-0123456789"), tenantId)).toEqual(
      expect.objectContaining({ kind: "nonce", expiresAt: NOW_SEC + 61, ttl: 61 + TTL_MARGIN_SECONDS }),
    );
  });

  test("an idempotency key carries a ttl when claimed and when completed", async () => {
    const tenantId = aTenantId();
    const store = new CosmosIdempotencyStore(emulator.container, { clock: { now: () => NOW_SEC * 1000 + 500 } });
    const claim = { claimId: "c1", fingerprint: "fp", leaseUntilMs: NOW_SEC * 1000 + 30_000, expiresAtSec: NOW_SEC + 86_400 };
    await store.claim(tenantId, "k1", claim, NOW_SEC * 1000);
    expect(await raw(idempotencyItemId("k1"), tenantId)).toEqual(expect.objectContaining({ kind: "idempotency", state: "pending", ttl: 86_400 + TTL_MARGIN_SECONDS }));
    await store.complete(tenantId, "k1", claim, { status: 201, body: "{}" });
    expect(await raw(idempotencyItemId("k1"), tenantId)).toEqual(
      expect.objectContaining({ state: "completed", outcome: { status: 201, body: "{}" }, ttl: 86_400 + TTL_MARGIN_SECONDS }),
    );
  });

  test("an expiry already past still gets a positive ttl (Cosmos DB rejects 0 and treats -1 as never)", () => {
    expect(ttlSeconds(NOW_SEC - 5, NOW_SEC)).toBe(1 + TTL_MARGIN_SECONDS);
    expect(ttlSeconds(NOW_SEC + 10.2, NOW_SEC)).toBe(11 + TTL_MARGIN_SECONDS);
  });
});
