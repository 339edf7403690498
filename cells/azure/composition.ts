import { CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { isLoopbackHost } from "../../contract";
import { ConfigError, MIN_SECRET_LENGTH, SettingsReader, createCellHandler, jsonLineLogger, logChangeFeed, envKeySource, systemClock, type Clock, type KeySource, type Logger } from "../core";
import { AZURE_CELL_ENV } from "./config";
import { CosmosNonceStore } from "./cosmos-nonce-store";
import { CosmosTenantStore } from "./cosmos-tenant-store";
import { functionsHttpHandler, type AzureHttpHandler } from "./functions-http";
import { functionsLogSink } from "./functions-log";
import { KeyVaultKeySource, keyVaultSecretClient, type SecretReader } from "./key-vault-key-source";

/**
 * Where a key's secret comes from: a secret in the cell's Key Vault, read at run time with the app's
 * managed identity (the cloud), or the secret itself in the environment (local sandbox and tests).
 */
export type AzureSecretSource = { readonly kind: "key-vault"; readonly secretName: string } | { readonly kind: "env"; readonly secret: string };

/** A key the cell verifies requests with: its id and where its secret comes from. */
export interface AzureCellKeyConfig {
  readonly keyId: string;
  readonly secret: AzureSecretSource;
}

/** The app settings the Azure cell runs on, validated. Names are in `AZURE_CELL_ENV`. */
export interface AzureCellConfig {
  readonly cellId: string;
  /** `https://<account>.documents.azure.com:443/` in the cloud; `http(s)://127.0.0.1:<port>` locally. */
  readonly cosmosEndpoint: string;
  readonly cosmosDatabase: string;
  readonly cosmosContainer: string;
  readonly signingKeyId: string;
  readonly signingSecret: AzureSecretSource;
  /** The admin key `cellctl` signs admin API calls with; undefined when none is configured. */
  readonly adminKey?: AzureCellKeyConfig;
  /** `https://<vault>.vault.azure.net/`: set when the secrets live in Key Vault. */
  readonly keyVaultUrl?: string;
  /** How long one Cosmos DB call may take, ms. */
  readonly storeTimeoutMs: number;
  /** Account key: local emulator only. Absent in the cloud, where the managed identity signs in. */
  readonly cosmosKey?: string;
}

/** App settings as the process sees them (`process.env` in the Functions host, a literal in tests). */
export type AzureCellEnv = Readonly<Record<string, string | undefined>>;

/** Thrown when the app settings cannot run a cell; `problems` names every setting that is missing or wrong. */
export class AzureCellConfigError extends ConfigError {
  override readonly name = "AzureCellConfigError";
  constructor(problems: readonly string[]) {
    super("Azure cell configuration is invalid", problems);
  }
}

/** Default time budget of one Cosmos DB call, ms (the SDK's own default is a minute). */
export const DEFAULT_STORE_TIMEOUT_MS = 2_500;

/** Characters Cosmos DB does not allow in database and container ids. */
const COSMOS_ID_PATTERN = /^[^/\\#?]{1,255}$/;
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;
/** Key Vault's rule for secret names. */
const KEY_VAULT_SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;

/**
 * Reads and checks the settings, all of them before failing, so one deployment shows every mistake.
 * Secret values never appear in a message. An empty setting counts as missing (Terraform and the
 * portal both write empty strings for "unset").
 */
export function readAzureCellConfig(env: AzureCellEnv): AzureCellConfig {
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
  const signingSecret = readSecretSource(settings, AZURE_CELL_ENV.signingSecretName, AZURE_CELL_ENV.signingSecret);
  const adminKey = readAdminKey(settings, signingKeyId, signingSecret);
  const keyVaultUrl = readKeyVaultUrl(settings, [signingSecret, adminKey?.secret]);
  const storeTimeoutMs = settings.integer(AZURE_CELL_ENV.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 100, 60_000);

  if (problems.length > 0 || signingSecret === undefined) throw new AzureCellConfigError(problems);
  const cosmosKey = read(AZURE_CELL_ENV.cosmosKey);
  return {
    cellId,
    cosmosEndpoint,
    cosmosDatabase,
    cosmosContainer,
    signingKeyId,
    signingSecret,
    storeTimeoutMs,
    ...(adminKey === undefined ? {} : { adminKey }),
    ...(keyVaultUrl === undefined ? {} : { keyVaultUrl }),
    ...(cosmosKey === undefined ? {} : { cosmosKey }),
  };
}

/**
 * A key's secret source: the name of its Key Vault secret (in the cloud) or the secret itself (local
 * sandbox and tests); exactly one. Secret values never appear in a message.
 */
function readSecretSource(settings: SettingsReader, nameSetting: string, secretSetting: string): AzureSecretSource | undefined {
  const secretName = settings.read(nameSetting);
  const secret = settings.read(secretSetting);
  if (secretName !== undefined && secret !== undefined) {
    settings.problems.push(`set only one of ${nameSetting} (in the cloud) and ${secretSetting} (local sandbox and tests), not both`);
  } else if (secretName !== undefined) {
    if (KEY_VAULT_SECRET_NAME.test(secretName)) return { kind: "key-vault", secretName };
    settings.problems.push(`${nameSetting} must be a Key Vault secret name (1 to 127 letters, digits and hyphens), got '${secretName}'`);
  } else if (secret !== undefined) {
    if (KEY_VAULT_REFERENCE.test(secret)) {
      settings.problems.push(
        `${secretSetting} is a Key Vault reference the platform could not resolve; ` +
          `set ${AZURE_CELL_ENV.keyVaultUrl} and ${nameSetting} instead, and the cell reads the secret at run time with its managed identity`,
      );
    } else if (secret.length >= MIN_SECRET_LENGTH) {
      return { kind: "env", secret };
    } else {
      settings.problems.push(`${secretSetting} must be at least ${MIN_SECRET_LENGTH} characters`);
    }
  } else {
    settings.problems.push(`neither ${nameSetting} (in the cloud) nor ${secretSetting} (local sandbox and tests) is set`);
  }
  return undefined;
}

/**
 * The optional admin key: none of `ADMIN_KEY_ID`, `ADMIN_SECRET_NAME`, `ADMIN_SECRET` set means no
 * admin key; any of them set means the id and one secret source are required, the id must not be the
 * signing key's, and the secret lives where the signing secret does.
 */
function readAdminKey(settings: SettingsReader, signingKeyId: string, signingSecret: AzureSecretSource | undefined): AzureCellKeyConfig | undefined {
  const names = [AZURE_CELL_ENV.adminKeyId, AZURE_CELL_ENV.adminSecretName, AZURE_CELL_ENV.adminSecret];
  if (names.every((name) => settings.read(name) === undefined)) return undefined;
  const keyId = settings.keyId(AZURE_CELL_ENV.adminKeyId);
  if (keyId !== "" && keyId === signingKeyId) settings.problems.push(`${AZURE_CELL_ENV.adminKeyId} must differ from ${AZURE_CELL_ENV.signingKeyId}, both are '${keyId}'`);
  const secret = readSecretSource(settings, AZURE_CELL_ENV.adminSecretName, AZURE_CELL_ENV.adminSecret);
  if (secret !== undefined && signingSecret !== undefined && secret.kind !== signingSecret.kind) {
    settings.problems.push(
      `keep both keys in Key Vault (${AZURE_CELL_ENV.signingSecretName} and ${AZURE_CELL_ENV.adminSecretName}) or both in the environment ` +
        `(${AZURE_CELL_ENV.signingSecret} and ${AZURE_CELL_ENV.adminSecret}, local sandbox and tests), not one of each`,
    );
  }
  return keyId !== "" && secret !== undefined ? { keyId, secret } : undefined;
}

/** `KEY_VAULT_URL`: required (https) when a secret lives in Key Vault, refused when none does. */
function readKeyVaultUrl(settings: SettingsReader, sources: ReadonlyArray<AzureSecretSource | undefined>): string | undefined {
  const url = settings.read(AZURE_CELL_ENV.keyVaultUrl);
  const needed = sources.some((source) => source?.kind === "key-vault");
  if (!needed) {
    if (url !== undefined) settings.problems.push(`${AZURE_CELL_ENV.keyVaultUrl} is set but no secret is read from Key Vault; set ${AZURE_CELL_ENV.signingSecretName}`);
    return undefined;
  }
  if (url === undefined) {
    settings.problems.push(`${AZURE_CELL_ENV.keyVaultUrl} is not set; the cell reads ${AZURE_CELL_ENV.signingSecretName} from that vault`);
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.protocol !== "https:" || parsed.username || parsed.password || parsed.search || parsed.hash) {
    settings.problems.push(`${AZURE_CELL_ENV.keyVaultUrl} must be an https URL like https://<vault>.vault.azure.net/, got '${url}'`);
    return undefined;
  }
  return url;
}

/** What is wrong with a Cosmos DB endpoint, or undefined: HTTPS, or plain HTTP on loopback for a local emulator. */
function checkEndpoint(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be a URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) return "must use https (http only on loopback)";
  if (url.username || url.password || url.search || url.hash) return "must not carry credentials, a query or a fragment";
  return undefined;
}

/** Replaceable parts, for tests and the local sandbox. Production passes none. */
export interface AzureCellOverrides {
  /**
   * The identity that signs in to Cosmos DB (when no `COSMOS_KEY` is set) and to Key Vault (when the
   * keys live there); one credential, so one token cache. @default a system-assigned `ManagedIdentityCredential`
   */
  readonly credential?: TokenCredential;
  /**
   * Merged over the client options built from the settings. Tests and the sandbox use it for what only
   * an emulator needs: an `https.Agent` that trusts its self-signed certificate and
   * `connectionPolicy: { enableEndpointDiscovery: false }`.
   */
  readonly cosmosClientOptions?: Partial<CosmosClientOptions>;
  /** Reads the cell's Key Vault secrets; the cell then builds no `SecretClient`. */
  readonly secretReader?: SecretReader;
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
export function cosmosClientOptions(config: AzureCellConfig, overrides: AzureCellOverrides = {}): CosmosClientOptions {
  const auth: Pick<CosmosClientOptions, "key" | "aadCredentials"> =
    config.cosmosKey !== undefined ? { key: config.cosmosKey } : { aadCredentials: overrides.credential ?? new ManagedIdentityCredential() };
  return {
    endpoint: config.cosmosEndpoint,
    ...auth,
    userAgentSuffix: `cell-${config.cellId}`,
    ...overrides.cosmosClientOptions,
    // Bounded calls: a frozen or unreachable store becomes a 503 in seconds, not a hung request.
    connectionPolicy: { ...overrides.cosmosClientOptions?.connectionPolicy, requestTimeout: config.storeTimeoutMs },
  };
}

/** A composed Azure cell: the runtime the Function App serves (the `AzureCell` construct deploys it). */
export interface AzureCellRuntime {
  /** The Functions v4 handler that `function.ts` registers; the sandbox can host it directly. */
  readonly handler: AzureHttpHandler;
  /** Closes the cell's Cosmos DB client. */
  close(): void;
}

/**
 * The cell's key source: Key Vault in the cloud (the secrets named by `SIGNING_SECRET_NAME` and
 * `ADMIN_SECRET_NAME`, read with the app's identity), the in-env secrets for the local sandbox and
 * tests. `readAzureCellConfig` guarantees both keys live in the same place. `reader` is asked for
 * only when the secrets live in Key Vault.
 */
export function azureCellKeySource(config: Pick<AzureCellConfig, "signingKeyId" | "signingSecret" | "adminKey">, reader: () => SecretReader): KeySource {
  const keys: AzureCellKeyConfig[] = [{ keyId: config.signingKeyId, secret: config.signingSecret }, ...(config.adminKey ? [config.adminKey] : [])];
  if (config.signingSecret.kind === "env") {
    return envKeySource(keys);
  }
  return new KeyVaultKeySource({
    client: reader(),
    keys: keys.flatMap(({ keyId, secret }) => (secret.kind === "key-vault" ? [{ keyId, secretName: secret.secretName }] : [])),
  });
}

/**
 * The Azure cell's composition root: reads the settings once, builds the Cosmos DB client and the
 * stores on the cell's container, the key source, clock, logger and change feed, and wires
 * them into the core's handler behind the Functions v4 adapter. Throws `AzureCellConfigError` when a
 * setting is missing or invalid. No network call happens here; the first request opens connections
 * (and reads the keys from Key Vault).
 */
export function createAzureCell(env: AzureCellEnv, overrides: AzureCellOverrides = {}): AzureCellRuntime {
  const config = readAzureCellConfig(env);
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? jsonLineLogger(functionsLogSink);
  let credential = overrides.credential;
  const identity = () => (credential ??= new ManagedIdentityCredential());
  const client = new CosmosClient(cosmosClientOptions(config, { ...overrides, credential: config.cosmosKey === undefined ? identity() : undefined }));
  const container = client.database(config.cosmosDatabase).container(config.cosmosContainer);

  const keys = azureCellKeySource(config, () => {
    if (overrides.secretReader) return overrides.secretReader;
    // readAzureCellConfig requires KEY_VAULT_URL whenever a secret lives in Key Vault.
    if (config.keyVaultUrl === undefined) throw new AzureCellConfigError([`${AZURE_CELL_ENV.keyVaultUrl} is not set`]);
    return keyVaultSecretClient(config.keyVaultUrl, identity());
  });

  const cell = createCellHandler({
    config: { cellId: config.cellId, cloud: "azure", edgeKeyId: config.signingKeyId, adminKeyId: config.adminKey?.keyId },
    store: new CosmosTenantStore(container, config.storeTimeoutMs),
    nonces: new CosmosNonceStore(container, 2 * config.storeTimeoutMs),
    keys,
    clock,
    changes: logChangeFeed(logger),
    logger,
  });
  // What the log tells about the config: no secrets, only where they come from.
  const publicSettings = {
    cellId: config.cellId,
    cosmosEndpoint: config.cosmosEndpoint,
    cosmosDatabase: config.cosmosDatabase,
    cosmosContainer: config.cosmosContainer,
    signingKeyId: config.signingKeyId,
    ...(config.adminKey ? { adminKeyId: config.adminKey.keyId } : {}),
    ...(config.keyVaultUrl ? { keyVaultUrl: config.keyVaultUrl } : {}),
    secretsFrom: config.signingSecret.kind,
  };
  logger.log({ level: "info", msg: "cell composed", ...publicSettings, cloud: "azure", cosmosAuth: config.cosmosKey === undefined ? "token" : "key" });
  return {
    handler: functionsHttpHandler(cell),
    close: () => client.dispose(),
  };
}
