import { HttpRequest, InvocationContext } from "@azure/functions";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { jsonLineLogger } from "../cells/core";
import { azureCellKeySource, createAzureCell, readAzureCellConfig } from "../cells/azure/composition";
import { functionsLogSink, withInvocationLog } from "../cells/azure/functions-log";
import { KeyVaultKeySource, keyVaultSecretClient } from "../cells/azure/key-vault-key-source";
import { problemCode } from "../contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { CosmosTenantStore } from "../cells/azure/cosmos-tenant-store";
import { aTenantId, anOwnership } from "./support/mothers";
import { signed } from "./support/signing";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const TOKEN = "a-managed-identity-token";

/**
 * Key Vault's "Get Secret" endpoint (`GET /secrets/{name}/{version}?api-version=7.x`) on loopback,
 * with the vault's challenge-based authentication: a request without a bearer token gets a 401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`,
 * a request with the token gets `{ value, id, attributes }`, an unknown secret a 404 `SecretNotFound`.
 * `failing` makes every authorized request a 500, as a throttled or broken vault would answer.
 */
interface FakeVault {
  readonly url: string;
  /** Every request: the secret name asked for and whether it carried the expected token. */
  readonly requests: Array<{ name: string; authorized: boolean; apiVersion: string | null }>;
  secrets: Record<string, string>;
  failing: boolean;
  close(): Promise<void>;
}

