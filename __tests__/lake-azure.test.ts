import { InvocationContext, app } from "@azure/functions";
import { BlobLandingZone } from "../cells/azure/blob-landing-zone";
import { AZURE_CELL_ENV, AZURE_LAKE_ENV, LAKE_TRIGGER_NAME } from "../cells/azure/config";
import { CosmosNonceStore } from "../cells/azure/cosmos-nonce-store";
import { CosmosTenantStore } from "../cells/azure/cosmos-tenant-store";
import { AzureLakeConfigError, blobLandingZone, outboxEntriesOfFeed, readAzureLakeConfig } from "../cells/azure/lake-consumer";
import { LAKE_TRIGGER_OPTIONS, lakeTriggerHandler, registerLakeTrigger } from "../cells/azure/lake-trigger";
import { LAKE_CONTENT_TYPE, type LandingZone, type RecordWrite } from "../cells/core";
import type { ChangeEvent } from "../contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { CosmosOutboxPump, type OutboxDocument } from "../sandbox/lake/cosmos-outbox-pump";
import { aRecord, aTenantId, aTombstone, aWrite, anOutcome, anOwnership } from "./support/mothers";

/**
 * The Azure lake consumer on documents read from cosmosdb-server: the change feed hands the trigger
 * whole documents of every kind (with the system properties), which is what a query returns here.
 */

let emulator: CosmosEmulator;
let store: CosmosTenantStore;
const tenants = { a: aTenantId("lake-a"), b: aTenantId("lake-b") };
const SETTINGS = { [AZURE_CELL_ENV.cellId]: "beta", [AZURE_LAKE_ENV.containerUrl]: "https://stlakebeta123456.blob.core.windows.net/lake" };

/** `aWrite`, committed on the Azure cell beta. */
const onBeta = (write: RecordWrite): RecordWrite => ({ ...write, change: { ...write.change, cell_id: "beta", cloud: "azure" } });

const memoryZone = () => {
  const objects = new Map<string, string>();
  const zone: LandingZone = { put: async (key, body) => void objects.set(key, body) };
  return { zone, objects, events: () => [...objects.values()].flatMap((b) => b.trimEnd().split("\n").map((l) => JSON.parse(l) as ChangeEvent)) };
};
const silent = { log: () => undefined };
const allDocuments = async () => (await emulator.container.items.query("SELECT * FROM c").fetchAll()).resources;
const context = () => new InvocationContext({ invocationId: "inv-1", functionName: LAKE_TRIGGER_NAME });

/** Writes created, replaced, deleted for `tenantId`, committing each at `at(i)`. */
async function history(tenantId: string, at: (i: number) => string = (i) => `2026-01-02T03:04:0${5 + i}.000Z`): Promise<void> {
  const created = aRecord({ tenantId, recordId: "r1", data: { owner: tenantId }, updatedAt: at(0), committedBy: "beta" });
  await store.commit(onBeta(aWrite(created, undefined, anOutcome({ key: `k-${tenantId}` }))));
  const replaced = aRecord({ tenantId, recordId: "r1", version: 2, data: { owner: tenantId, v: 2 }, updatedAt: at(1), committedBy: "beta" });
  await store.commit(onBeta(aWrite(replaced, 1)));
  await store.commit(onBeta(aWrite(aTombstone(replaced, { updatedAt: at(2), committedBy: "beta" }), 2)));
}

beforeAll(async () => {
  emulator = await startCosmosEmulator();
  store = new CosmosTenantStore(emulator.container);
  for (const tenantId of [tenants.a, tenants.b]) {
    await store.setOwnership(anOwnership(tenantId), undefined);
    await history(tenantId);
  }
  await new CosmosNonceStore(emulator.container).claim(tenants.a, "n-0123456789abcdef", 1_780_000_061, 1_780_000_000);
});

afterAll(async () => emulator?.close());

