import { CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { MIN_SECRET_LENGTH, SettingsReader, createCellHandler, jsonLineLogger, logChangeFeed, staticKeySource, systemClock, type Clock, type Logger } from "../core";
import { AZURE_CELL_ENV } from "./config";
import { CosmosNonceStore } from "./cosmos-nonce-store";
import { CosmosTenantStore } from "./cosmos-tenant-store";
import { functionsHttpHandler, type AzureHttpHandler } from "./functions-http";

/** The app settings the Azure cell runs on, validated. Names are in `AZURE_CELL_ENV`. */
export interface AzureCellSettings {
  readonly cellId: string;
  /** `https://<account>.documents.azure.com:443/` in the cloud; `http(s)://127.0.0.1:<port>` locally. */
  readonly cosmosEndpoint: string;
  readonly cosmosDatabase: string;
  readonly cosmosContainer: string;
  readonly signingKeyId: string;
  readonly signingSecret: string;
  /** The admin key `cellctl` signs admin calls with; without one the admin API refuses every call. */
  readonly adminKeyId?: string;
  readonly adminSecret?: string;
  /** How long one Cosmos DB call may take, ms. */
  readonly storeTimeoutMs: number;
  /** Account key: local emulator only. Absent in the cloud, where the managed identity signs in. */
  readonly cosmosKey?: string;
}

/** App settings as the process sees them (`process.env` in the Functions host, a literal in tests). */
export type AzureCellEnv = Readonly<Record<string, string | undefined>>;

/** Thrown when the app settings cannot run a cell; the message names every setting that is missing or wrong. */
export class AzureCellConfigError extends Error {
  override readonly name = "AzureCellConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Azure cell configuration is invalid: ${problems.join("; ")}`);
  }
}

