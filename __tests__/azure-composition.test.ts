import * as functions from "@azure/functions";
import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { ManagedIdentityCredential, type AccessToken, type GetTokenOptions, type TokenCredential } from "@azure/identity";
import { randomBytes } from "node:crypto";
import { AZURE_CELL_ENV } from "../cells/azure/config";
import { AzureCellConfigError, cosmosClientOptions, createAzureCell, readAzureCellConfig, type AzureCellEnv } from "../cells/azure/composition";
import { problemCode, type SigningKey } from "../contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { CosmosTenantStore } from "../cells/azure/cosmos-tenant-store";
import { aTenantId, anOwnership } from "./support/mothers";
import { signed, type RequestSpec } from "./support/signing";

/** Object mother: a complete, valid set of app settings for cell "beta" (cloud shape: no COSMOS_KEY). */
const settings = (overrides: Record<string, string | undefined> = {}): AzureCellEnv => ({
  CELL_ID: "beta",
  COSMOS_ENDPOINT: "https://cells-beta.documents.azure.com:443/",
  COSMOS_DATABASE: "cells",
  COSMOS_CONTAINER: "records",
  SIGNING_KEY_ID: "beta-v1",
  SIGNING_SECRET: "a-signing-secret-of-enough-length",
  ...overrides,
});

/** The cloud shape the AzureCell construct writes: secrets named in Key Vault, never their values. */
const cloudSettings = (overrides: Record<string, string | undefined> = {}): AzureCellEnv =>
  settings({
    SIGNING_SECRET: undefined,
    KEY_VAULT_URL: "https://kv-beta-123456.vault.azure.net/",
    SIGNING_SECRET_NAME: "signing-key",
    ADMIN_KEY_ID: "beta-admin-v1",
    ADMIN_SECRET_NAME: "admin-key",
    ...overrides,
  });

const configError = (env: AzureCellEnv): AzureCellConfigError => {
  try {
    readAzureCellConfig(env);
  } catch (error) {
    if (error instanceof AzureCellConfigError) return error;
    throw error;
  }
  throw new Error("expected an AzureCellConfigError");
};

const quietLogger = { log: () => {} };

