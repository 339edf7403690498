import { DynamoDBStreamsClient, type _Record } from "@aws-sdk/client-dynamodb-streams";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { LAKE_STREAM_FILTER, OUTBOX_SORT_KEY_PREFIX } from "../cells/aws/config";
import { DynamoDbNonceStore } from "../cells/aws/dynamodb-nonce-store";
import { DynamoDbTenantStore, changeSortKey } from "../cells/aws/dynamodb-tenant-store";
import { AwsLakeConfigError, createAwsLakeHandler, lazyAwsLakeHandler, readAwsLakeConfig } from "../cells/aws/lake-consumer";
import { isOutboxInsert, outboxEntriesOf } from "../cells/aws/lake-stream";
import { S3LandingZone } from "../cells/aws/s3-landing-zone";
import { LAKE_CONTENT_TYPE, type LandingZone } from "../cells/core";
import type { ChangeEvent } from "../contract";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../sandbox/emulators/dynamodb-local";
import { DynamoDbStreamPump } from "../sandbox/lake/dynamodb-stream-pump";
import { openDynamoTable, type DynamoTable } from "./support/dynamodb";
import { aRecord, aTenantId, aTombstone, aWrite, anOutcome, anOwnership } from "./support/mothers";

/**
 * The AWS lake consumer on the real stream of a table on DynamoDB Local: the records the Streams API
 * returns have the shape Lambda hands the function, so the deployed handler runs on them as is.
 */

let table: DynamoTable;
let streams: DynamoDBStreamsClient;
let store: DynamoDbTenantStore;
const tenants = { a: aTenantId("lake-a"), b: aTenantId("lake-b") };
/** Every record of the table's stream, read once by a pump. */
let records: _Record[] = [];

const memoryZone = () => {
  const objects = new Map<string, string>();
  const zone: LandingZone = { put: async (key, body) => void objects.set(key, body) };
  return { zone, objects, events: () => [...objects.values()].flatMap((b) => b.trimEnd().split("\n").map((l) => JSON.parse(l) as ChangeEvent)) };
};
const silent = { log: () => undefined };
const lambdaEvent = (rs: readonly _Record[]): DynamoDBStreamEvent => ({ Records: rs as unknown as DynamoDBStreamEvent["Records"] });

beforeAll(async () => {
  table = await openDynamoTable("lake");
  streams = new DynamoDBStreamsClient({ region: LOCAL_REGION, endpoint: table.endpoint, credentials: LOCAL_CREDENTIALS });
  store = new DynamoDbTenantStore({ client: table.client, tableName: table.tableName });
  for (const tenantId of [tenants.a, tenants.b]) {
    await store.setOwnership(anOwnership(tenantId), undefined);
    const created = aRecord({ tenantId, recordId: "r1", data: { owner: tenantId } });
    await store.commit(aWrite(created, undefined, anOutcome({ key: `k-${tenantId}` })));
    const replaced = aRecord({ tenantId, recordId: "r1", version: 2, data: { owner: tenantId, v: 2 }, updatedAt: "2026-01-02T03:04:06.000Z" });
    await store.commit(aWrite(replaced, 1));
    await store.commit(aWrite(aTombstone(replaced), 2));
  }
  // Not outbox items: a nonce, and a purge's deletes come later in other tests.
  await new DynamoDbNonceStore({ client: table.client, tableName: table.tableName }).claim(tenants.a, "n-0123456789abcdef", 1_780_000_061, 1_780_000_000);
  const pump = new DynamoDbStreamPump({ client: streams, streamArn: table.streamArn, deliver: async (rs) => void records.push(...rs) });
  while ((await pump.tick()) === "busy");
});

afterAll(async () => {
  streams?.destroy();
  await table?.close();
});

