import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDbIdempotencyStore, DynamoDbNonceStore, DynamoDbRecordStore } from "../cells/aws/dynamodb-stores";
import { TABLE_SCHEMA } from "../cells/aws/config";
import { describeStoreContract } from "./contracts/store.contract";
import { startDynalite, type Dynalite } from "../sandbox/emulators/dynalite";
import { aRecord, aTenantId } from "./support/mothers";

describeStoreContract("DynamoDB (dynalite)", async () => {
  const db = await startDynalite();
  const options = { client: db.client, tableName: db.tableName };
  return {
    stores: {
      records: new DynamoDbRecordStore(options),
      idempotency: new DynamoDbIdempotencyStore(options),
      nonces: new DynamoDbNonceStore(options),
    },
    close: () => db.close(),
  };
});

/** What the contract cannot see: DynamoDB's own limits and the table layout the deployed data lives in. */
describe("DynamoDB store adapters on dynalite", () => {
  let db: Dynalite;
  let records: DynamoDbRecordStore;
  beforeAll(async () => {
    db = await startDynalite();
    records = new DynamoDbRecordStore({ client: db.client, tableName: db.tableName });
  });
  afterAll(async () => db?.close());

  const rawItem = async (pk: string, sk: string) =>
    (await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: { [TABLE_SCHEMA.partitionKey]: { S: pk }, [TABLE_SCHEMA.sortKey]: { S: sk } }, ConsistentRead: true }))).Item;

  test("list fills a page of large records although one Query returns at most 1 MB", async () => {
    const tenantId = aTenantId();
    const ids = ["a", "b", "c", "d", "e", "f", "g"];
    // ~250 KB each: a single Query stops after four of them.
    for (const recordId of ids) await records.put(aRecord({ tenantId, recordId, data: { blob: recordId.repeat(250_000) } }), 0);
    expect((await records.list(tenantId, { limit: 6 })).map((r) => r.recordId)).toEqual(ids.slice(0, 6));
    expect((await records.list(tenantId, { limit: 6, after: "b" })).map((r) => r.recordId)).toEqual(ids.slice(2));
  });

  test("records live under pk T#<tenant>, sk R#<record>, with data as a JSON string", async () => {
    const record = aRecord({ data: { n: 0.1 } });
    await records.put(record, 0);
    const item = await rawItem(`T#${record.tenantId}`, `R#${record.recordId}`);
    expect(item).toEqual(expect.objectContaining({ version: { N: "1" }, data: { S: '{"n":0.1}' } }));
  });

  test("idempotency and nonce items carry the TTL attribute in epoch seconds, so DynamoDB sweeps them", async () => {
    const tenantId = aTenantId();
    const idempotency = new DynamoDbIdempotencyStore({ client: db.client, tableName: db.tableName });
    const nonces = new DynamoDbNonceStore({ client: db.client, tableName: db.tableName });
    const claim = { claimId: "c1", fingerprint: "fp", leaseUntilMs: 1_780_000_030_000, expiresAtSec: 1_780_086_400 };
    await idempotency.claim(tenantId, "k1", claim, 1_780_000_000_000);
    expect((await rawItem(`I#${tenantId}#k1`, "I"))?.[TABLE_SCHEMA.ttlAttribute]).toEqual({ N: "1780086400" });
    await idempotency.complete(tenantId, "k1", claim, { status: 200, body: "" });
    expect(await rawItem(`I#${tenantId}#k1`, "I")).toEqual(expect.objectContaining({ state: { S: "completed" }, [TABLE_SCHEMA.ttlAttribute]: { N: "1780086400" } }));
    await nonces.claim(tenantId, "n-0123456789abcdef", 1_780_000_061, 1_780_000_000);
    expect((await rawItem(`N#${tenantId}#n-0123456789abcdef`, "N"))?.[TABLE_SCHEMA.ttlAttribute]).toEqual({ N: "1780000061" });
  });

  test("a completed outcome with an empty body reads back exactly", async () => {
    const tenantId = aTenantId();
    const idempotency = new DynamoDbIdempotencyStore({ client: db.client, tableName: db.tableName });
    const claim = { claimId: "c1", fingerprint: "fp", leaseUntilMs: 1_780_000_030_000, expiresAtSec: 1_780_086_400 };
    await idempotency.claim(tenantId, "k", claim, 1_780_000_000_000);
    await idempotency.complete(tenantId, "k", claim, { status: 204, body: "" });
    expect(await idempotency.claim(tenantId, "k", claim, 1_780_000_001_000)).toEqual({ kind: "completed", fingerprint: "fp", outcome: { status: 204, body: "" } });
  });
});
