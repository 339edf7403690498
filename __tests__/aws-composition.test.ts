import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AwsCellConfigError, awsCellKeySource, createAwsCell, lazyAwsCellHandler, readAwsCellConfig, type AwsCellEnv } from "../cells/aws/composition";
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
const ADMIN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cell-alpha-admin-GhIjKl";

/** A complete, valid environment as the `AwsCell` construct would set it (plus the region Lambda sets). */
const anEnv = (overrides: Record<string, string | undefined> = {}): AwsCellEnv => ({
  CELL_ID: "alpha",
  TABLE_NAME: "cell-alpha-records",
  SIGNING_KEY_ID: "alpha-v1",
  SIGNING_SECRET_ARN: SECRET_ARN,
  ADMIN_KEY_ID: "alpha-admin-v1",
  ADMIN_SECRET_ARN: ADMIN_SECRET_ARN,
  AWS_REGION: "eu-west-1",
  ...overrides,
});
/** The same cell with its secrets in the environment, as the local sandbox runs it. */
const aLocalEnv = (overrides: Record<string, string | undefined> = {}): AwsCellEnv =>
  anEnv({ SIGNING_SECRET_ARN: undefined, SIGNING_SECRET: "0123456789abcdef0123", ADMIN_SECRET_ARN: undefined, ADMIN_SECRET: "admin-0123456789abcdef", ...overrides });