describe("reading the stream", () => {
  test("the outbox's sort-key prefix is the one the store writes", () => {
    expect(changeSortKey({ committed_at: "2026-01-01T00:00:00.000Z", record_id: "r", version: 1 }).startsWith(OUTBOX_SORT_KEY_PREFIX)).toBe(true);
    expect(LAKE_STREAM_FILTER.dynamodb.Keys.sk.S[0].prefix).toBe(OUTBOX_SORT_KEY_PREFIX);
  });

  test("only new outbox items pass: records, ownership, keyed answers and nonces do not", () => {
    expect(records.length).toBeGreaterThan(6);
    const outbox = records.filter(isOutboxInsert);
    expect(outbox).toHaveLength(6);
    expect(outbox.every((r) => r.eventName === "INSERT" && r.dynamodb?.Keys?.sk?.S?.startsWith("C#"))).toBe(true);
  });

  test("each entry carries its partition's tenant and its event, in commit order per record", () => {
    const { entries, rejected } = outboxEntriesOf(records);
    expect(rejected).toEqual([]);
    const a = entries.filter((e) => e.partitionTenantId === tenants.a).map((e) => e.event as ChangeEvent);
    expect(a.map((e) => [e.tenant_id, e.version, e.kind])).toEqual([
      [tenants.a, 1, "created"],
      [tenants.a, 2, "replaced"],
      [tenants.a, 3, "deleted"],
    ]);
  });

  test("a REMOVE of an outbox item (TTL expiry, purge) is not a change", async () => {
    await store.purge(tenants.b, 100);
    const after: _Record[] = [];
    const pump = new DynamoDbStreamPump({ client: streams, streamArn: table.streamArn, deliver: async (rs) => void after.push(...rs) });
    while ((await pump.tick()) === "busy");
    const removes = after.filter((r) => r.eventName === "REMOVE" && r.dynamodb?.Keys?.sk?.S?.startsWith("C#"));
    expect(removes.length).toBe(3);
    expect(removes.some(isOutboxInsert)).toBe(false);
    expect(outboxEntriesOf(after).entries).toHaveLength(6);
  });

  test("an outbox item without a readable event is refused, not thrown", () => {
    const broken = { eventName: "INSERT", dynamodb: { Keys: { pk: { S: "T#x" }, sk: { S: "C#2026#r#1" } }, NewImage: { event: { S: "{not json" } } } };
    expect(outboxEntriesOf([broken])).toEqual({ entries: [], rejected: [{ reason: expect.stringMatching(/not JSON/), partitionTenantId: "x" }] });
  });
});

