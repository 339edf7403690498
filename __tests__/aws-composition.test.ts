import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AwsCellConfigError, createAwsCell, lazyAwsCellHandler, readAwsCellConfig, type AwsCellEnv } from "../cells/aws/composition";
import { DynamoDbTenantStore } from "../cells/aws/dynamodb-tenant-store";
import { SecretsManagerKeySource } from "../cells/aws/secrets-key-source";
import { staticKeySource } from "../cells/core";
import { PROBLEM_CONTENT_TYPE, problemCode } from "../contract";
import { apiGatewayEvent } from "../sandbox/hosts/api-gateway-event";
import { LOCAL_CREDENTIALS } from "../sandbox/emulators/dynamodb-local";
import { openDynamoTable, type DynamoTable } from "./support/dynamodb";
import { aTenantId, anOwnership } from "./support/mothers";
import { signed } from "./support/signing";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cell-alpha-signing-AbCdEf";

/** A complete, valid environment as the `AwsCell` construct would set it (plus the region Lambda sets). */
const anEnv = (overrides: Record<string, string | undefined> = {}): AwsCellEnv => ({
  CELL_ID: "alpha",
  TABLE_NAME: "cell-alpha-records",
  SIGNING_KEY_ID: "alpha-v1",
  SIGNING_SECRET_ARN: SECRET_ARN,
  AWS_REGION: "eu-west-1",
  ...overrides,
});