describe("Azure cell settings", () => {
  test("valid local settings are read as they are, and COSMOS_KEY, the admin key and KEY_VAULT_URL stay absent when not set", () => {
    expect(readAzureCellConfig(settings())).toEqual({
      cellId: "beta",
      cosmosEndpoint: "https://cells-beta.documents.azure.com:443/",
      cosmosDatabase: "cells",
      cosmosContainer: "records",
      signingKeyId: "beta-v1",
      signingSecret: { kind: "env", secret: "a-signing-secret-of-enough-length" },
      storeTimeoutMs: 2500,
    });
  });

  test("cloud settings (as the AzureCell construct writes them) name the vault and the two secrets, and hold no secret", () => {
    expect(readAzureCellConfig(cloudSettings())).toEqual({
      cellId: "beta",
      cosmosEndpoint: "https://cells-beta.documents.azure.com:443/",
      cosmosDatabase: "cells",
      cosmosContainer: "records",
      signingKeyId: "beta-v1",
      signingSecret: { kind: "key-vault", secretName: "signing-key" },
      adminKey: { keyId: "beta-admin-v1", secret: { kind: "key-vault", secretName: "admin-key" } },
      keyVaultUrl: "https://kv-beta-123456.vault.azure.net/",
      storeTimeoutMs: 2500,
    });
  });

  test("a Key Vault secret name without KEY_VAULT_URL, or a vault URL that is not https, fails naming the setting", () => {
    expect(configError(cloudSettings({ KEY_VAULT_URL: undefined })).problems).toEqual(["KEY_VAULT_URL is not set; the cell reads SIGNING_SECRET_NAME from that vault"]);
    expect(configError(cloudSettings({ KEY_VAULT_URL: "http://kv-beta.vault.azure.net/" })).problems).toEqual([
      "KEY_VAULT_URL must be an https URL like https://<vault>.vault.azure.net/, got 'http://kv-beta.vault.azure.net/'",
    ]);
  });

  test("both a secret name and an in-env secret for one key fail, so a plain secret cannot shadow the vault's", () => {
    expect(configError(cloudSettings({ SIGNING_SECRET: "a-signing-secret-of-enough-length" })).problems).toEqual([
      "set only one of SIGNING_SECRET_NAME (in the cloud) and SIGNING_SECRET (local sandbox and tests), not both",
    ]);
  });

  test("the admin key: id and secret together, an id unlike the signing key's, and its secret where the signing secret is", () => {
    expect(configError(cloudSettings({ ADMIN_SECRET_NAME: undefined })).problems).toEqual(["neither ADMIN_SECRET_NAME (in the cloud) nor ADMIN_SECRET (local sandbox and tests) is set"]);
    expect(configError(cloudSettings({ ADMIN_KEY_ID: undefined })).problems).toEqual(["ADMIN_KEY_ID is not set"]);
    expect(configError(cloudSettings({ ADMIN_KEY_ID: "beta-v1" })).problems).toEqual(["ADMIN_KEY_ID must differ from SIGNING_KEY_ID, both are 'beta-v1'"]);
    expect(configError(cloudSettings({ ADMIN_SECRET_NAME: undefined, ADMIN_SECRET: "an-admin-secret-long-enough" })).problems).toEqual([
      expect.stringMatching(/^keep both keys in Key Vault/),
    ]);
    expect(readAzureCellConfig(settings({ ADMIN_KEY_ID: "beta-admin-v1", ADMIN_SECRET: "an-admin-secret-long-enough" })).adminKey).toEqual({
      keyId: "beta-admin-v1",
      secret: { kind: "env", secret: "an-admin-secret-long-enough" },
    });
  });

  test("KEY_VAULT_URL without any secret read from the vault is a mistake worth naming", () => {
    expect(configError(settings({ KEY_VAULT_URL: "https://kv-beta.vault.azure.net/" })).problems).toEqual([
      "KEY_VAULT_URL is set but no secret is read from Key Vault; set SIGNING_SECRET_NAME",
    ]);
  });

  test("fails when COSMOS_ENDPOINT is missing, naming it", () => {
    expect(() => createAzureCell(settings({ COSMOS_ENDPOINT: undefined }), { logger: quietLogger })).toThrow(/COSMOS_ENDPOINT is not set/);
  });

  test("an empty setting counts as missing", () => {
    expect(configError(settings({ COSMOS_DATABASE: "" })).problems).toEqual(["COSMOS_DATABASE is not set"]);
  });

  test("fails when CELL_ID has upper-case letters, saying what is allowed and what it got", () => {
    expect(() => readAzureCellConfig(settings({ CELL_ID: "Alpha" }))).toThrow("CELL_ID must match /^[a-z][a-z0-9-]{1,20}$/, got 'Alpha'");
  });

  test("fails when SIGNING_SECRET and SIGNING_KEY_ID are missing, naming both at once", () => {
    expect(configError(settings({ SIGNING_SECRET: undefined, SIGNING_KEY_ID: undefined })).problems).toEqual([
      "SIGNING_KEY_ID is not set",
      "neither SIGNING_SECRET_NAME (in the cloud) nor SIGNING_SECRET (local sandbox and tests) is set",
    ]);
  });

  test("fails on an invalid SIGNING_KEY_ID", () => {
    expect(() => readAzureCellConfig(settings({ SIGNING_KEY_ID: "Beta V1" }))).toThrow(/SIGNING_KEY_ID must match .*, got 'Beta V1'/);
  });

  test("fails on a Key Vault reference the platform left unresolved, without echoing it", () => {
    const reference = "@Microsoft.KeyVault(SecretUri=https://kv-beta.vault.azure.net/secrets/signing/)";
    const error = configError(settings({ SIGNING_SECRET: reference }));
    expect(error.message).toMatch(/SIGNING_SECRET is a Key Vault reference the platform could not resolve; set KEY_VAULT_URL and SIGNING_SECRET_NAME instead/);
    expect(error.message).not.toContain("kv-beta");
  });

  test("fails on a short signing secret without putting the secret in the message", () => {
    const error = configError(settings({ SIGNING_SECRET: "s3cr3t!" }));
    expect(error.problems).toEqual(["SIGNING_SECRET must be at least 16 characters"]);
    expect(error.message).not.toContain("s3cr3t!");
  });

  test.each([
    ["not a URL", "cosmos-beta"],
    ["plain http off loopback", "http://cells-beta.documents.azure.com/"],
    ["credentials in the URL", "https://user:pw@cells-beta.documents.azure.com/"],
  ])("fails on a COSMOS_ENDPOINT that is %s", (_label, endpoint) => {
    expect(() => readAzureCellConfig(settings({ COSMOS_ENDPOINT: endpoint }))).toThrow(/COSMOS_ENDPOINT must/);
  });

  test("accepts plain http on loopback, for a local emulator", () => {
    expect(readAzureCellConfig(settings({ COSMOS_ENDPOINT: "http://127.0.0.1:8081" })).cosmosEndpoint).toBe("http://127.0.0.1:8081");
  });

  test("reports every problem in one error", () => {
    const error = configError({ CELL_ID: "Alpha" });
    expect(error.problems).toEqual([
      "CELL_ID must match /^[a-z][a-z0-9-]{1,20}$/, got 'Alpha'",
      "COSMOS_ENDPOINT is not set",
      "COSMOS_DATABASE is not set",
      "COSMOS_CONTAINER is not set",
      "SIGNING_KEY_ID is not set",
      "neither SIGNING_SECRET_NAME (in the cloud) nor SIGNING_SECRET (local sandbox and tests) is set",
    ]);
  });
});

