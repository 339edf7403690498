import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError, MIN_SECRET_LENGTH, SettingsReader, createCellHandler, jsonLineLogger, lazyHandler, logChangeFeed, envKeySource, systemClock, type ChangeFeed, type Clock, type KeySource, type Logger } from "../core";
import { apiGatewayHandler, internalError, type ApiGatewayHandler } from "./api-gateway";
import { AWS_CELL_ENV } from "./config";
import { DynamoDbNonceStore } from "./dynamodb-nonce-store";
import { DynamoDbTenantStore } from "./dynamodb-tenant-store";
import { SecretsManagerKeySource } from "./secrets-key-source";

/**
 * The AWS cell's composition root: the one place that reads configuration and wires the core to its
 * AWS adapters. `lambda.ts` hands it `process.env`; tests and the local sandbox hand it a plain object,
 * so nothing else in the cell reads the environment.
 */

/** An environment: variable names to values (`process.env` fits). */
export type AwsCellEnv = Readonly<Record<string, string | undefined>>;

/** Where a key's secret comes from. */
export type SigningSecretSource =
  | { readonly kind: "secrets-manager"; readonly secretArn: string }
  | { readonly kind: "env"; readonly secret: string };

/** A key the cell verifies requests with: its id and where its secret comes from. */
export interface AwsCellKeyConfig {
  readonly keyId: string;
  readonly secret: SigningSecretSource;
}

/** The AWS cell's configuration, validated. */
export interface AwsCellConfig {
  readonly cellId: string;
  readonly tableName: string;
  /** `AWS_REGION` (set by Lambda); `us-east-1` for a local endpoint when unset. */
  readonly region: string;
  readonly signingKeyId: string;
  readonly signingSecret: SigningSecretSource;
  /**
   * The admin key `cellctl` signs admin API calls with (`ADMIN_KEY_ID` with `ADMIN_SECRET_ARN`, or
   * `ADMIN_SECRET` locally). Undefined when none is configured: the cell then knows no admin key.
   */
  readonly adminKey?: AwsCellKeyConfig;
  /** How long one DynamoDB call may take per attempt, ms. */
  readonly storeTimeoutMs: number;
  /** DynamoDB endpoint override (DynamoDB Local); undefined in the cloud. */
  readonly dynamodbEndpoint?: string;
}

/** Thrown when the environment does not describe a usable cell; `problems` names every bad variable. */
export class AwsCellConfigError extends ConfigError {
  override readonly name = "AwsCellConfigError";
  constructor(problems: readonly string[]) {
    super("invalid AWS cell configuration", problems);
  }
}

/** DynamoDB's own rule for table names. */
const TABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
/**
 * Default time budget of one DynamoDB call per attempt, ms. The SDK makes up to 3 attempts, so a
 * frozen store answers the client with a 503 within about 8 s, inside the function's 10 s default.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 2_500;
/** Local-only fallback region, used only with a DynamoDB endpoint override. */
const LOCAL_REGION = "us-east-1";

/**
 * Reads and validates the cell's configuration from `env`. Collects every problem before throwing, so
 * one failed cold start lists all of them. Empty values count as unset.
 */
