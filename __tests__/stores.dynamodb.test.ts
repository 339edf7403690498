import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { TABLE_SCHEMA } from "../cells/aws/config";
import { DynamoDbNonceStore } from "../cells/aws/dynamodb-nonce-store";
import { DynamoDbTenantStore } from "../cells/aws/dynamodb-tenant-store";
import { isOutboxInsert } from "../cells/aws/lake-stream";
import { describeStoreContract } from "./contracts/store.contract";
import { openDynamoTable, type DynamoTable } from "./support/dynamodb";
import { aRecord, aTenantId, aTombstone, aWrite, anOutcome, anOwnership } from "./support/mothers";

describeStoreContract("DynamoDB (DynamoDB Local)", async () => {
  const table = await openDynamoTable("contract");
  const options = { client: table.client, tableName: table.tableName };
  return {
    stores: { tenants: new DynamoDbTenantStore(options), nonces: new DynamoDbNonceStore(options) },
    close: () => table.close(),
  };
});

/** What the contract cannot see: DynamoDB's own limits and the table layout the deployed data lives in. */
describe("DynamoDB store adapter on DynamoDB Local", () => {
  let table: DynamoTable;
  let store: DynamoDbTenantStore;
  beforeAll(async () => {
    table = await openDynamoTable("layout");
    store = new DynamoDbTenantStore({ client: table.client, tableName: table.tableName });
  });
  afterAll(async () => table?.close());

  const rawItem = async (pk: string, sk: string) =>
    (await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { [TABLE_SCHEMA.partitionKey]: { S: pk }, [TABLE_SCHEMA.sortKey]: { S: sk } }, ConsistentRead: true }))).Item;

  const activeTenant = async () => {
    const tenantId = aTenantId();
    await store.setOwnership(anOwnership(tenantId), undefined);
    return tenantId;
  };

  test("list fills a page of large records although one Query returns at most 1 MB, skipping tombstones", async () => {
    const tenantId = await activeTenant();
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    // ~250 KB each: a single Query stops after four of them.
    for (const recordId of ids) await store.commit(aWrite(aRecord({ tenantId, recordId, data: { blob: recordId.repeat(250_000) } }), undefined));
    await store.commit(aWrite(aTombstone({ tenantId, recordId: "b", version: 1 }), 1));
    expect((await store.listItems(tenantId, { limit: 6 })).map((r) => r.recordId)).toEqual(["a", "c", "d", "e", "f", "g"]);
    expect((await store.listItems(tenantId, { limit: 6, after: "c" })).map((r) => r.recordId)).toEqual(["d", "e", "f", "g", "h"]);
  });

  test("a tenant's ownership, records and keyed answers share its partition; data is JSON text and answers carry the TTL", async () => {
    const tenantId = await activeTenant();
    await store.commit(aWrite(aRecord({ tenantId, data: { n: 0.1 } }), undefined, anOutcome({ key: "k1", expiresAtSec: 1_780_086_400 })));
    expect(await rawItem(`T#${tenantId}`, "O")).toEqual(expect.objectContaining({ state: { S: "active" }, [TABLE_SCHEMA.ownershipIndex.partitionKey]: { S: "O" } }));
    expect(await rawItem(`T#${tenantId}`, "R#rec-1")).toEqual(expect.objectContaining({ version: { N: "1" }, data: { S: '{"n":0.1}' } }));
    expect((await rawItem(`T#${tenantId}`, "I#k1"))?.[TABLE_SCHEMA.ttlAttribute]).toEqual({ N: "1780086400" });
  });

  test("nonce items live in their own partition with the TTL attribute and the claim's token", async () => {
    const nonces = new DynamoDbNonceStore({ client: table.client, tableName: table.tableName });
    const tenantId = aTenantId();
    await nonces.claim(tenantId, "n-0123456789abcdef", 1_780_000_061, 1_780_000_000);
    expect(await rawItem(`N#${tenantId}#n-0123456789abcdef`, "N")).toEqual(
      expect.objectContaining({ [TABLE_SCHEMA.ttlAttribute]: { N: "1780000061" }, token: { S: expect.stringMatching(/^[0-9a-f-]{36}$/) } }),
    );
  });

  test("the health probe has a partition of its own, outside the tenant list's index and the lake's stream filter", async () => {
    await store.writeProbe({ token: "t-1", writtenAt: "2026-01-02T03:04:05.000Z", expiresAtSec: 1_780_003_600 });
    const item = await rawItem("H#probe", "H");
    expect(item).toEqual(expect.objectContaining({ token: { S: "t-1" }, [TABLE_SCHEMA.ttlAttribute]: { N: "1780003600" } }));
    expect(item?.[TABLE_SCHEMA.ownershipIndex.partitionKey]).toBeUndefined();
    expect(isOutboxInsert({ eventName: "INSERT", dynamodb: { Keys: { [TABLE_SCHEMA.partitionKey]: { S: "H#probe" }, [TABLE_SCHEMA.sortKey]: { S: "H" } } } })).toBe(false);
  });

  test("an import larger than one transaction (100 items) lands whole", async () => {
    const tenantId = aTenantId();
    await store.setOwnership(anOwnership(tenantId, { state: "importing" }), undefined);
    const items = Array.from({ length: 250 }, (_, i) => aRecord({ tenantId, recordId: `r-${String(i).padStart(3, "0")}`, version: 1 + (i % 4) }));
    expect(await store.importItems(tenantId, items)).toEqual({ written: 250, skipped: 0 });
    expect(await store.listItems(tenantId, { limit: 300 })).toEqual(items);
  });
});
