import { randomBytes } from "node:crypto";
import { apiGatewayHandler, toApiGatewayResult, toCellRequest } from "../cells/aws/api-gateway";
import { createAwsCell, type AwsCellRuntime } from "../cells/aws/composition";
import { DynamoDbTenantStore } from "../cells/aws/dynamodb-tenant-store";
import { Headers, PROBLEM_CONTENT_TYPE, type SigningKey } from "../contract";
import { describeCellHttpContract } from "./contracts/cell-http.contract";
import { apiGatewayEvent, type EventOptions } from "../sandbox/hosts/api-gateway-event";
import { apiGatewayReply } from "../sandbox/hosts/aws-cell-host";
import { openDynamoTable, type DynamoTable } from "./support/dynamodb";
import { aTenantId, anOwnership } from "./support/mothers";
import { signed, type RequestSpec } from "./support/signing";

const toCellReply = apiGatewayReply;

/** The real composition root on DynamoDB Local, configured through its environment like the deployed Lambda. */
async function startAwsCell(): Promise<{ db: DynamoTable; cell: AwsCellRuntime; key: SigningKey; adminKey: SigningKey; logs: Array<Record<string, unknown>> }> {
  const db = await openDynamoTable("http");
  const key = { keyId: "alpha-v1", secret: randomBytes(32).toString("hex") };
  const adminKey = { keyId: "alpha-admin-v1", secret: randomBytes(32).toString("hex") };
  const logs: Array<Record<string, unknown>> = [];
  const cell = createAwsCell(
    {
      CELL_ID: "alpha",
      TABLE_NAME: db.tableName,
      SIGNING_KEY_ID: key.keyId,
      SIGNING_SECRET: key.secret,
      ADMIN_KEY_ID: adminKey.keyId,
      ADMIN_SECRET: adminKey.secret,
      DYNAMODB_ENDPOINT: db.endpoint,
      AWS_REGION: "us-east-1",
    },
    { logger: { log: (entry) => void logs.push(entry) } },
  );
  return { db, cell, key, adminKey, logs };
}

describeCellHttpContract("AWS Lambda handler (API Gateway v2 events)", async () => {
  const { db, cell, key, adminKey } = await startAwsCell();
  return {
    cellId: "alpha",
    cloud: "aws",
    key,
    adminKey,
    send: async (spec) => toCellReply(await cell.handler(apiGatewayEvent(spec))),
    close: async () => {
      cell.close();
      await db.close();
    },
  };
});

describe("API Gateway v2 translation", () => {
  test("a base64-encoded body reaches the core as the exact bytes", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const request = toCellRequest(apiGatewayEvent({ method: "PUT", path: "/x", body: all, headers: { "content-type": "application/octet-stream" } }));
    expect(Buffer.from(request.body).equals(Buffer.from(all))).toBe(true);
  });

  test("a text body reaches the core as its UTF-8 bytes", () => {
    const text = JSON.stringify({ note: "héllo ✓ 🚀" });
    const event = apiGatewayEvent({ method: "PUT", path: "/x", body: text, headers: { "content-type": "application/json" } });
    expect(event.isBase64Encoded).toBe(false);
    expect(Buffer.from(toCellRequest(event).body).toString("utf8")).toBe(text);
  });

  test("no body is an empty body", () => {
    expect(toCellRequest(apiGatewayEvent({ method: "GET", path: "/healthz" })).body.byteLength).toBe(0);
  });

  test("method, raw path and raw query pass through untouched", () => {
    const request = toCellRequest(apiGatewayEvent({ method: "DELETE", path: "/api/tenants/T-1/records/a%2Eb", query: "b=2&a=%20x+y" }));
    expect({ method: request.method, path: request.path, query: request.query }).toEqual({ method: "DELETE", path: "/api/tenants/T-1/records/a%2Eb", query: "b=2&a=%20x+y" });
  });

  test("header names are lower-cased, same-name headers joined with commas, and cookies rejoined into one header", () => {
    const event = apiGatewayEvent({ method: "GET", path: "/x", headers: { "X-Request-Id": "r-1", Cookie: "a=1; b=2" } });
    const request = toCellRequest({ ...event, headers: { ...event.headers, "X-Multi": "one", "x-multi": "two" } });
    expect(request.headers).toEqual(expect.objectContaining({ "x-request-id": "r-1", "x-multi": "one,two", cookie: "a=1; b=2" }));
    expect(Object.keys(request.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  test("a core response becomes a structured result with the same status, headers and body", () => {
    const result = toApiGatewayResult({ status: 409, headers: { "content-type": PROBLEM_CONTENT_TYPE, "x-cell-id": "alpha" }, body: '{"status":409}' });
    expect(result).toEqual({ statusCode: 409, headers: { "content-type": PROBLEM_CONTENT_TYPE, "x-cell-id": "alpha" }, body: '{"status":409}', isBase64Encoded: false });
  });

  test("an error thrown past the core becomes a 500 problem without internals, and is logged", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const handler = apiGatewayHandler(async () => {
      throw new Error("secret internals at /var/task/index.js:1");
    }, { log: (entry) => void logs.push(entry) });
    const reply = toCellReply(await handler(apiGatewayEvent({ method: "GET", path: "/healthz" }, { requestId: "gw-req-1" })));
    expect(reply.status).toBe(500);
    expect(reply.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
    expect(JSON.parse(reply.body)).toEqual(expect.objectContaining({ status: 500, requestId: "gw-req-1" }));
    expect(reply.body).not.toContain("secret internals");
    expect(logs).toEqual([expect.objectContaining({ level: "error", requestId: "gw-req-1", error: expect.stringContaining("secret internals") })]);
  });
});

describe("AWS Lambda handler on DynamoDB Local: body encodings", () => {
  let started: Awaited<ReturnType<typeof startAwsCell>>;
  beforeAll(async () => {
    started = await startAwsCell();
  });
  afterAll(async () => {
    started?.cell.close();
    await started?.db.close();
  });

  const send = async (spec: RequestSpec, tenantId: string, options: EventOptions) =>
    toCellReply(await started.cell.handler(apiGatewayEvent(await signed(spec, { tenantId, cellId: "alpha", key: started.key }), options)));
  const activeTenant = async () => {
    const t = aTenantId("T");
    await new DynamoDbTenantStore({ client: started.db.client, tableName: started.db.tableName }).setOwnership(anOwnership(t), undefined);
    return t;
  };

  test.each([["text", "text"], ["base64", "base64"]] as const)("a signed JSON write delivered as %s is verified and stored", async (_label, bodyEncoding) => {
    const t = await activeTenant();
    const body = JSON.stringify({ data: { note: "ünïcode ✓", n: 0.1 } });
    const created = await send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body, headers: { "content-type": "application/json" } }, t, { bodyEncoding });
    expect(created.status).toBe(201);
    expect(created.headers[Headers.processedByCloud]).toBe("aws");
    const read = await send({ method: "GET", path: `/api/tenants/${t}/records/r1` }, t, {});
    expect(JSON.parse(read.body).data).toEqual({ note: "ünïcode ✓", n: 0.1 });
  });

  test("every change is logged as a structured record.changed line", async () => {
    const t = await activeTenant();
    await send({ method: "PUT", path: `/api/tenants/${t}/records/logged`, body: JSON.stringify({ data: {} }) }, t, {});
    expect(started.logs).toContainEqual(expect.objectContaining({ msg: "record.changed", tenant_id: t, record_id: "logged", version: 1, kind: "created", cell_id: "alpha", cloud: "aws" }));
  });
});