describe("the change feed's documents", () => {
  test("only outbox documents are entries, each with its partition's tenant", async () => {
    const documents = await allDocuments();
    expect(documents.length).toBeGreaterThan(6);
    const { entries, rejected } = outboxEntriesOfFeed(documents);
    expect(rejected).toEqual([]);
    expect(entries.map((e) => [e.partitionTenantId, (e.event as ChangeEvent).tenant_id, (e.event as ChangeEvent).version]).sort()).toEqual(
      [tenants.a, tenants.b].flatMap((t) => [1, 2, 3].map((v) => [t, t, v])).sort(),
    );
  });

  test("a change document without an event is refused", () => {
    expect(outboxEntriesOfFeed([{ kind: "change", tenantId: "x", id: "chg:r:1" }, { kind: "record", tenantId: "x" }, null])).toEqual({
      entries: [],
      rejected: [{ reason: expect.stringMatching(/no 'event'/), partitionTenantId: "x" }],
    });
  });
});

describe("the Cosmos DB trigger", () => {
  test("lands every change under cloud=azure/cell=beta/dt=, and nothing else", async () => {
    const zone = memoryZone();
    await lakeTriggerHandler(SETTINGS, { zone: zone.zone, logger: silent })(await allDocuments(), context());
    expect([...zone.objects.keys()].every((k) => /^cloud=azure\/cell=beta\/dt=2026-01-02\/20260102T\d{9}Z-[0-9a-f]{16}\.jsonl$/.test(k))).toBe(true);
    expect(zone.events().map((e) => e.id).sort()).toEqual([tenants.a, tenants.b].flatMap((t) => [1, 2, 3].map((v) => `${t}/r1/${v}`)).sort());
    expect(zone.events().find((e) => e.kind === "deleted")).toEqual(expect.objectContaining({ data: null, version: 3 }));
  });

  test("throws when a file cannot be written, so the retry policy runs the batch again before the lease moves", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const zone: LandingZone = { put: async () => Promise.reject(new Error("503 ServerBusy")) };
    await expect(lakeTriggerHandler(SETTINGS, { zone, logger: { log: (e) => void logs.push(e) } })(await allDocuments(), context())).rejects.toThrow(/ServerBusy/);
    expect(logs).toEqual([expect.objectContaining({ level: "error", msg: expect.stringMatching(/not landed/), invocationId: "inv-1" })]);
    expect(LAKE_TRIGGER_OPTIONS.retry).toEqual(expect.objectContaining({ maxRetryCount: -1 }));
  });

  test("binds to the cell's container through the identity-based connection and Terraform's lease container", () => {
    expect(LAKE_TRIGGER_OPTIONS).toEqual(
      expect.objectContaining({
        connection: AZURE_LAKE_ENV.cosmosConnection,
        databaseName: `%${AZURE_CELL_ENV.cosmosDatabase}%`,
        containerName: `%${AZURE_CELL_ENV.cosmosContainer}%`,
        leaseContainerName: `%${AZURE_LAKE_ENV.leaseContainer}%`,
        createLeaseContainerIfNotExists: false,
        startFromBeginning: true,
      }),
    );
  });

  test("is registered only when the app has a lake, and never fails module load over a bad value", () => {
    const register = jest.spyOn(app, "cosmosDB").mockImplementation(() => undefined);
    try {
      expect(registerLakeTrigger({ [AZURE_CELL_ENV.cellId]: "beta" })).toBe(false);
      expect(register).not.toHaveBeenCalled();
      expect(registerLakeTrigger({ [AZURE_LAKE_ENV.containerUrl]: "not a url" })).toBe(true);
      expect(registerLakeTrigger(SETTINGS)).toBe(true);
      expect(register).toHaveBeenCalledWith(LAKE_TRIGGER_NAME, expect.objectContaining({ connection: AZURE_LAKE_ENV.cosmosConnection, handler: expect.any(Function) }));
    } finally {
      register.mockRestore();
    }
  });

  test("settings: none without LAKE_CONTAINER_URL, every problem named when it is wrong", () => {
    expect(readAzureLakeConfig({ [AZURE_CELL_ENV.cellId]: "beta" })).toBeUndefined();
    expect(readAzureLakeConfig(SETTINGS)).toEqual({ cellId: "beta", containerUrl: "https://stlakebeta123456.blob.core.windows.net/lake" });
    expect(() => readAzureLakeConfig({ [AZURE_LAKE_ENV.containerUrl]: "http://account.blob.core.windows.net/lake/x" })).toThrow(AzureLakeConfigError);
    expect(() => readAzureLakeConfig({ [AZURE_LAKE_ENV.containerUrl]: "https://a.blob.core.windows.net/lake" })).toThrow(/CELL_ID is not set/);
  });

  test("the default landing zone is a Blob container client on LAKE_CONTAINER_URL with the app's credential", () => {
    const credential = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) };
    const zone = blobLandingZone(SETTINGS[AZURE_LAKE_ENV.containerUrl]!, credential);
    expect(zone.container).toEqual(expect.objectContaining({ url: SETTINGS[AZURE_LAKE_ENV.containerUrl], containerName: "lake", accountName: "stlakebeta123456" }));
  });

  test("the Blob landing zone uploads NDJSON as one block blob under the key, its length in bytes (not characters)", async () => {
    const uploads: unknown[] = [];
    const container = { getBlockBlobClient: (name: string) => ({ upload: async (body: string, length: number, options: unknown) => void uploads.push({ name, body, length, options }) }) };
    await new BlobLandingZone(container as never).put("cloud=azure/cell=beta/dt=2026-01-02/x.jsonl", '{"ü":1}\n');
    expect(uploads).toEqual([{ name: "cloud=azure/cell=beta/dt=2026-01-02/x.jsonl", body: '{"ü":1}\n', length: 9, options: { blobHTTPHeaders: { blobContentType: LAKE_CONTENT_TYPE } } }]);
  });
});

