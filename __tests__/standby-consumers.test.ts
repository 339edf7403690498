import { DynamoDBStreamsClient, type _Record } from "@aws-sdk/client-dynamodb-streams";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDbTenantStore } from "../cells/aws/dynamodb-tenant-store";
import { AwsStandbyConfigError, lazyAwsStandbyHandler, readAwsStandbyConfig } from "../cells/aws/standby-consumer";
import { AZURE_STANDBY_ENV } from "../cells/azure/config";
import { registerStandbyFunctions } from "../cells/azure/standby-trigger";
import { STANDBY_TIMING_ENV } from "../cells/core";
import { Headers, PATHS, pathOf, verifySignature, type ReplicationPush } from "../contract";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../sandbox/emulators/dynamodb-local";
import { DynamoDbStreamPump } from "../sandbox/lake/dynamodb-stream-pump";
import { openDynamoTable, type DynamoTable } from "./support/dynamodb";
import { aRecord, aTenantId, aWrite, anOwnership } from "./support/mothers";

/**
 * The deployed consumers' entry points: the AWS Lambda handler on the real stream records of a table
 * on DynamoDB Local (the fast path) and on the schedule's event (the sweep), pushing to a standby that
 * checks the link's signature; the Azure app registers its standby functions only when it replicates.
 */

const KEY = { keyId: "repl-0123456789abcdef", secret: "s".repeat(48) };
let table: DynamoTable;
let standby: Server;
let standbyUrl: string;
const pushes: Array<{ tenantId: string; push: ReplicationPush; signed: boolean }> = [];

beforeAll(async () => {
  table = await openDynamoTable("standby");
  standby = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const h = req.headers as Record<string, string>;
      const tenantId = h[Headers.tenantId]!;
      const signed = await verifySignature(KEY.secret, { method: "POST", path: req.url!, query: "", cellId: h[Headers.cellId]!, tenantId, timestamp: Number(h[Headers.timestamp]), nonce: h[Headers.nonce]!, body }, h[Headers.signature]!);
      const push = JSON.parse(Buffer.from(body).toString("utf8")) as ReplicationPush;
      pushes.push({ tenantId, push, signed: signed && req.url === pathOf(PATHS.replicationChanges, { tenantId }) && h[Headers.keyId] === KEY.keyId });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ applied: push.changes.length, skipped: 0, seeded: true, applied_through: push.sweep?.through ?? null }));
    });
  });
  await new Promise<void>((resolve) => standby.listen(0, "127.0.0.1", resolve));
  standbyUrl = `http://127.0.0.1:${(standby.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await table?.close();
  await new Promise((resolve) => standby?.close(resolve));
});

test("the AWS Lambda pushes stream records to the tenant's standby, sweeps on the schedule's event and renews the lease", async () => {
  const store = new DynamoDbTenantStore({ client: table.client, tableName: table.tableName });
  const linked = aTenantId("linked");
  const alone = aTenantId("alone");
  await store.setOwnership(anOwnership(linked, { standby: { cellId: "beta", url: standbyUrl, ...KEY, since: new Date().toISOString(), seeded: true } }), undefined);
  await store.setOwnership(anOwnership(alone), undefined);
  await store.commit(aWrite(aRecord({ tenantId: linked, recordId: "a", updatedAt: new Date().toISOString() }), undefined));
  await store.commit(aWrite(aRecord({ tenantId: alone, recordId: "b" }), undefined));

  const env = { CELL_ID: "alpha", TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, [STANDBY_TIMING_ENV.leaseMs]: "60000", [STANDBY_TIMING_ENV.guardMs]: "1000", [STANDBY_TIMING_ENV.scanMarginMs]: "60000" };
  const handler = lazyAwsStandbyHandler(() => env, { logger: { log: () => undefined } });
  const streams = new DynamoDBStreamsClient({ region: LOCAL_REGION, endpoint: table.endpoint, credentials: LOCAL_CREDENTIALS });
  const records: _Record[] = [];
  const pump = new DynamoDbStreamPump({ client: streams, streamArn: table.streamArn, deliver: async (rs) => void records.push(...rs) });
  while ((await pump.tick()) === "busy");
  streams.destroy();
  await handler({ Records: records });
  expect(pushes.map((p) => [p.tenantId, p.push.changes.map((c) => c.record_id), p.push.sweep === undefined, p.signed])).toEqual([[linked, ["a"], true, true]]);

  pushes.length = 0;
  const before = Date.now();
  await handler({ source: "aws.events", "detail-type": "Scheduled Event" });
  expect(pushes).toEqual([expect.objectContaining({ tenantId: linked, signed: true, push: expect.objectContaining({ from_cell: "alpha", epoch: 1, sweep: expect.objectContaining({ lease_ms: 60_000, guard_ms: 1000 }) }) })]);
  expect(pushes[0]!.push.changes.map((c) => c.record_id)).toEqual(["a"]);
  const renewed = await store.ownership(linked);
  expect(renewed?.leaseUntil).toBeGreaterThanOrEqual(before + 60_000);
  expect(renewed?.standby?.confirmedThrough).toEqual(pushes[0]!.push.sweep!.through);
});

test("the AWS consumer's configuration names every bad variable", () => {
  expect(() => readAwsStandbyConfig({ CELL_ID: "Alpha", [STANDBY_TIMING_ENV.leaseMs]: "soon" })).toThrow(AwsStandbyConfigError);
  expect(() => readAwsStandbyConfig({ CELL_ID: "Alpha", [STANDBY_TIMING_ENV.leaseMs]: "soon" })).toThrow(/CELL_ID must match .*; TABLE_NAME is not set; AWS_REGION is not set; STANDBY_LEASE_MS must be an integer from 500 to 3600000, got 'soon'/);
});

test("the Azure app registers its standby trigger and sweep only when it replicates", () => {
  expect(registerStandbyFunctions({})).toBe(false);
  expect(registerStandbyFunctions({ [AZURE_STANDBY_ENV.leaseContainer]: "standby-leases" })).toBe(true);
});