describe("Cosmos DB authentication", () => {
  test("without COSMOS_KEY the client signs in with a managed identity, not a key", () => {
    const options = cosmosClientOptions(readAzureCellConfig(settings()));
    expect(options.key).toBeUndefined();
    expect(options.aadCredentials).toBeInstanceOf(ManagedIdentityCredential);
  });

  test("with COSMOS_KEY (the local emulator) the client uses the key and no token credential", () => {
    const options = cosmosClientOptions(readAzureCellConfig(settings({ COSMOS_KEY: "emulator-key" })));
    expect(options.key).toBe("emulator-key");
    expect(options.aadCredentials).toBeUndefined();
  });

  describe("against the emulator", () => {
    let emulator: CosmosEmulator;
    beforeAll(async () => {
      emulator = await startCosmosEmulator();
    });
    afterAll(async () => emulator?.close());

    /** Records the scopes it is asked for and hands out a fake token (the emulator checks none). */
    class RecordingCredential implements TokenCredential {
      readonly scopes: string[] = [];
      async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
        this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
        return { token: "fake-aad-token", expiresOnTimestamp: Date.now() + 3_600_000 };
      }
    }

    async function writeOneRecord(env: Record<string, string | undefined>, credential: TokenCredential): Promise<number> {
      const key: SigningKey = { keyId: "beta-v1", secret: randomBytes(32).toString("hex") };
      const cell = createAzureCell(
        { ...env, COSMOS_ENDPOINT: emulator.endpoint, COSMOS_DATABASE: emulator.databaseId, COSMOS_CONTAINER: emulator.containerId, SIGNING_KEY_ID: key.keyId, SIGNING_SECRET: key.secret },
        { credential, cosmosClientOptions: emulator.clientOptions, logger: quietLogger },
      );
      try {
        const t = aTenantId("T");
        await new CosmosTenantStore(emulator.container).setOwnership(anOwnership(t), undefined);
        const spec = await signed({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: { n: 1 } }) }, { tenantId: t, cellId: "beta", key });
        const response = await cell.handler(toHttpRequest(spec), new InvocationContext({ functionName: "cell", logHandler: () => {} }));
        return response.status ?? 200;
      } finally {
        cell.close();
      }
    }

    test("without COSMOS_KEY every Cosmos DB call carries a token for the account's scope", async () => {
      const credential = new RecordingCredential();
      expect(await writeOneRecord({ CELL_ID: "beta" }, credential)).toBe(201);
      expect(credential.scopes.length).toBeGreaterThan(0);
      expect(new Set(credential.scopes)).toEqual(new Set([`${emulator.endpoint}/.default`]));
    });

    test("with COSMOS_KEY no token is ever requested", async () => {
      const credential = new RecordingCredential();
      expect(await writeOneRecord({ CELL_ID: "beta", COSMOS_KEY: emulator.key }, credential)).toBe(201);
      expect(credential.scopes).toEqual([]);
    });
  });
});