export function readAwsCellConfig(env: AwsCellEnv): AwsCellConfig {
  const settings = new SettingsReader(env);
  const { problems } = settings;
  const read = (name: string) => settings.read(name);

  const cellId = settings.cellId(AWS_CELL_ENV.cellId);
  const tableName = settings.matching(AWS_CELL_ENV.tableName, TABLE_NAME_PATTERN);
  const signingKeyId = settings.keyId(AWS_CELL_ENV.signingKeyId);

  const signingSecret = readSecretSource(settings, AWS_CELL_ENV.signingSecretArn, AWS_CELL_ENV.signingSecret, "to verify signed requests");
  const adminKey = readAdminKey(settings, signingKeyId, signingSecret);

  const storeTimeoutMs = settings.integer(AWS_CELL_ENV.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 100, 60_000);
  const dynamodbEndpoint = read(AWS_CELL_ENV.dynamodbEndpoint);
  if (dynamodbEndpoint !== undefined && !/^https?:\/\/[^/?#\s]+\/?$/.test(dynamodbEndpoint)) {
    problems.push(`${AWS_CELL_ENV.dynamodbEndpoint} must be an http(s) URL without a path, got '${dynamodbEndpoint}'`);
  }

  const region = read("AWS_REGION") ?? (dynamodbEndpoint !== undefined ? LOCAL_REGION : undefined);
  if (region === undefined) problems.push(`AWS_REGION is not set (Lambda sets it; set it for runs outside Lambda)`);

  if (problems.length > 0 || signingSecret === undefined || region === undefined) {
    throw new AwsCellConfigError(problems);
  }
  return { cellId, tableName, region, signingKeyId, signingSecret, adminKey, storeTimeoutMs, dynamodbEndpoint };
}

/**
 * A key's secret source from its two variables: the secret's ARN in the cloud, or the secret itself
 * for the local sandbox and tests; exactly one of them. Records a problem and returns undefined
 * otherwise. Never echoes a secret, not even a bad one.
 */
function readSecretSource(settings: SettingsReader, arnName: string, secretName: string, purpose: string): SigningSecretSource | undefined {
  const secretArn = settings.read(arnName);
  const secret = settings.read(secretName);
  if (secretArn !== undefined && secret !== undefined) {
    settings.problems.push(`set only one of ${arnName} (in the cloud) and ${secretName} (local sandbox and tests), not both`);
  } else if (secretArn !== undefined) {
    if (SECRET_ARN_PATTERN.test(secretArn)) return { kind: "secrets-manager", secretArn };
    settings.problems.push(`${arnName} must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got '${secretArn}'`);
  } else if (secret !== undefined) {
    if (secret.length >= MIN_SECRET_LENGTH) return { kind: "env", secret };
    settings.problems.push(`${secretName} must be at least ${MIN_SECRET_LENGTH} characters long`);
  } else {
    settings.problems.push(`neither ${arnName} (in the cloud) nor ${secretName} (local sandbox and tests) is set; the cell needs one ${purpose}`);
  }
  return undefined;
}

/**
 * The optional admin key: none of `ADMIN_KEY_ID`, `ADMIN_SECRET_ARN`, `ADMIN_SECRET` set means no
 * admin key; any of them set means the id and one secret source are required, the id must not be the
 * signing key's, and the secret lives where the signing secret does (Secrets Manager or the environment).
 */
function readAdminKey(settings: SettingsReader, signingKeyId: string, signingSecret: SigningSecretSource | undefined): AwsCellKeyConfig | undefined {
  const names = [AWS_CELL_ENV.adminKeyId, AWS_CELL_ENV.adminSecretArn, AWS_CELL_ENV.adminSecret];
  if (names.every((name) => settings.read(name) === undefined)) return undefined;
  const keyId = settings.keyId(AWS_CELL_ENV.adminKeyId);
  if (keyId !== "" && keyId === signingKeyId) settings.problems.push(`${AWS_CELL_ENV.adminKeyId} must differ from ${AWS_CELL_ENV.signingKeyId}, both are '${keyId}'`);
  const secret = readSecretSource(settings, AWS_CELL_ENV.adminSecretArn, AWS_CELL_ENV.adminSecret, "for the admin key");
  if (secret !== undefined && signingSecret !== undefined && secret.kind !== signingSecret.kind) {
    settings.problems.push(
      `keep both keys in Secrets Manager (${AWS_CELL_ENV.signingSecretArn} and ${AWS_CELL_ENV.adminSecretArn}) or both in the environment ` +
        `(${AWS_CELL_ENV.signingSecret} and ${AWS_CELL_ENV.adminSecret}, local sandbox and tests), not one of each`,
    );
  }
  return keyId !== "" && secret !== undefined ? { keyId, secret } : undefined;
}

/** Replacements for what the composition root would otherwise build; clients passed here are the caller's to close. */
export interface AwsCellOverrides {
  readonly dynamodb?: DynamoDBClient;
  readonly secretsManager?: SecretsManagerClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly changes?: ChangeFeed;
}

/** A wired AWS cell: the runtime the Lambda entry serves (the `AwsCell` construct deploys it). */
export interface AwsCellRuntime {
  /** The Lambda handler for API Gateway HTTP API (payload format 2.0) events. */
  readonly handler: ApiGatewayHandler;
  /** Destroys the SDK clients this cell created (not those passed in as overrides). */
  close(): void;
}

/**
 * Builds the AWS cell from an environment: validates the configuration (throws `AwsCellConfigError`),
 * creates the DynamoDB client (with the endpoint override and dummy credentials when
 * `DYNAMODB_ENDPOINT` points at a local emulator), the stores, the key source (`awsCellKeySource`:
 * the signing and admin keys from Secrets Manager, or from the environment for local runs), and the
 * core handler behind the API Gateway adapter.
 */
export function createAwsCell(env: AwsCellEnv, overrides: AwsCellOverrides = {}): AwsCellRuntime {
  const config = readAwsCellConfig(env);
  const owned: Array<{ destroy(): void }> = [];

  const dynamodb =
    overrides.dynamodb ??
    new DynamoDBClient({
      region: config.region,
      // Bounded calls: a frozen or unreachable store becomes a 503 in seconds, not a hung request.
      // (`throwOnRequestTimeout`: the handler only logs a warning on a request timeout unless told to fail it.)
      requestHandler: { connectionTimeout: Math.min(1_000, config.storeTimeoutMs), requestTimeout: config.storeTimeoutMs, throwOnRequestTimeout: true },
      ...(config.dynamodbEndpoint === undefined
        ? {}
        : {
            endpoint: config.dynamodbEndpoint,
            // A local emulator checks that requests are signed, not by whom; skip the credential chain.
            credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "local", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "local" },
          }),
    });
  if (!overrides.dynamodb) owned.push(dynamodb);

  const keys = awsCellKeySource(config, () => {
    const client = overrides.secretsManager ?? new SecretsManagerClient({ region: config.region });
    if (!overrides.secretsManager) owned.push(client);
    return client;
  });

  const logger = overrides.logger ?? jsonLineLogger();
  const stores = { client: dynamodb, tableName: config.tableName };
  const handle = createCellHandler({
    config: { cellId: config.cellId, cloud: "aws", edgeKeyId: config.signingKeyId, adminKeyId: config.adminKey?.keyId },
    store: new DynamoDbTenantStore(stores),
    nonces: new DynamoDbNonceStore(stores),
    keys,
    clock: overrides.clock ?? systemClock,
    changes: overrides.changes ?? logChangeFeed(logger),
    logger,
  });
  return {
    handler: apiGatewayHandler(handle, logger),
    close: () => owned.forEach((client) => client.destroy()),
  };
}