describe("the consumer Lambda", () => {
  test("lands each tenant's changes under cloud=aws/cell=<cell>/dt=, and nothing else", async () => {
    const zone = memoryZone();
    await createAwsLakeHandler({ cellId: "alpha", bucket: "b", region: "us-east-1" }, { zone: zone.zone, logger: silent })(lambdaEvent(records));
    expect([...zone.objects.keys()].every((k) => /^cloud=aws\/cell=alpha\/dt=2026-01-0[23]\/\d{8}T\d{9}Z-[0-9a-f]{16}\.jsonl$/.test(k))).toBe(true);
    expect(zone.events().map((e) => e.id).sort()).toEqual(
      [tenants.a, tenants.b].flatMap((t) => [1, 2, 3].map((v) => `${t}/r1/${v}`)).sort(),
    );
  });

  test("throws when a file cannot be written, so the event source mapping retries the batch", async () => {
    const zone: LandingZone = { put: async () => Promise.reject(new Error("SlowDown")) };
    await expect(createAwsLakeHandler({ cellId: "alpha", bucket: "b", region: "us-east-1" }, { zone, logger: silent })(lambdaEvent(records))).rejects.toThrow(/SlowDown/);
  });

  test("logs refused entries as errors, by id and reason, never their data", async () => {
    const logs: Array<Record<string, unknown>> = [];
    await createAwsLakeHandler({ cellId: "gamma", bucket: "b", region: "us-east-1" }, { zone: memoryZone().zone, logger: { log: (e) => void logs.push(e) } })(lambdaEvent(records));
    const refused = logs.filter((l) => l.msg === "lake.entry_refused");
    expect(refused).toHaveLength(6);
    expect(refused[0]).toEqual(expect.objectContaining({ level: "error", reason: expect.stringMatching(/not on this consumer's aws cell 'gamma'/), id: expect.any(String) }));
    expect(JSON.stringify(refused)).not.toContain("owner");
  });

  test("its configuration names every bad variable; a configuration error fails the batch (it is retried, not acknowledged)", async () => {
    expect(() => readAwsLakeConfig({ CELL_ID: "Alpha", LAKE_BUCKET: "No_Bucket" })).toThrow(AwsLakeConfigError);
    expect(() => readAwsLakeConfig({})).toThrow(/CELL_ID is not set; LAKE_BUCKET is not set; AWS_REGION is not set/);
    expect(readAwsLakeConfig({ CELL_ID: "alpha", LAKE_BUCKET: "cells-alpha-lake-123456789012-us-east-1", AWS_REGION: "us-east-1" })).toEqual({ cellId: "alpha", bucket: "cells-alpha-lake-123456789012-us-east-1", region: "us-east-1" });
    const logs: Array<Record<string, unknown>> = [];
    await expect(lazyAwsLakeHandler(() => ({}), { logger: { log: (e) => void logs.push(e) } })(lambdaEvent(records))).rejects.toThrow(/LAKE_BUCKET/);
    expect(logs).toEqual([expect.objectContaining({ level: "error", msg: "lake consumer could not start" })]);
  });

  test("the S3 landing zone puts NDJSON under the key, in the configured bucket, with no ACL", async () => {
    const sent: unknown[] = [];
    await new S3LandingZone({ client: { send: async (c: unknown) => void sent.push(c) } as never, bucket: "lake-bucket" }).put("cloud=aws/cell=alpha/dt=2026-01-02/x.jsonl", "{}\n");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(PutObjectCommand);
    expect((sent[0] as PutObjectCommand).input).toEqual({ Bucket: "lake-bucket", Key: "cloud=aws/cell=alpha/dt=2026-01-02/x.jsonl", Body: "{}\n", ContentType: LAKE_CONTENT_TYPE });
  });
});

describe("the stream pump (the sandbox's event source mapping)", () => {
  const outboxIds = (rs: readonly _Record[]) => outboxEntriesOf(rs).entries.map((e) => (e.event as ChangeEvent).id);

  test("a failed delivery is read again from the checkpoint; a delivered one is not", async () => {
    const seen: string[][] = [];
    let fail = true;
    const pump = new DynamoDbStreamPump({
      client: streams,
      streamArn: table.streamArn,
      batchSize: 4,
      deliver: async (rs) => {
        seen.push(outboxIds(rs));
        if (fail) {
          fail = false;
          throw new Error("landing zone down");
        }
      },
    });
    await expect(pump.tick()).rejects.toThrow(/landing zone down/);
    while ((await pump.tick()) === "busy");
    expect(seen[1]).toEqual(seen[0]);
    expect(seen.slice(1).flat().sort()).toEqual(outboxIds(records).sort());
  });

  test("an expired shard iterator is replaced after the checkpoint, without skipping or repeating records", async () => {
    let expireNext = false;
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        if (expireNext && command.constructor.name === "GetRecordsCommand") {
          expireNext = false;
          throw Object.assign(new Error("Iterator expired"), { name: "ExpiredIteratorException" });
        }
        return streams.send(command as never);
      },
    } as unknown as DynamoDBStreamsClient;
    const delivered: _Record[] = [];
    const pump = new DynamoDbStreamPump({ client, streamArn: table.streamArn, batchSize: 3, deliver: async (rs) => void delivered.push(...rs) });
    await pump.tick();
    const first = delivered.length;
    expireNext = true;
    while ((await pump.tick()) === "busy");
    expect(first).toBeGreaterThan(0);
    const sequence = delivered.map((r) => r.dynamodb?.SequenceNumber);
    expect(new Set(sequence).size).toBe(sequence.length);
    expect(outboxIds(delivered).sort()).toEqual(outboxIds(records).sort());
  });

  test("rewind reads the whole stream again (a consumer that lost its checkpoint: at least once)", async () => {
    const delivered: _Record[] = [];
    const pump = new DynamoDbStreamPump({ client: streams, streamArn: table.streamArn, deliver: async (rs) => void delivered.push(...rs) });
    while ((await pump.tick()) === "busy");
    const once = delivered.length;
    pump.rewind();
    while ((await pump.tick()) === "busy");
    expect(delivered.length).toBe(2 * once);
  });
});