function toHttpRequest(spec: RequestSpec, host = "https://beta-cell.azurewebsites.net"): HttpRequest {
  const body = spec.body === undefined ? undefined : typeof spec.body === "string" ? { string: spec.body } : { bytes: spec.body };
  return new HttpRequest({ method: spec.method, url: `${host}${spec.path}${spec.query ? `?${spec.query}` : ""}`, headers: { ...spec.headers }, body });
}

describe("function.ts (the Functions entry point)", () => {
  let http: jest.SpyInstance;
  let entry: typeof import("../cells/azure/function");
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    // Outside the Functions host `app.http` would only log that it skips registration: intercept it.
    http = jest.spyOn(functions.app, "http").mockImplementation(() => {});
    entry = require("../cells/azure/function");
    for (const name of Object.values(AZURE_CELL_ENV)) saved[name] = process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(() => http.mockRestore());

  test("registers one anonymous catch-all HTTP function for every method the API answers", () => {
    expect(http).toHaveBeenCalledTimes(1);
    const [name, options] = http.mock.calls[0] as [string, functions.HttpFunctionOptions];
    expect(name).toBe("cell");
    expect(options.route).toBe("{*path}");
    expect(options.authLevel).toBe("anonymous");
    expect([...(options.methods ?? [])].sort()).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
    expect(options.handler).toBe(entry.handler);
  });

  const call = async (path: string): Promise<{ reply: HttpResponseInit; logs: unknown[][] }> => {
    const logs: unknown[][] = [];
    const context = new InvocationContext({ invocationId: "inv-1", functionName: "cell", logHandler: (level, ...args) => void logs.push([level, ...args]) });
    const reply = await entry.handler(new HttpRequest({ method: "GET", url: `https://beta-cell.azurewebsites.net${path}` }), context);
    return { reply, logs };
  };

  test("with settings missing, answers a 500 problem without details and logs which setting is missing", async () => {
    for (const name of Object.values(AZURE_CELL_ENV)) delete process.env[name];
    const { reply, logs } = await call("/healthz");
    expect(reply.status).toBe(500);
    expect(problemCode(JSON.parse(String(reply.body)))).toBe("internal");
    expect(String(reply.body)).not.toMatch(/CELL_ID|COSMOS/);
    expect(JSON.stringify(logs)).toContain("CELL_ID is not set");
  });

  test("composes the cell from process.env on first use, after a failed attempt too, and serves /healthz", async () => {
    Object.assign(process.env, settings({ CELL_ID: "gamma", COSMOS_KEY: "an-emulator-key" }));
    const stdout = jest.spyOn(console, "info").mockImplementation(() => {});
    try {
      const { reply } = await call("/healthz");
      expect(reply.status).toBe(200);
      expect(JSON.parse(String(reply.body))).toEqual({ status: "ok", cell_id: "gamma", cloud: "azure" });
      // Composition runs before the invocation's log is in scope: the default logger writes a JSON
      // line to the console at the entry's level. The composition is logged, its secrets are not.
      const lines = stdout.mock.calls.map(([line]) => String(line));
      expect(lines.some((line) => JSON.parse(line).msg === "cell composed")).toBe(true);
      expect(lines.join("\n")).not.toMatch(/a-signing-secret-of-enough-length|an-emulator-key/);
    } finally {
      stdout.mockRestore();
    }
  });
});