/**
 * The cell's key source: Secrets Manager in the cloud (the construct's shape), the in-env secrets
 * for the local sandbox and tests. `readAwsCellConfig` guarantees both keys live in the same place.
 * `client` is asked for only when the secrets live in Secrets Manager.
 */
export function awsCellKeySource(config: Pick<AwsCellConfig, "signingKeyId" | "signingSecret" | "adminKey">, client: () => SecretsManagerClient): KeySource {
  const keys: AwsCellKeyConfig[] = [{ keyId: config.signingKeyId, secret: config.signingSecret }, ...(config.adminKey ? [config.adminKey] : [])];
  if (config.signingSecret.kind === "env") {
    return envKeySource(keys);
  }
  return new SecretsManagerKeySource({
    client: client(),
    keys: keys.flatMap(({ keyId, secret }) => (secret.kind === "secrets-manager" ? [{ keyId, secretId: secret.secretArn }] : [])),
  });
}

/**
 * The Lambda entry's handler: builds the cell on the first invocation and reuses it for the life of
 * the container (SDK clients, their connections and the cached signing secret survive between
 * invocations). `readEnv` is called on that first invocation only (and again after a failed build).
 *
 * A configuration error does not crash the container into API Gateway's bare 500: it is logged as one
 * JSON line naming the bad variables, and the caller gets a 500 problem that reveals nothing. The build
 * is retried on the next invocation (`lazyHandler`), so the log shows the error for as long as it lasts.
 */
export function lazyAwsCellHandler(readEnv: () => AwsCellEnv, overrides: AwsCellOverrides = {}): ApiGatewayHandler {
  const logger = overrides.logger ?? jsonLineLogger();
  return lazyHandler(
    () => createAwsCell(readEnv(), { ...overrides, logger }).handler,
    (error, event) => {
      const requestId = event.requestContext?.requestId ?? crypto.randomUUID();
      const detail = error instanceof AwsCellConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      logger.log({ level: "error", msg: "AWS cell could not start", requestId, error: detail });
      return internalError(requestId);
    },
  );
}