describe("the outbox poller (the sandbox's change feed)", () => {
  const ids = (docs: readonly OutboxDocument[]) => docs.map((d) => (d.event as ChangeEvent).id);
  const drain = async (pump: CosmosOutboxPump) => {
    while ((await pump.tick()) === "busy");
  };

  test("delivers every outbox document once, in seq order, across partitions", async () => {
    const batches: string[][] = [];
    const pump = new CosmosOutboxPump({ container: emulator.container, batchSize: 4, deliver: async (docs) => void batches.push(ids(docs)) });
    await drain(pump);
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    expect(batches.flat().sort()).toEqual([tenants.a, tenants.b].flatMap((t) => [1, 2, 3].map((v) => `${t}/r1/${v}`)).sort());
    expect(await pump.tick()).toBe("idle");
  });

  test("a change stamped long before the newest one but written after it is still delivered, and nothing twice", async () => {
    const delivered: string[] = [];
    const pump = new CosmosOutboxPump({ container: emulator.container, deliver: async (docs) => void delivered.push(...ids(docs)) });
    await drain(pump);
    const late = aTenantId("lake-late");
    await store.setOwnership(anOwnership(late), undefined);
    // Stamped an hour before everything the pump has seen: a writer whose commit was held up (or whose clock lags).
    await history(late, (i) => `2026-01-02T02:04:0${5 + i}.000Z`);
    await drain(pump);
    expect(delivered.filter((id) => id.startsWith(late))).toEqual([`${late}/r1/1`, `${late}/r1/2`, `${late}/r1/3`]);
    expect(new Set(delivered).size).toBe(delivered.length);
  });

  test("a failed batch is delivered again; rewind delivers everything again (at least once)", async () => {
    const delivered: string[] = [];
    let fail = true;
    const pump = new CosmosOutboxPump({
      container: emulator.container,
      deliver: async (docs) => {
        if (fail) {
          fail = false;
          throw new Error("landing zone down");
        }
        delivered.push(...ids(docs));
      },
    });
    await expect(pump.tick()).rejects.toThrow(/down/);
    await drain(pump);
    const once = delivered.length;
    expect(new Set(delivered).size).toBe(once);
    pump.rewind();
    await drain(pump);
    expect(delivered.length).toBe(2 * once);
  });
});