async function startFakeVault(secrets: Record<string, string>): Promise<FakeVault> {
  const vault = { requests: [] as FakeVault["requests"], secrets, failing: false };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://vault");
    const match = /^\/secrets\/([^/]+)\/?([^/]*)$/.exec(url.pathname);
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
    res.setHeader("content-type", "application/json");
    if (req.method !== "GET" || !match) {
      res.statusCode = 405;
      res.end(JSON.stringify({ error: { code: "BadParameter", message: "only Get Secret is served here" } }));
      return;
    }
    const name = decodeURIComponent(match[1]!);
    vault.requests.push({ name, authorized, apiVersion: url.searchParams.get("api-version") });
    if (!authorized) {
      res.statusCode = 401;
      res.setHeader("www-authenticate", `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`);
      res.end(JSON.stringify({ error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }));
      return;
    }
    if (vault.failing) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: { code: "InternalServerError", message: "the vault is having a bad day" } }));
      return;
    }
    const value = vault.secrets[name];
    if (value === undefined) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: "SecretNotFound", message: `A secret with (name/id) ${name} was not found in this key vault.` } }));
      return;
    }
    res.end(JSON.stringify({ value, id: `${vaultUrl()}secrets/${name}/0123456789abcdef`, attributes: { enabled: true, created: 1780000000, updated: 1780000000, recoveryLevel: "Recoverable" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const vaultUrl = () => `http://127.0.0.1:${port}/`;
  return Object.assign(vault, {
    url: vaultUrl(),
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}

/** A stand-in for the app's managed identity: records what it is asked for and hands out a fixed token. */
class StubCredential implements TokenCredential {
  readonly calls: Array<{ scopes: string[]; tenantId?: string }> = [];
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.calls.push({ scopes: Array.isArray(scopes) ? scopes : [scopes], tenantId: options?.tenantId });
    return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

describe("Key Vault key source (real SecretClient, loopback Key Vault, stub identity)", () => {
  const signingSecret = randomBytes(32).toString("hex");
  const adminSecret = randomBytes(32).toString("hex");
  const KEYS = [
    { keyId: "beta-v1", secretName: "signing-key" },
    { keyId: "beta-admin-v1", secretName: "admin-key" },
  ];
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault({});
  });
  afterAll(async () => vault?.close());
  beforeEach(() => {
    vault.requests.length = 0;
    vault.secrets = { "signing-key": signingSecret, "admin-key": adminSecret };
    vault.failing = false;
  });

  /**
   * The production client (`keyVaultSecretClient`) pointed at the loopback vault. Only the test needs
   * plain HTTP and a challenge from a host outside `*.vault.azure.net`; no retries, so a failure shows at once.
   */
  const client = (credential: TokenCredential) =>
    keyVaultSecretClient(vault.url, credential, { allowInsecureConnection: true, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });

  test("signs in with the identity for Key Vault's scope after the vault's challenge, then reads each secret once", async () => {
    const credential = new StubCredential();
    const keys = new KeyVaultKeySource({ client: client(credential), keys: KEYS });
    expect(await Promise.all([keys.secretFor("beta-v1"), keys.secretFor("beta-v1"), keys.secretFor("beta-admin-v1")])).toEqual([signingSecret, signingSecret, adminSecret]);
    expect(await keys.secretFor("beta-v1")).toBe(signingSecret);
    expect(await keys.secretFor("beta-admin-v1")).toBe(adminSecret);
    const served = vault.requests.filter((r) => r.authorized);
    expect(served.map((r) => r.name).sort()).toEqual(["admin-key", "signing-key"]);
    expect(served.every((r) => /^7\.\d$/.test(r.apiVersion ?? ""))).toBe(true);
    expect(credential.calls.length).toBeGreaterThan(0);
    expect(credential.calls.every((c) => c.scopes.join() === "https://vault.azure.net/.default" && c.tenantId === TENANT)).toBe(true);
  });

  test("an unknown key id is refused without a call to the vault", async () => {
    const keys = new KeyVaultKeySource({ client: client(new StubCredential()), keys: KEYS });
    expect(await keys.secretFor("beta-v2")).toBeUndefined();
    expect(await keys.secretFor("alpha-v1")).toBeUndefined();
    expect(vault.requests).toEqual([]);
  });

  test("a failed fetch is not cached: the next request reads the vault again", async () => {
    vault.failing = true;
    const keys = new KeyVaultKeySource({ client: client(new StubCredential()), keys: KEYS });
    await expect(keys.secretFor("beta-v1")).rejects.toThrow();
    vault.failing = false;
    expect(await keys.secretFor("beta-v1")).toBe(signingSecret);
    expect(await keys.secretFor("beta-v1")).toBe(signingSecret);
    expect(vault.requests.filter((r) => r.authorized && r.name === "signing-key")).toHaveLength(2);
  });

  test("a missing secret (or an empty one) is an error naming the secret, never a cached undefined", async () => {
    vault.secrets = { "signing-key": "" };
    const keys = new KeyVaultKeySource({ client: client(new StubCredential()), keys: KEYS });
    await expect(keys.secretFor("beta-admin-v1")).rejects.toThrow();
    await expect(keys.secretFor("beta-v1")).rejects.toThrow("Key Vault secret 'signing-key' has no value");
    vault.secrets = { "signing-key": signingSecret, "admin-key": adminSecret };
    expect(await keys.secretFor("beta-admin-v1")).toBe(adminSecret);
  });

  test("refuses two keys with one id", () => {
    expect(() => new KeyVaultKeySource({ client: client(new StubCredential()), keys: [KEYS[0]!, { keyId: "beta-v1", secretName: "admin-key" }] })).toThrow(/key id 'beta-v1' is configured twice/);
  });

  test("the composition root's key source reads the secrets its settings name, and nothing locally", async () => {
    const credential = new StubCredential();
    const cloud = readAzureCellConfig({
      CELL_ID: "beta",
      COSMOS_ENDPOINT: "https://cells-beta.documents.azure.com:443/",
      COSMOS_DATABASE: "cells",
      COSMOS_CONTAINER: "records",
      SIGNING_KEY_ID: "beta-v1",
      KEY_VAULT_URL: "https://kv-beta-123456.vault.azure.net/",
      SIGNING_SECRET_NAME: "signing-key",
      ADMIN_KEY_ID: "beta-admin-v1",
      ADMIN_SECRET_NAME: "admin-key",
    });
    const reader = jest.fn(() => client(credential));
    const keys = azureCellKeySource(cloud, reader);
    expect(await keys.secretFor("beta-admin-v1")).toBe(adminSecret);
    expect(await keys.secretFor("beta-v1")).toBe(signingSecret);
    expect(reader).toHaveBeenCalledTimes(1);

    const local = azureCellKeySource({ signingKeyId: "beta-v1", signingSecret: { kind: "env", secret: "local-signing-secret" } }, reader);
    expect(await local.secretFor("beta-v1")).toBe("local-signing-secret");
    expect(await local.secretFor("beta-admin-v1")).toBeUndefined();
    expect(reader).toHaveBeenCalledTimes(1);
  });

  describe("wired into a cell on cosmosdb-server", () => {
    let cosmos: CosmosEmulator;
    beforeAll(async () => {
      cosmos = await startCosmosEmulator();
    });
    afterAll(async () => cosmos?.close());
    // "cell composed" is logged before any invocation, so it goes to the console; keep the test output clean.
    let info: jest.SpyInstance;
    beforeEach(() => {
      info = jest.spyOn(console, "info").mockImplementation(() => {});
    });
    afterEach(() => info.mockRestore());

    const cellWith = (credential: TokenCredential) =>
      createAzureCell(
        {
          CELL_ID: "beta",
          COSMOS_ENDPOINT: cosmos.endpoint,
          COSMOS_DATABASE: cosmos.databaseId,
          COSMOS_CONTAINER: cosmos.containerId,
          COSMOS_KEY: cosmos.key,
          SIGNING_KEY_ID: "beta-v1",
          KEY_VAULT_URL: "https://kv-beta-123456.vault.azure.net/",
          SIGNING_SECRET_NAME: "signing-key",
          ADMIN_KEY_ID: "beta-admin-v1",
          ADMIN_SECRET_NAME: "admin-key",
        },
        { cosmosClientOptions: cosmos.clientOptions, secretReader: client(credential), logger: jsonLineLogger(functionsLogSink) },
      );

    const request = async (secret: string) => {
      const t = aTenantId("T");
      await new CosmosTenantStore(cosmos.container).setOwnership(anOwnership(t), undefined);
      const spec = await signed({ method: "GET", path: `/api/tenants/${t}/records` }, { tenantId: t, cellId: "beta", key: { keyId: "beta-v1", secret } });
      const logs: Array<[string, unknown[]]> = [];
      const context = new InvocationContext({ invocationId: "inv-kv", functionName: "cell", logHandler: (level, ...args) => void logs.push([level, args]) });
      const reply = await cellUnderTest!.handler(new HttpRequest({ method: spec.method, url: `https://beta.azurewebsites.net${spec.path}`, headers: { ...spec.headers } }), context);
      return { reply, logs };
    };
    let cellUnderTest: ReturnType<typeof cellWith> | undefined;
    afterEach(() => cellUnderTest?.close());

    test("verifies the router's signature with the signing secret read from Key Vault", async () => {
      cellUnderTest = cellWith(new StubCredential());
      expect((await request(signingSecret)).reply.status).toBe(200);
      expect((await request("not-the-secret-at-all-0123456789")).reply.status).toBe(401);
      expect(vault.requests.filter((r) => r.authorized).map((r) => r.name)).toEqual(["signing-key"]);
    });

    test("while the vault fails, requests get a 500 problem, the error is logged at error level on the invocation, and the cell recovers", async () => {
      vault.failing = true;
      cellUnderTest = cellWith(new StubCredential());
      const failed = await request(signingSecret);
      expect(failed.reply.status).toBe(500);
      expect(problemCode(JSON.parse(String(failed.reply.body)))).toBe("internal");
      expect(String(failed.reply.body)).not.toMatch(/vault|InternalServerError/);
      const errors = failed.logs.filter(([level]) => level === "error");
      expect(errors).toHaveLength(1);
      const [line] = errors[0]![1];
      expect(typeof line).toBe("string");
      expect(JSON.parse(line as string)).toMatchObject({ level: "error", msg: "request failed" });
      vault.failing = false;
      expect((await request(signingSecret)).reply.status).toBe(200);
    });
  });
});

describe("functionsLogSink", () => {
  test("inside an invocation, each entry is one JSON line on the context's method of its level", () => {
    const seen: Array<[string, unknown[]]> = [];
    const context = new InvocationContext({ invocationId: "inv-1", functionName: "cell", logHandler: (level, ...args) => void seen.push([level, args]) });
    withInvocationLog(context, () => {
      const logger = jsonLineLogger(functionsLogSink);
      logger.log({ level: "error", msg: "boom" });
      logger.log({ level: "warn", msg: "careful" });
      logger.log({ msg: "record.changed" });
    });
    expect(seen.map(([level, [line]]) => [level, JSON.parse(line as string).msg])).toEqual([
      ["error", "boom"],
      ["warning", "careful"],
      ["information", "record.changed"],
    ]);
  });

  test("outside an invocation, the entry goes to the console method of its level as a JSON line", () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => {});
    try {
      jsonLineLogger(functionsLogSink).log({ level: "error", msg: "no invocation" });
      expect(error).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(error.mock.calls[0]![0]))).toMatchObject({ level: "error", msg: "no invocation" });
    } finally {
      error.mockRestore();
    }
  });
});
