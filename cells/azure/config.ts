/**
 * The Azure cell's deployment interface: app setting names, the bundle entry, the files the Functions
 * v4 package needs beside the bundle, and the Cosmos DB container schema. Shared by the runtime and
 * by the `AzureCell` construct. Constants only: no SDK imports here.
 */
export const AZURE_CELL_ENV = {
  cellId: "CELL_ID",
  cosmosEndpoint: "COSMOS_ENDPOINT",
  cosmosDatabase: "COSMOS_DATABASE",
  cosmosContainer: "COSMOS_CONTAINER",
  signingKeyId: "SIGNING_KEY_ID",
  /** In the cloud a Key Vault reference (`@Microsoft.KeyVault(SecretUri=...)`) that the platform resolves. */
  signingSecret: "SIGNING_SECRET",
  /** Id of the cell's admin key (`<cellId>-admin-v<n>`): the key `cellctl` signs admin API calls with. */
  adminKeyId: "ADMIN_KEY_ID",
  /** The admin secret itself (local sandbox and tests); in the cloud it is read from Key Vault at run time. */
  adminSecret: "ADMIN_SECRET",
  /** Key Vault URI (`https://<vault>.vault.azure.net/`) the app reads its secrets from at run time, with its identity. */
  keyVaultUrl: "KEY_VAULT_URL",
  /** Name of the Key Vault secret holding the signing secret (with `KEY_VAULT_URL`). */
  signingSecretName: "SIGNING_SECRET_NAME",
  /** Name of the Key Vault secret holding the admin secret (with `KEY_VAULT_URL`). */
  adminSecretName: "ADMIN_SECRET_NAME",
  /** How long one store call may take before the cell gives up on it (ms); unset: the default. */
  storeTimeoutMs: "STORE_TIMEOUT_MS",
  /** Cosmos DB account key: local emulator only. In the cloud the app uses its managed identity. */
  cosmosKey: "COSMOS_KEY",
} as const;

/** Functions bundle entry, relative to the repository root. */
export const AZURE_FUNCTION_ENTRY = "cells/azure/function.ts";

/** Cosmos DB container: partitioned on the tenant; TTL on with no default, so only items with `ttl` expire. */
export const CONTAINER_SCHEMA = {
  partitionKeyPath: "/tenantId",
  defaultTtlSeconds: -1,
} as const;

/**
 * `host.json` for the zip package. The empty route prefix makes the function's `{*path}` route see
 * the same paths as the AWS cell (`/api/...`, `/healthz`), which the signature covers.
 */
export const FUNCTION_HOST_JSON = {
  version: "2.0",
  extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
  extensions: { http: { routePrefix: "" } },
  // Below the router's longest cell timeout; a keyed write's answer commits with the write itself,
  // so a function cut off by this timeout leaves nothing half-done behind.
  functionTimeout: "00:00:25",
  logging: { logLevel: { default: "Information" } },
} as const;

/** `package.json` for the zip package: the v4 programming model finds functions through `main`. */
export const FUNCTION_PACKAGE_JSON = {
  name: "azure-cell",
  version: "1.0.0",
  private: true,
  main: "index.js",
} as const;

/**
 * The reporting lake's consumer (`AzureCellProps.lake`): a Cosmos DB trigger in the cell's Function
 * App that lands every outbox document in the cell's landing container. Its app setting names.
 */
export const AZURE_LAKE_ENV = {
  /**
   * `https://<account>.blob.core.windows.net/<container>`: the landing container, written with the
   * app's identity. Setting it is what registers the lake trigger; without it the app has none.
   */
  containerUrl: "LAKE_CONTAINER_URL",
  /** The lease container (in the cell's database) where the trigger keeps its change-feed checkpoints. */
  leaseContainer: "LAKE_LEASE_CONTAINER",
  /**
   * The trigger's identity-based Cosmos DB connection: `LAKE_COSMOS__accountEndpoint` holds the
   * account's endpoint and the host signs in with the app's system-assigned identity. No key anywhere.
   */
  cosmosConnection: "LAKE_COSMOS",
} as const;

/** Name of the lake's Cosmos DB trigger function in the app. */
export const LAKE_TRIGGER_NAME = "lake";

/** The app setting holding the account endpoint of an identity-based Cosmos DB connection named `connection`. */
export const identityConnectionEndpointSetting = (connection: string): string => `${connection}__accountEndpoint`;

/**
 * The standby replication consumer (`AzureCellProps.standby`): a Cosmos DB trigger on the records
 * container (the fast path: its outbox documents) and a timer (the sweep), both in the cell's Function
 * App, pushing each linked tenant's changes to its standby cell. Their app setting names; the timing
 * settings are `STANDBY_TIMING_ENV`'s.
 */
export const AZURE_STANDBY_ENV = {
  /** The lease container of the standby trigger's change-feed checkpoints. Setting it is what registers the standby functions. */
  leaseContainer: "STANDBY_LEASE_CONTAINER",
  /** The trigger's identity-based Cosmos DB connection (`STANDBY_COSMOS__accountEndpoint`), like the lake's. */
  cosmosConnection: "STANDBY_COSMOS",
  /** The sweep timer's NCRONTAB schedule (six fields, seconds first). */
  sweepSchedule: "STANDBY_SWEEP_SCHEDULE",
} as const;

/** Names of the standby functions in the app. */
export const STANDBY_TRIGGER_NAME = "standby";
export const STANDBY_SWEEP_NAME = "standby-sweep";
/** The sweep's default schedule: every 30 seconds. */
export const DEFAULT_STANDBY_SWEEP_SCHEDULE = "*/30 * * * * *";