/** Default time budget of one Cosmos DB call, ms (the SDK's own default is a minute). */
export const DEFAULT_STORE_TIMEOUT_MS = 2_500;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** Characters Cosmos DB does not allow in database and container ids. */
const COSMOS_ID_PATTERN = /^[^/\\#?]{1,255}$/;
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/**
 * Reads and checks the settings, all of them before failing, so one deployment shows every mistake.
 * Secret values never appear in a message. An empty setting counts as missing (Terraform and the
 * portal both write empty strings for "unset").
 */
export function readAzureCellSettings(env: AzureCellEnv): AzureCellSettings {
  const settings = new SettingsReader(env);
  const { problems } = settings;
  const read = (name: string) => settings.read(name);
  const required = (name: string) => settings.required(name);

  const cellId = settings.cellId(AZURE_CELL_ENV.cellId);

  const cosmosEndpoint = required(AZURE_CELL_ENV.cosmosEndpoint);
  if (cosmosEndpoint) {
    const problem = checkEndpoint(cosmosEndpoint);
    if (problem) problems.push(`${AZURE_CELL_ENV.cosmosEndpoint} ${problem}, got '${cosmosEndpoint}'`);
  }

  const cosmosDatabase = required(AZURE_CELL_ENV.cosmosDatabase);
  const cosmosContainer = required(AZURE_CELL_ENV.cosmosContainer);
  for (const [name, value] of [[AZURE_CELL_ENV.cosmosDatabase, cosmosDatabase], [AZURE_CELL_ENV.cosmosContainer, cosmosContainer]] as const) {
    if (value && !COSMOS_ID_PATTERN.test(value)) problems.push(`${name} must be 1 to 255 characters without / \\ # ?, got '${value}'`);
  }

  const signingKeyId = settings.keyId(AZURE_CELL_ENV.signingKeyId);

  const signingSecret = required(AZURE_CELL_ENV.signingSecret);
  if (KEY_VAULT_REFERENCE.test(signingSecret)) {
    problems.push(
      `${AZURE_CELL_ENV.signingSecret} is a Key Vault reference the platform could not resolve; ` +
        "check that the secret exists and the app's managed identity may read it (Key Vault Secrets User)",
    );
  } else if (signingSecret && signingSecret.length < MIN_SECRET_LENGTH) {
    problems.push(`${AZURE_CELL_ENV.signingSecret} must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const adminKeyId = read(AZURE_CELL_ENV.adminKeyId) === undefined ? undefined : settings.keyId(AZURE_CELL_ENV.adminKeyId);
  const adminSecret = read(AZURE_CELL_ENV.adminSecret);
  if (adminKeyId !== undefined && adminSecret === undefined) problems.push(`${AZURE_CELL_ENV.adminKeyId} is set but ${AZURE_CELL_ENV.adminSecret} is not`);
  if (adminKeyId === undefined && adminSecret !== undefined) problems.push(`${AZURE_CELL_ENV.adminSecret} is set but ${AZURE_CELL_ENV.adminKeyId} is not`);
  if (adminSecret !== undefined && adminSecret.length < MIN_SECRET_LENGTH) problems.push(`${AZURE_CELL_ENV.adminSecret} must be at least ${MIN_SECRET_LENGTH} characters`);
  const storeTimeoutMs = settings.integer(AZURE_CELL_ENV.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 100, 60_000);

  if (problems.length > 0) throw new AzureCellConfigError(problems);
  const cosmosKey = read(AZURE_CELL_ENV.cosmosKey);
  return {
    cellId,
    cosmosEndpoint,
    cosmosDatabase,
    cosmosContainer,
    signingKeyId,
    signingSecret,
    storeTimeoutMs,
    ...(adminKeyId === undefined ? {} : { adminKeyId, adminSecret }),
    ...(cosmosKey === undefined ? {} : { cosmosKey }),
  };
}

/** What is wrong with a Cosmos DB endpoint, or undefined: HTTPS, or plain HTTP on loopback for a local emulator. */
function checkEndpoint(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) return "must use https (http only on loopback)";
  if (url.username || url.password || url.search || url.hash) return "must not carry credentials, a query or a fragment";
  return undefined;
}

/** Replaceable parts, for tests and the local sandbox. Production passes none. */
export interface AzureCellOverrides {
  /** The identity that signs in to Cosmos DB when no `COSMOS_KEY` is set. @default a system-assigned `ManagedIdentityCredential` */
  readonly credential?: TokenCredential;
  /**
   * Merged over the client options built from the settings. Tests and the sandbox use it for what only
   * an emulator needs: an `https.Agent` that trusts its self-signed certificate and
   * `connectionPolicy: { enableEndpointDiscovery: false }`.
   */
  readonly cosmosClientOptions?: Partial<CosmosClientOptions>;
  /** A ready client; the cell then neither builds nor disposes one. */
  readonly cosmosClient?: CosmosClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Cosmos DB client options from the settings: the account key when one is configured (the local
 * emulator), otherwise a token credential, because the cloud account has key auth disabled and the
 * Function App signs in with its managed identity. `ManagedIdentityCredential` rather than
 * `DefaultAzureCredential`: the app never runs anywhere else, and the chain's other members add
 * start-up probes and bundle weight for nothing.
 */
export function cosmosClientOptions(settings: AzureCellSettings, overrides: AzureCellOverrides = {}): CosmosClientOptions {
  const auth: Pick<CosmosClientOptions, "key" | "aadCredentials"> =
    settings.cosmosKey !== undefined ? { key: settings.cosmosKey } : { aadCredentials: overrides.credential ?? new ManagedIdentityCredential() };
  return {
    endpoint: settings.cosmosEndpoint,
    ...auth,
    userAgentSuffix: `cell-${settings.cellId}`,
    ...overrides.cosmosClientOptions,
    // Bounded calls: a frozen or unreachable store becomes a 503 in seconds, not a hung request.
    connectionPolicy: { ...overrides.cosmosClientOptions?.connectionPolicy, requestTimeout: settings.storeTimeoutMs },
  };
}

/** A composed Azure cell. */
export interface AzureCell {
  /** The Functions v4 handler that `function.ts` registers; the sandbox can host it directly. */
  readonly handler: AzureHttpHandler;
  /** The settings it runs on, secrets removed. */
  readonly settings: Omit<AzureCellSettings, "signingSecret" | "adminSecret" | "cosmosKey">;
  /** Closes the Cosmos DB client the cell built (not one passed in as an override). */
  dispose(): void;
}

/**
 * The Azure cell's composition root: reads the settings once, builds the Cosmos DB client and the
 * three stores on the cell's container, the key source, clock, logger and change feed, and wires
 * them into the core's handler behind the Functions v4 adapter. Throws `AzureCellConfigError` when a
 * setting is missing or invalid. No network call happens here; the first request opens connections.
 */
export function createAzureCell(env: AzureCellEnv, overrides: AzureCellOverrides = {}): AzureCell {
  const settings = readAzureCellSettings(env);
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? jsonLineLogger();
  const ownsClient = overrides.cosmosClient === undefined;
  const client = overrides.cosmosClient ?? new CosmosClient(cosmosClientOptions(settings, overrides));
  const container = client.database(settings.cosmosDatabase).container(settings.cosmosContainer);

  const { signingKeyId, signingSecret, adminKeyId, adminSecret } = settings;
  const keys = staticKeySource({ [signingKeyId]: signingSecret, ...(adminKeyId !== undefined && adminSecret !== undefined ? { [adminKeyId]: adminSecret } : {}) });

  const cell = createCellHandler({
    config: { cellId: settings.cellId, cloud: "azure", edgeKeyId: signingKeyId, adminKeyId },
    store: new CosmosTenantStore(container),
    nonces: new CosmosNonceStore(container),
    keys,
    clock,
    changes: logChangeFeed(logger),
    logger,
  });
  const { signingSecret: _secret, adminSecret: _admin, cosmosKey: _key, ...publicSettings } = settings;
  logger.log({ level: "info", msg: "cell composed", ...publicSettings, cloud: "azure", cosmosAuth: settings.cosmosKey === undefined ? "token" : "key" });
  return {
    handler: functionsHttpHandler(cell),
    settings: publicSettings,
    dispose: () => {
      if (ownsClient) client.dispose();
    },
  };
}