describe("AWS cell configuration", () => {
  test("a complete environment reads into a typed configuration", () => {
    expect(readAwsCellConfig(anEnv())).toEqual({
      cellId: "alpha",
      tableName: "cell-alpha-records",
      region: "eu-west-1",
      signingKeyId: "alpha-v1",
      signingSecret: { kind: "secrets-manager", secretArn: SECRET_ARN },
      adminKey: { keyId: "alpha-admin-v1", secret: { kind: "secrets-manager", secretArn: ADMIN_SECRET_ARN } },
      storeTimeoutMs: 2500,
      dynamodbEndpoint: undefined,
    });
  });

  test("without any ADMIN_* variable the cell knows no admin key", () => {
    expect(readAwsCellConfig(anEnv({ ADMIN_KEY_ID: undefined, ADMIN_SECRET_ARN: undefined })).adminKey).toBeUndefined();
  });

  test("an admin key id without a secret, or a secret without an id, fails naming the missing variable", () => {
    expect(() => readAwsCellConfig(anEnv({ ADMIN_SECRET_ARN: undefined }))).toThrow(/neither ADMIN_SECRET_ARN .*nor ADMIN_SECRET .*is set/);
    expect(() => readAwsCellConfig(anEnv({ ADMIN_KEY_ID: undefined }))).toThrow(/ADMIN_KEY_ID is not set/);
  });

  test("the admin key id must differ from the signing key id", () => {
    expect(() => readAwsCellConfig(anEnv({ ADMIN_KEY_ID: "alpha-v1" }))).toThrow(/ADMIN_KEY_ID must differ from SIGNING_KEY_ID, both are 'alpha-v1'/);
  });

  test("the two keys live in the same place: an in-env admin secret beside a managed signing secret fails", () => {
    expect(() => readAwsCellConfig(anEnv({ ADMIN_SECRET_ARN: undefined, ADMIN_SECRET: "admin-0123456789abcdef" }))).toThrow(/keep both keys in Secrets Manager/);
  });

  test("a malformed ADMIN_SECRET_ARN or a short ADMIN_SECRET fails without echoing the secret", () => {
    expect(() => readAwsCellConfig(anEnv({ ADMIN_SECRET_ARN: "admin" }))).toThrow(/ADMIN_SECRET_ARN must be a Secrets Manager secret ARN/);
    const attempt = () => readAwsCellConfig(aLocalEnv({ ADMIN_SECRET: "short-one" }));
    expect(attempt).toThrow(/ADMIN_SECRET must be at least 16 characters/);
    expect(attempt).not.toThrow(/short-one/);
  });

  test("a local environment reads both secrets from the environment", () => {
    expect(readAwsCellConfig(aLocalEnv({ DYNAMODB_ENDPOINT: "http://127.0.0.1:8000" }))).toEqual(
      expect.objectContaining({
        signingSecret: { kind: "env", secret: "0123456789abcdef0123" },
        adminKey: { keyId: "alpha-admin-v1", secret: { kind: "env", secret: "admin-0123456789abcdef" } },
      }),
    );
  });

  test("a local environment uses the in-env secret and the endpoint override, with a default region", () => {
    const config = readAwsCellConfig(aLocalEnv({ DYNAMODB_ENDPOINT: "http://127.0.0.1:8000", AWS_REGION: undefined }));
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
    expect(() => readAwsCellConfig(anEnv({ ADMIN_SECRET: "admin-0123456789abcdef" }))).toThrow(/set only one of ADMIN_SECRET_ARN .*and ADMIN_SECRET/);
  });

  test("fails on a malformed SIGNING_SECRET_ARN, SIGNING_KEY_ID or DYNAMODB_ENDPOINT", () => {
    expect(() => readAwsCellConfig(anEnv({ SIGNING_SECRET_ARN: "cell-alpha-signing" }))).toThrow(/SIGNING_SECRET_ARN must be a Secrets Manager secret ARN/);
    expect(() => readAwsCellConfig(anEnv({ SIGNING_KEY_ID: "Alpha V1" }))).toThrow(/SIGNING_KEY_ID must match/);
    expect(() => readAwsCellConfig(anEnv({ DYNAMODB_ENDPOINT: "localhost:8000" }))).toThrow(/DYNAMODB_ENDPOINT must be an http\(s\) URL/);
  });

  test("a too-short SIGNING_SECRET is refused without echoing it", () => {
    const attempt = () => readAwsCellConfig(aLocalEnv({ SIGNING_SECRET: "hunter2" }));
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
    const readEnv = jest.fn(() => aLocalEnv({ DYNAMODB_ENDPOINT: "http://127.0.0.1:9" }));
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
  const adminSecret = randomBytes(32).toString("hex");
  const both = { [SECRET_ARN]: secret, [ADMIN_SECRET_ARN]: adminSecret };
  const KEYS = [
    { keyId: "alpha-v1", secretId: SECRET_ARN },
    { keyId: "alpha-admin-v1", secretId: ADMIN_SECRET_ARN },
  ];
  let sm: FakeSecretsManager;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    sm = await startFakeSecretsManager({ ...both });
    client = new SecretsManagerClient({ region: "us-east-1", endpoint: sm.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await sm?.close();
  });
  beforeEach(() => {
    sm.requests.length = 0;
    sm.secrets = { ...both };
  });

  test("fetches each key's secret once with GetSecretValue and serves it from cache after", async () => {
    const keys = new SecretsManagerKeySource({ client, keys: KEYS });
    expect(await Promise.all([keys.secretFor("alpha-v1"), keys.secretFor("alpha-v1"), keys.secretFor("alpha-admin-v1")])).toEqual([secret, secret, adminSecret]);
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(await keys.secretFor("alpha-admin-v1")).toBe(adminSecret);
    expect(sm.requests).toEqual([
      { target: "secretsmanager.GetSecretValue", secretId: SECRET_ARN },
      { target: "secretsmanager.GetSecretValue", secretId: ADMIN_SECRET_ARN },
    ]);
  });

  test("an unknown key id yields undefined without asking Secrets Manager", async () => {
    const keys = new SecretsManagerKeySource({ client, keys: KEYS });
    expect(await keys.secretFor("beta-v1")).toBeUndefined();
    expect(await keys.secretFor("alpha-admin-v2")).toBeUndefined();
    expect(sm.requests).toEqual([]);
  });

  test("a failed fetch is not cached: the next request tries again, and the other key is unaffected", async () => {
    sm.secrets = { [SECRET_ARN]: secret };
    const keys = new SecretsManagerKeySource({ client, keys: KEYS });
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    await expect(keys.secretFor("alpha-admin-v1")).rejects.toThrow();
    sm.secrets = { ...both };
    expect(await keys.secretFor("alpha-admin-v1")).toBe(adminSecret);
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(sm.requests.map((r) => r.secretId)).toEqual([SECRET_ARN, ADMIN_SECRET_ARN, ADMIN_SECRET_ARN]);
  });

  test("refuses two keys with one id", () => {
    expect(() => new SecretsManagerKeySource({ client, keys: [KEYS[0]!, { keyId: "alpha-v1", secretId: ADMIN_SECRET_ARN }] })).toThrow(/key id 'alpha-v1' is configured twice/);
  });

  test("the in-env key source knows exactly its key ids", async () => {
    const keys = staticKeySource({ "alpha-v1": secret, "alpha-admin-v1": adminSecret });
    expect(await keys.secretFor("alpha-v1")).toBe(secret);
    expect(await keys.secretFor("alpha-admin-v1")).toBe(adminSecret);
    expect(await keys.secretFor("alpha-v2")).toBeUndefined();
    expect(await keys.secretFor("constructor")).toBeUndefined();
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

    test("the composition root's key source answers for the signing and the admin key id, each from its own secret", async () => {
      const makeClient = jest.fn(() => client);
      const keys = awsCellKeySource(readAwsCellConfig(anEnv()), makeClient);
      expect(await keys.secretFor("alpha-admin-v1")).toBe(adminSecret);
      expect(await keys.secretFor("alpha-v1")).toBe(secret);
      expect(await keys.secretFor("alpha-v2")).toBeUndefined();
      expect(sm.requests.map((r) => r.secretId)).toEqual([ADMIN_SECRET_ARN, SECRET_ARN]);
      expect(makeClient).toHaveBeenCalledTimes(1);
    });

    test("locally the key source serves both in-env secrets and never builds a Secrets Manager client", async () => {
      const makeClient = jest.fn(() => client);
      const keys = awsCellKeySource(readAwsCellConfig(aLocalEnv({ DYNAMODB_ENDPOINT: "http://127.0.0.1:9" })), makeClient);
      expect(await keys.secretFor("alpha-v1")).toBe("0123456789abcdef0123");
      expect(await keys.secretFor("alpha-admin-v1")).toBe("admin-0123456789abcdef");
      expect(makeClient).not.toHaveBeenCalled();
      expect(sm.requests).toEqual([]);
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