describe("AWS cell configuration", () => {
  test("a complete environment reads into a typed configuration", () => {
    expect(readAwsCellConfig(anEnv())).toEqual({
      cellId: "alpha",
      tableName: "cell-alpha-records",
      region: "eu-west-1",
      signingKeyId: "alpha-v1",
      signingSecret: { kind: "secrets-manager", secretArn: SECRET_ARN },
      adminKeyId: undefined,
      adminSecret: undefined,
      storeTimeoutMs: 2500,
      dynamodbEndpoint: undefined,
    });
  });

  test("a local environment uses the in-env secret and the endpoint override, with a default region", () => {
    const config = readAwsCellConfig(anEnv({ SIGNING_SECRET_ARN: undefined, SIGNING_SECRET: "0123456789abcdef0123", DYNAMODB_ENDPOINT: "http://127.0.0.1:8000", AWS_REGION: undefined }));
    expect(config).toEqual(expect.objectContaining({ signingSecret: { kind: "env", secret: "0123456789abcdef0123" }, dynamodbEndpoint: "http://127.0.0.1:8000", region: "us-east-1" }));
  });

  test("fails when TABLE_NAME is missing (or empty)", () => {
    expect(() => readAwsCellConfig(anEnv({ TABLE_NAME: undefined }))).toThrow(/TABLE_NAME is not set/);
    expect(() => readAwsCellConfig(anEnv({ TABLE_NAME: "" }))).toThrow(/TABLE_NAME is not set/);
  });

  test("fails when CELL_ID does not match the cell id pattern", () => {
    expect(() => readAwsCellConfig(anEnv({ CELL_ID: "Alpha" }))).toThrow(/CELL_ID must match .*got 'Alpha'/);
  });

  test("fails when neither SIGNING_SECRET_ARN nor SIGNING_SECRET is set", () => {
    expect(() => readAwsCellConfig(anEnv({ SIGNING_SECRET_ARN: undefined }))).toThrow(/neither SIGNING_SECRET_ARN .*nor SIGNING_SECRET .*is set/);
  });

  test("fails when both SIGNING_SECRET_ARN and SIGNING_SECRET are set, so a plain secret cannot shadow the managed one", () => {
    expect(() => readAwsCellConfig(anEnv({ SIGNING_SECRET: "0123456789abcdef0123" }))).toThrow(/set only one of SIGNING_SECRET_ARN .*and SIGNING_SECRET/);
  });

  test("fails on a malformed SIGNING_SECRET_ARN, SIGNING_KEY_ID or DYNAMODB_ENDPOINT", () => {
    expect(() => readAwsCellConfig(anEnv({ SIGNING_SECRET_ARN: "cell-alpha-signing" }))).toThrow(/SIGNING_SECRET_ARN must be a Secrets Manager secret ARN/);
    expect(() => readAwsCellConfig(anEnv({ SIGNING_KEY_ID: "Alpha V1" }))).toThrow(/SIGNING_KEY_ID must match/);
    expect(() => readAwsCellConfig(anEnv({ DYNAMODB_ENDPOINT: "localhost:8000" }))).toThrow(/DYNAMODB_ENDPOINT must be an http\(s\) URL/);
  });

  test("a too-short SIGNING_SECRET is refused without echoing it", () => {
    const attempt = () => readAwsCellConfig(anEnv({ SIGNING_SECRET_ARN: undefined, SIGNING_SECRET: "hunter2" }));
    expect(attempt).toThrow(/SIGNING_SECRET must be at least 16 characters/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  test("fails without AWS_REGION outside a local endpoint", () => {
    expect(() => readAwsCellConfig(anEnv({ AWS_REGION: undefined }))).toThrow(/AWS_REGION is not set/);
  });

  test("lists every problem at once, as an AwsCellConfigError", () => {
    let error: unknown;
    try {
      readAwsCellConfig({ CELL_ID: "Alpha" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AwsCellConfigError);
    for (const name of ["CELL_ID", "TABLE_NAME", "SIGNING_KEY_ID", "SIGNING_SECRET_ARN", "AWS_REGION"]) expect((error as Error).message).toContain(name);
  });

  test("createAwsCell refuses an invalid environment before building anything", () => {
    expect(() => createAwsCell(anEnv({ TABLE_NAME: undefined }))).toThrow(AwsCellConfigError);
  });
});

describe("lazy Lambda handler", () => {
  test("an invalid environment answers a 500 problem without internals and logs the variable to fix", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const handler = lazyAwsCellHandler(() => anEnv({ TABLE_NAME: undefined }), { logger: { log: (entry) => void logs.push(entry) } });
    const result = await handler(apiGatewayEvent({ method: "GET", path: "/healthz" }, { requestId: "gw-1" }));
    expect(result.statusCode).toBe(500);
    expect(result.headers?.["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
    expect(problemCode(JSON.parse(result.body ?? ""))).toBe("internal");
    expect(result.body).not.toContain("TABLE_NAME");
    expect(logs).toEqual([expect.objectContaining({ level: "error", requestId: "gw-1", error: expect.stringContaining("TABLE_NAME is not set") })]);
  });

  test("builds the cell once and reuses it across invocations", async () => {
    const readEnv = jest.fn(() => anEnv({ SIGNING_SECRET_ARN: undefined, SIGNING_SECRET: "0123456789abcdef0123", DYNAMODB_ENDPOINT: "http://127.0.0.1:9" }));
    const handler = lazyAwsCellHandler(readEnv, { logger: { log: () => {} } });
    for (let i = 0; i < 3; i++) {
      const result = await handler(apiGatewayEvent({ method: "GET", path: "/healthz" }));
      expect({ status: result.statusCode, body: JSON.parse(result.body ?? "") }).toEqual({ status: 200, body: { status: "ok", cell_id: "alpha", cloud: "aws" } });
    }
    expect(readEnv).toHaveBeenCalledTimes(1);
  });
});

/**
 * A stand-in for Secrets Manager on loopback that speaks its JSON 1.1 protocol: `POST /` with
 * `X-Amz-Target: secretsmanager.GetSecretValue` and `{"SecretId": ...}`; it answers
 * `{"SecretString": ...}` for a known id and a `ResourceNotFoundException` (400) otherwise.
 */
interface FakeSecretsManager {
  readonly endpoint: string;
  /** Every GetSecretValue request body received, in order. */
  readonly requests: Array<{ target: string | undefined; secretId: unknown }>;
  secrets: Record<string, string>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function startFakeSecretsManager(secrets: Record<string, string>): Promise<FakeSecretsManager> {
  const fake = { requests: [] as FakeSecretsManager["requests"], secrets };
  const server: Server = createServer(async (req, res) => {
    const target = req.headers["x-amz-target"] as string | undefined;
    const input = JSON.parse((await readBody(req)) || "{}") as { SecretId?: string };
    fake.requests.push({ target, secretId: input.SecretId });
    res.setHeader("content-type", "application/x-amz-json-1.1");
    const value = input.SecretId === undefined ? undefined : fake.secrets[input.SecretId];
    if (target !== "secretsmanager.GetSecretValue" || value === undefined) {
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }));
      return;
    }
    res.end(JSON.stringify({ ARN: input.SecretId, Name: "cell-alpha-signing", SecretString: value, VersionId: "v-1", VersionStages: ["AWSCURRENT"], CreatedDate: 1780000000 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}

describe("Secrets Manager key source (real SDK, loopback Secrets Manager)", () => {
  const secret = randomBytes(32).toString("hex");
  let sm: FakeSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    sm = await startFakeSecretsManager({ [SECRET_ARN]: secret });
    client = new SecretsManagerClient({ region: "us-east-1", endpoint: sm.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await sm?.close();
  });
  beforeEach(() => {
    sm.requests.length = 0;
    sm.secrets = { [SECRET_ARN]: secret };
  });

  test("fetches the secret once with GetSecretValue and serves it from cache after", async () => {
    const keys = new SecretsManagerKeySource({ client, secretId: SECRET_ARN, keyId: "alpha-v1" });
    expect(await Promise.all([keys.secretFor("alpha-v1"), keys.secretFor("alpha-v1")])).toEqual([secret, secret]);
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(sm.requests).toEqual([{ target: "secretsmanager.GetSecretValue", secretId: SECRET_ARN }]);
  });

  test("an unknown key id yields undefined without asking Secrets Manager", async () => {
    const keys = new SecretsManagerKeySource({ client, secretId: SECRET_ARN, keyId: "alpha-v1" });
    expect(await keys.secretFor("beta-v1")).toBeUndefined();
    expect(sm.requests).toEqual([]);
  });

  test("a failed fetch is not cached: the next request tries again", async () => {
    sm.secrets = {};
    const keys = new SecretsManagerKeySource({ client, secretId: SECRET_ARN, keyId: "alpha-v1" });
    await expect(keys.secretFor("alpha-v1")).rejects.toThrow();
    sm.secrets = { [SECRET_ARN]: secret };
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(sm.requests).toHaveLength(2);
  });

  test("the in-env key source knows only its own key id", async () => {
    const keys = staticKeySource({ "alpha-v1": secret });
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(await keys.secretFor("alpha-v2")).toBeUndefined();
  });

  describe("wired by the composition root", () => {
    let db: DynamoTable;
    beforeAll(async () => {
      db = await openDynamoTable("composition");
    });
    afterAll(async () => db?.close());
    const activeTenant = async () => {
      const t = aTenantId("T");
      await new DynamoDbTenantStore({ client: db.client, tableName: db.tableName }).setOwnership(anOwnership(t), undefined);
      return t;
    };

    test("a cell configured with SIGNING_SECRET_ARN verifies requests with the Secrets Manager secret, fetched once", async () => {
      const cell = createAwsCell(anEnv({ TABLE_NAME: db.tableName, DYNAMODB_ENDPOINT: db.endpoint }), { secretsManager: client, logger: { log: () => {} } });
      try {
        const t = await activeTenant();
        for (let i = 0; i < 2; i++) {
          const spec = await signed({ method: "GET", path: `/api/tenants/${t}/records` }, { tenantId: t, cellId: "alpha", key: { keyId: "alpha-v1", secret } });
          const result = await cell.handler(apiGatewayEvent(spec));
          expect({ status: result.statusCode, body: JSON.parse(result.body ?? "") }).toEqual({ status: 200, body: { records: [], next_cursor: null } });
        }
        const forged = await signed({ method: "GET", path: `/api/tenants/${t}/records` }, { tenantId: t, cellId: "alpha", key: { keyId: "alpha-v1", secret: "some-other-secret-value" } });
        expect((await cell.handler(apiGatewayEvent(forged))).statusCode).toBe(401);
        expect(sm.requests).toEqual([{ target: "secretsmanager.GetSecretValue", secretId: SECRET_ARN }]);
      } finally {
        cell.close();
      }
    });

    test("when Secrets Manager fails, signed requests get a 500 problem and the cell recovers once it answers", async () => {
      sm.secrets = {};
      const cell = createAwsCell(anEnv({ TABLE_NAME: db.tableName, DYNAMODB_ENDPOINT: db.endpoint }), { secretsManager: client, logger: { log: () => {} } });
      try {
        const t = await activeTenant();
        const request = async () =>
          cell.handler(apiGatewayEvent(await signed({ method: "GET", path: `/api/tenants/${t}/records` }, { tenantId: t, cellId: "alpha", key: { keyId: "alpha-v1", secret } })));
        const failed = await request();
        expect({ status: failed.statusCode, code: problemCode(JSON.parse(failed.body ?? "")) }).toEqual({ status: 500, code: "internal" });
        expect(failed.body).not.toMatch(/ResourceNotFound|secretsmanager|\n\s+at /);
        sm.secrets = { [SECRET_ARN]: secret };
        expect((await request()).statusCode).toBe(200);
      } finally {
        cell.close();
      }
    });
  });
});
