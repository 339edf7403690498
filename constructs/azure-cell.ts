import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { CosmosdbAccount } from "@cdktf/provider-azurerm/lib/cosmosdb-account";
import { CosmosdbSqlContainer } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-container";
import { CosmosdbSqlDatabase } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-database";
import { CosmosdbSqlRoleAssignment } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-role-assignment";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { FunctionAppFlexConsumption } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { LinuxFunctionApp } from "@cdktf/provider-azurerm/lib/linux-function-app";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageBlob } from "@cdktf/provider-azurerm/lib/storage-blob";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Password } from "@cdktf/provider-random/lib/password";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { AssetType, TerraformAsset, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { AZURE_CELL_ENV, AZURE_FUNCTION_ENTRY, CONTAINER_SCHEMA, FUNCTION_HOST_JSON, FUNCTION_PACKAGE_JSON } from "../cells/azure/config";
import type { Cloud } from "../contract";
import { AzapiResourceAction, AzapiUpdateResource } from "./azapi";
import { AzureLake, resolveAzureLakeProps, type AzureCellLakeProps, type ResolvedAzureLakeProps } from "./azure-lake";
import { AzureStandby, resolveAzureStandbyProps, type AzureCellStandbyProps, type ResolvedAzureStandbyProps } from "./azure-standby";
import { entraOnlyStorageAccount } from "./azure-storage";
import { bundle, packageOf, type Bundle, type BundleSpec } from "./bundling";
import type { ICell } from "./cell";
import {
  AZURE_CELL_PROPS,
  type AzureCellHostingPlan,
  type AzureCellNodeVersion,
  type CosmosCapacityMode,
  type CosmosConsistencyLevel,
  type CosmosContinuousBackupTier,
} from "./props/azure-cell-props";
import { assertValidProps } from "./props/problems";

// The props' rules and their value lists live in constructs/props/ (zod, no providers), where the
// topology check reads them too; re-exported here for the construct's users.
export { AZURE_LOCATION_PATTERN } from "./props/regions";
export * from "./props/azure-cell-props";

/** Days a deleted Key Vault (and its secret) stays recoverable; purge protection keeps it that long. */
export const KEY_VAULT_SOFT_DELETE_RETENTION_DAYS = 90;

/** Built-in Cosmos DB data-plane role "Cosmos DB Built-in Data Contributor" (read and write items, no account management). */
export const COSMOS_BUILT_IN_DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002";

/**
 * Name of the package blob in a Flex Consumption app's deployment container, as One Deploy writes it.
 * Terraform never writes a blob of this name: a blob put there directly is not deployed.
 */
export const FLEX_PACKAGE_BLOB_NAME = "released-package.zip";

/**
 * Name of the blob Terraform uploads the package to: content-addressed, so a new package never
 * overwrites the one an app is running, and a changed name is what redeploys (One Deploy's
 * `packageUri` on Flex Consumption, `WEBSITE_RUN_FROM_PACKAGE` on Linux Consumption).
 */
export const stagedPackageBlobName = (packageSha256: string): string => `staged/azure-cell-function-${packageSha256}.zip`;

/**
 * How long Terraform waits after a role assignment before using it. Azure RBAC changes take effect
 * within minutes (Microsoft documents "up to 10 minutes" in the worst case), and a data-plane call
 * made too early gets a 403.
 *
 * - `deployer`: before Terraform's own first writes with its new roles (the Key Vault secrets, the
 *   package blob). azurerm does not retry a 403 on its existence check, so the wait is all there is.
 * - `app`: before One Deploy, which runs as the app's identity and needs its storage role. The deploy
 *   also retries on authorization errors (`ONE_DEPLOY_RETRY`), so this wait can be shorter.
 *
 * Each wait happens on creation only (and again when its role assignments are replaced), not on
 * every apply.
 */
export const RBAC_PROPAGATION_WAIT = { deployer: "120s", app: "60s" } as const;

/**
 * One Deploy retries while the app's identity is not yet authorized on its storage (role still
 * propagating: storage answers 403 `AuthorizationPermissionMismatch`/`AuthorizationFailure`, which
 * the deployment reports as a failed blob upload or download), every 15 to 60 s, within the timeout.
 */
export const ONE_DEPLOY_RETRY = {
  errorMessageRegex: ["AuthorizationPermissionMismatch", "AuthorizationFailure", "BlobUploadFailed", "403", "(?i)forbidden"],
  intervalSeconds: 15,
  maxIntervalSeconds: 60,
} as const;

/** Days a deleted blob, and a deleted container, of the cell's storage account stay recoverable. */
export const STORAGE_SOFT_DELETE_RETENTION_DAYS = 7;

/**
 * What the cell's diagnostic settings send to its Log Analytics workspace: Key Vault audit events
 * (every secret read, by whom), Cosmos DB control-plane (account, database and container changes)
 * and data-plane requests, and the storage account's blob reads, writes and deletes.
 */
export const AZURE_CELL_DIAGNOSTIC_LOGS = {
  keyVault: ["AuditEvent"],
  cosmos: ["ControlPlaneRequests", "DataPlaneRequests"],
  blobStorage: ["StorageRead", "StorageWrite", "StorageDelete"],
} as const;

/** How the Functions package is bundled; shared with tests that inspect the package folder. */
export const AZURE_CELL_BUNDLE: BundleSpec = {
  name: "azure-cell-function",
  entry: AZURE_FUNCTION_ENTRY,
  platform: "node",
  format: "cjs",
  outFile: "index.js",
  // Provided by the Functions Node.js worker at run time (`@azure/functions` requires it); not on npm.
  external: ["@azure/functions-core"],
  extraFiles: {
    "host.json": JSON.stringify(FUNCTION_HOST_JSON),
    "package.json": JSON.stringify(FUNCTION_PACKAGE_JSON),
  },
  archive: true,
};

/**
 * App setting carrying the SHA-256 of the package's files, on Linux Consumption apps: it shows which
 * package an app runs. (Flex Consumption apps get new code through One Deploy, keyed on the same hash.)
 */
export const PACKAGE_HASH_SETTING = "CELL_PACKAGE_SHA256";

export interface AzureCellProps {
  /**
   * Stable id of the cell, e.g. `alpha`: names its resources (`rg-cells-<cellId>`), its registry
   * entry and its signing key. Changing it replaces every resource, the Cosmos DB account included.
   */
  readonly cellId: string;
  /**
   * Azure location the cell runs in, e.g. `eastus` (the ARM spelling, not "East US"), one of
   * `AZURE_LOCATIONS` (constructs/props/regions.ts). Part of the
   * hash in the globally unique names, so a cell moved to another location gets fresh names.
   */
  readonly location: string;
  /**
   * Accept a `location` that is not in `AZURE_LOCATIONS` (constructs/props/regions.ts) yet, as long
   * as it looks like one. Add the location to the list in a later change and drop this flag.
   * @default false
   */
  readonly allowUnlistedLocation?: boolean;
  /**
   * Organisation prefix for the globally unique names (storage account, Function App, Cosmos DB
   * account, Key Vault). Set it when another organisation might deploy a cell with the same id in the
   * same location: those names are unique across all of Azure.
   * @default - no prefix: names come from the cell id and a hash of (cellId, location)
   */
  readonly namePrefix?: string;
  /**
   * Hosting plan of the Function App.
   * @default "FlexConsumption" - FC1; Linux Consumption (Y1) retires on 2028-09-30
   */
  readonly hostingPlan?: AzureCellHostingPlan;
  /**
   * Node.js version of the Functions runtime.
   * @default "22"
   */
  readonly nodeVersion?: AzureCellNodeVersion;
  /**
   * Memory of each Flex Consumption instance in MiB (2048 or 4096). Flex Consumption only.
   * @default 2048
   */
  readonly instanceMemoryMiB?: number;
  /**
   * Most instances the Flex Consumption app scales out to (40 to 1000). Flex Consumption only.
   * @default 100
   */
  readonly maximumInstanceCount?: number;
  /**
   * Default consistency level of the Cosmos DB account.
   * @default "Session"
   */
  readonly cosmosConsistency?: CosmosConsistencyLevel;
  /**
   * Capacity mode of the Cosmos DB account: pay per request (`Serverless`) or provisioned RU/s.
   * Fixed at creation: changing it replaces the account and its data.
   * @default "Serverless"
   */
  readonly cosmosCapacity?: CosmosCapacityMode;
  /**
   * Manual throughput of the records container in RU/s (400 to 1,000,000, a multiple of 100).
   * Only with `cosmosCapacity: "Provisioned"`.
   * @default 400 when provisioned
   */
  readonly cosmosThroughputRu?: number;
  /**
   * Continuous backup (point-in-time restore) window of the Cosmos DB account.
   * @default "Continuous7Days"
   */
  readonly continuousBackupTier?: CosmosContinuousBackupTier;
  /**
   * Days the cell's telemetry (Application Insights and its Log Analytics workspace) is kept; one of
   * `AZURE_LOG_RETENTION_DAYS`.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Version of the cell's signing key, an integer from 1. The key id is `<cellId>-v<version>`;
   * bumping the version generates a new secret (rotation).
   * @default 1
   */
  readonly signingKeyVersion?: number;
  /**
   * Version of the cell's admin key (the key the operator's `cellctl` signs admin API calls with; the
   * router never holds it), an integer from 1. The key id is `<cellId>-admin-v<version>`; bumping the
   * version generates a new secret (rotation).
   * @default 1
   */
  readonly adminKeyVersion?: number;
  /**
   * The reporting lake: a Cosmos DB trigger in the cell's Function App that lands every committed
   * change in a landing container of the cell's own (see `AzureLake`). `{}` turns it on with its defaults.
   * @default - no lake
   */
  readonly lake?: AzureCellLakeProps;
  /**
   * Standby replication: a Cosmos DB trigger and a sweep timer in the cell's Function App that keep
   * each tenant's standby cell, set up with `cellctl standby`, up to date (see `AzureStandby`). `{}`
   * turns it on with its defaults; a cell without it cannot be the primary of a tenant with a standby.
   * @default - no standby replication
   */
  readonly standby?: AzureCellStandbyProps;
}

/** `AzureCellProps` with every default filled in (`namePrefix`, `cosmosThroughputRu`, `lake` and `standby` stay optional). */
export type ResolvedAzureCellProps = Required<Omit<AzureCellProps, "namePrefix" | "cosmosThroughputRu" | "allowUnlistedLocation" | "lake" | "standby">> &
  Pick<AzureCellProps, "namePrefix" | "cosmosThroughputRu"> & { readonly lake?: ResolvedAzureLakeProps; readonly standby?: ResolvedAzureStandbyProps };

/** The defaults `AzureCell` applies to props the caller leaves out. */
export const AZURE_CELL_DEFAULTS = {
  hostingPlan: "FlexConsumption",
  nodeVersion: "22",
  instanceMemoryMiB: 2048,
  maximumInstanceCount: 100,
  cosmosConsistency: "Session",
  cosmosCapacity: "Serverless",
  provisionedThroughputRu: 400,
  continuousBackupTier: "Continuous7Days",
  logRetentionDays: 30,
  signingKeyVersion: 1,
  adminKeyVersion: 1,
} as const;

/**
 * Checks `props` against `AZURE_CELL_PROPS` (constructs/props/azure-cell-props.ts) and throws one
 * `PropsError` listing every problem (field, value given, what is allowed). Pure, so tests call it
 * directly; values that are unresolved tokens are skipped.
 */
export function validateAzureCellProps(props: AzureCellProps): void {
  assertValidProps(AZURE_CELL_PROPS, props);
}

/** Validates `props` and fills in `AZURE_CELL_DEFAULTS` (with `??`: a caller's explicit value always stays). */
export function resolveAzureCellProps(props: AzureCellProps): ResolvedAzureCellProps {
  validateAzureCellProps(props);
  const cosmosCapacity = props.cosmosCapacity ?? AZURE_CELL_DEFAULTS.cosmosCapacity;
  return {
    cellId: props.cellId,
    location: props.location,
    namePrefix: props.namePrefix,
    hostingPlan: props.hostingPlan ?? AZURE_CELL_DEFAULTS.hostingPlan,
    nodeVersion: props.nodeVersion ?? AZURE_CELL_DEFAULTS.nodeVersion,
    instanceMemoryMiB: props.instanceMemoryMiB ?? AZURE_CELL_DEFAULTS.instanceMemoryMiB,
    maximumInstanceCount: props.maximumInstanceCount ?? AZURE_CELL_DEFAULTS.maximumInstanceCount,
    cosmosConsistency: props.cosmosConsistency ?? AZURE_CELL_DEFAULTS.cosmosConsistency,
    cosmosCapacity,
    cosmosThroughputRu: cosmosCapacity === "Provisioned" ? (props.cosmosThroughputRu ?? AZURE_CELL_DEFAULTS.provisionedThroughputRu) : undefined,
    continuousBackupTier: props.continuousBackupTier ?? AZURE_CELL_DEFAULTS.continuousBackupTier,
    logRetentionDays: props.logRetentionDays ?? AZURE_CELL_DEFAULTS.logRetentionDays,
    signingKeyVersion: props.signingKeyVersion ?? AZURE_CELL_DEFAULTS.signingKeyVersion,
    adminKeyVersion: props.adminKeyVersion ?? AZURE_CELL_DEFAULTS.adminKeyVersion,
    ...(props.lake === undefined ? {} : { lake: resolveAzureLakeProps(props.lake) }),
    ...(props.standby === undefined ? {} : { standby: resolveAzureStandbyProps(props.standby) }),
  };
}

/**
 * Azure's naming rules for the cell's globally unique names (length included), checked on every
 * derived name so an unusual cell id fails at synth, not in the middle of an apply.
 */
export const AZURE_GLOBAL_NAME_RULES = {
  storageAccount: { pattern: /^[a-z0-9]{3,24}$/, rule: "3-24 lower-case letters and digits" },
  functionApp: { pattern: /^(?=.{2,60}$)[a-z0-9]+(-[a-z0-9]+)*$/, rule: "2-60 lower-case letters, digits and single hyphens, no hyphen at either end" },
  cosmosAccount: { pattern: /^(?=.{3,44}$)[a-z0-9]+(-[a-z0-9]+)*$/, rule: "3-44 lower-case letters, digits and single hyphens, no hyphen at either end" },
  keyVault: { pattern: /^(?=.{3,24}$)[a-z][a-z0-9]*(-[a-z0-9]+)*$/, rule: "3-24 letters, digits and single hyphens, starting with a letter, not ending with a hyphen" },
} as const;

export interface AzureCellNames {
  readonly resourceGroup: string;
  readonly servicePlan: string;
  readonly logAnalytics: string;
  readonly applicationInsights: string;
  /** Private blob container holding the function's package (Flex: its deployment container). */
  readonly packageContainer: string;
  readonly cosmosDatabase: string;
  readonly cosmosContainer: string;
  readonly signingSecret: string;
  readonly adminSecret: string;
  // Globally unique (DNS) names:
  readonly storageAccount: string;
  readonly functionApp: string;
  readonly cosmosAccount: string;
  readonly keyVault: string;
}

/**
 * Physical names of a cell's resources, derived from props only, so they are stable API. Names that
 * must be unique across all of Azure carry the first 6 hex digits of SHA-256 over
 * `(namePrefix, cellId, location)`; the readable part is shortened to fit the service's limit (the
 * hash keeps shortened names distinct). A location given as a token is left out of the hash.
 */
export function azureCellNames(props: Pick<AzureCellProps, "cellId" | "location" | "namePrefix">): AzureCellNames {
  const location = Token.isUnresolved(props.location) ? "" : props.location;
  const hash = createHash("sha256").update(`${props.namePrefix ?? ""}\0${props.cellId}\0${location}`).digest("hex").slice(0, 6);
  const readable = `${props.namePrefix ? `${props.namePrefix}-` : ""}${props.cellId}`;
  const hyphenated = (abbreviation: string, maxLength: number): string => {
    const room = maxLength - abbreviation.length - hash.length - 2;
    const middle = readable.replace(/-+/g, "-").slice(0, room).replace(/^-|-$/g, "");
    return `${abbreviation}-${middle}-${hash}`;
  };
  const names: AzureCellNames = {
    resourceGroup: `rg-cells-${props.cellId}`,
    servicePlan: `asp-cells-${props.cellId}`,
    logAnalytics: `log-cells-${props.cellId}`,
    applicationInsights: `appi-cells-${props.cellId}`,
    packageContainer: "deployments",
    cosmosDatabase: "cells",
    cosmosContainer: "records",
    signingSecret: "signing-key",
    adminSecret: "admin-key",
    storageAccount: `st${readable.replace(/-/g, "").slice(0, 24 - 2 - hash.length)}${hash}`,
    functionApp: hyphenated("func", 60),
    cosmosAccount: hyphenated("cosmos", 44),
    keyVault: hyphenated("kv", 24),
  };
  for (const [kind, { pattern, rule }] of Object.entries(AZURE_GLOBAL_NAME_RULES)) {
    const name = names[kind as keyof typeof AZURE_GLOBAL_NAME_RULES];
    if (!pattern.test(name)) throw new Error(`derived ${kind} name '${name}' breaks Azure's rule (${rule}); choose a shorter cellId or namePrefix`);
  }
  return names;
}

/** `${cellId}-v${version}`: the key id the edge sends and the function expects. */
export const azureCellSigningKeyId = (cellId: string, version: number): string => `${cellId}-v${version}`;

/** `${cellId}-admin-v${version}`: the key id `cellctl` sends on admin API calls. */
export const azureCellAdminKeyId = (cellId: string, version: number): string => `${cellId}-admin-v${version}`;

/** Where a cell's Azure resources go: its resource group, location and tags. */
interface Placement {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The Function App resource of either hosting plan. */
export type AzureCellFunctionApp = FunctionAppFlexConsumption | LinuxFunctionApp;

/**
 * An Azure cell: a Linux Function App (Flex Consumption by default) that keeps its data in one
 * Cosmos DB (NoSQL) container, with the cell's own request-signing key and admin key in Key Vault.
 *
 * No secret and no key anywhere in configuration: the app reaches storage, Cosmos DB and Key Vault
 * with its system-assigned managed identity and RBAC scoped to this cell's resources; key auth is
 * off on the storage account and the Cosmos DB account. The app reads its keys from Key Vault at run
 * time (`KEY_VAULT_URL`, `SIGNING_SECRET_NAME`, `ADMIN_SECRET_NAME`), not through Key Vault references,
 * which the platform resolves once at start, before the app's identity has its role, and then keeps
 * unresolved for up to 24 hours. HTTPS only, TLS 1.2 minimum, basic publishing auth off. The function
 * accepts only requests signed with the cell's key; the router holds the other copy. The admin key is
 * the operator's: it is not part of `ICell`, so the edge stack cannot hand it to the router.
 *
 * Code deployment: Terraform uploads the bundle with Entra ID as a content-addressed blob
 * (`stagedPackageBlobName`). On Flex Consumption, One Deploy (`Microsoft.Web/sites/extensions/onedeploy`
 * with `packageUri`, sent through ARM with Entra ID) then deploys it into the app's deployment
 * container as `released-package.zip`: a blob uploaded there directly is not deployed. The deploy runs
 * when the package changes (its URI carries the package's SHA-256), after the app's storage role has
 * had time to propagate, and retries while it has not. Linux Consumption runs from the blob's URL
 * (`WEBSITE_RUN_FROM_PACKAGE=<url>`, read with the identity). The provider's `zip_deploy_file` is not
 * used: in azurerm 4.55 it pushes to Kudu's `/api/zipdeploy` with basic-auth publishing credentials,
 * which the basic-auth-off default rejects and Flex Consumption does not serve.
 *
 * Host storage on Flex Consumption: identity-based (`AzureWebJobsStorage__accountName` and
 * `__credential`). azurerm 4.55 always writes a key-based `AzureWebJobsStorage` with an empty key
 * (provider issue #29693), which breaks the host, and strips it again when it reads the app back. So
 * the app's settings are written once more by an `azapi_update_resource` of
 * `Microsoft.Web/sites/config/appsettings` without it, after every change of the app; the azurerm app
 * ignores the settings it reads back (`lifecycle.ignore_changes = [app_settings]`), so a second plan
 * is empty.
 *
 * Network: the Function App has no virtual network here, so the Cosmos DB account, Key Vault and
 * storage account keep public network access on; Entra ID RBAC is the gate, and Cosmos DB accepts
 * connections from Azure datacenters only. Key Vault audit events, Cosmos DB control- and data-plane
 * logs and blob storage logs go to the cell's Log Analytics workspace; deleted blobs and containers
 * stay recoverable for `STORAGE_SOFT_DELETE_RETENTION_DAYS`.
 *
 * The construct creates no `TerraformOutput`s. The stack must declare an `AzurermProvider` (with
 * `storageUseAzuread: true`), a `RandomProvider` and a `TimeProvider`; the construct adds `Azure/azapi`
 * to the stack's required providers. The identity running Terraform is granted 'Key Vault Secrets
 * Officer' on the vault and 'Storage Blob Data Contributor' on the package container, so it can write
 * the secrets and the package without keys: it needs the right to create role assignments (Owner,
 * User Access Administrator or Role Based Access Control Administrator).
 */
export class AzureCell extends Construct implements ICell {
  readonly cellId: string;
  readonly cloud: Cloud = "azure";
  /** The Azure location, e.g. `eastus`. */
  readonly region: string;
  /** `https://<default hostname>`, no trailing slash (a token). */
  readonly endpointUrl: string;
  readonly signingKeyId: string;
  /** The generated signing secret (sensitive token); for the edge stack only. */
  readonly signingSecret: string;
  /** Id of the admin key, e.g. `beta-admin-v1`. Not part of `ICell`: the router never gets it. */
  readonly adminKeyId: string;
  /** The generated admin secret (sensitive token); the stack exports it as a sensitive output for operators. */
  readonly adminSecret: string;

  readonly names: AzureCellNames;
  readonly resourceGroup: ResourceGroup;
  /** The cell's data. Its Terraform address is guarded by a test: renaming it would destroy data. */
  readonly cosmosAccount: CosmosdbAccount;
  readonly cosmosContainer: CosmosdbSqlContainer;
  readonly functionApp: AzureCellFunctionApp;
  readonly storageAccount: StorageAccount;
  readonly keyVault: KeyVault;
  /** Holds the signing secret; the app reads it at run time (`SIGNING_SECRET_NAME`). */
  readonly signingSecretStore: KeyVaultSecret;
  /** Holds the admin secret; the app reads it at run time (`ADMIN_SECRET_NAME`). */
  readonly adminSecretStore: KeyVaultSecret;
  /** The content-addressed package blob: One Deploy's source on Flex Consumption, the run-from URL on Linux Consumption. */
  readonly packageBlob: StorageBlob;
  /** Flex Consumption only: the One Deploy request that deploys `packageBlob` into the app. */
  readonly oneDeploy?: AzapiResourceAction;
  /** The bundled function package (folder with `index.js`, `host.json`, `package.json`, and its hash). */
  readonly code: Bundle;
  /** The reporting lake (landing account and container, lease container, the app's write role), when `lake` is set. */
  readonly lake?: AzureLake;
  /** The standby replication consumer's lease container and settings (its functions run in the app), when `standby` is set. */
  readonly standby?: AzureStandby;

  constructor(scope: Construct, id: string, props: AzureCellProps) {
    // Validate before joining the construct tree: invalid props leave no half-built cell behind.
    const p = resolveAzureCellProps(props);
    super(scope, id);
    const names = azureCellNames(p);
    this.names = names;
    this.cellId = p.cellId;
    this.region = p.location;
    this.signingKeyId = azureCellSigningKeyId(p.cellId, p.signingKeyVersion);
    this.adminKeyId = azureCellAdminKeyId(p.cellId, p.adminKeyVersion);
    const tags = { "cells:cell-id": p.cellId, "cells:cloud": "azure", "managed-by": "cdktf" };
    const deployer = new DataAzurermClientConfig(this, "deployer");

    this.resourceGroup = new ResourceGroup(this, "resource-group", { name: names.resourceGroup, location: p.location, tags });
    const placement: Placement = { resourceGroupName: this.resourceGroup.name, location: this.resourceGroup.location, tags };

    const telemetry = this.createTelemetry(p, placement);
    const cosmos = this.createCosmos(p, placement);
    this.cosmosAccount = cosmos.account;
    this.cosmosContainer = cosmos.container;
    // The router's signing key and the operator's admin key, in the cell's vault.
    this.signingSecret = this.generateKey("signing", p.signingKeyVersion);
    this.adminSecret = this.generateKey("admin", p.adminKeyVersion);
    const vault = this.createKeyVault(p, placement, deployer);
    this.keyVault = vault.keyVault;
    const storage = this.createPackageStorage(p, placement, deployer);
    this.storageAccount = storage.account;

    // Terraform's own data-plane writes wait until its new roles have propagated (a 403 otherwise).
    const deployerRolesPropagated = new Sleep(this, "deployer-rbac-propagation", {
      createDuration: RBAC_PROPAGATION_WAIT.deployer,
      triggers: { "secrets-officer": vault.deployerSecretsOfficer.id, "package-writer": storage.deployerPackageWriter.id },
      dependsOn: [vault.deployerSecretsOfficer, storage.deployerPackageWriter],
    });
    this.signingSecretStore = this.storeSecret("signing", names.signingSecret, this.signingSecret, this.signingKeyId, deployerRolesPropagated);
    this.adminSecretStore = this.storeSecret("admin", names.adminSecret, this.adminSecret, this.adminKeyId, deployerRolesPropagated);
    this.code = bundle(AZURE_CELL_BUNDLE);
    this.packageBlob = this.stagePackage(storage.container, deployerRolesPropagated);

    // The reporting lake (optional): its trigger runs in the app below.
    if (p.lake) this.lake = this.createLake(p, p.lake, placement, cosmos.database, telemetry.workspace);
    // Standby replication (optional): its trigger and sweep timer run in the app below.
    if (p.standby) this.standby = this.createStandby(p, p.standby, placement, cosmos.database);

    const app = this.createFunctionApp(p, placement, cosmos.database, storage.container, telemetry.insights);
    this.functionApp = app.functionApp;
    const appRoles = this.grantAppRights(p);
    if (this.functionApp instanceof FunctionAppFlexConsumption) {
      this.oneDeploy = this.deployThroughOneDeploy(this.functionApp, app.flexAppSettings, telemetry.insights.connectionString, appRoles);
    }

    this.diagnostics(telemetry.workspace.id);
    this.endpointUrl = `https://${this.functionApp.defaultHostname}`;
  }

  /** The cell's Log Analytics workspace and the app's Application Insights on it. */
  private createTelemetry(p: ResolvedAzureCellProps, placement: Placement) {
    const workspace = new LogAnalyticsWorkspace(this, "logs", {
      ...placement,
      name: this.names.logAnalytics,
      sku: "PerGB2018",
      retentionInDays: p.logRetentionDays,
    });
    const insights = new ApplicationInsights(this, "insights", {
      ...placement,
      name: this.names.applicationInsights,
      applicationType: "web",
      workspaceId: workspace.id,
      retentionInDays: p.logRetentionDays,
    });
    return { workspace, insights };
  }

  /** The cell's data: a Cosmos DB account with Entra ID auth only, its database and the records container. */
  private createCosmos(p: ResolvedAzureCellProps, placement: Placement) {
    const account = new CosmosdbAccount(this, "cosmos", {
      ...placement,
      name: this.names.cosmosAccount,
      kind: "GlobalDocumentDB",
      offerType: "Standard",
      consistencyPolicy: { consistencyLevel: p.cosmosConsistency },
      geoLocation: [{ location: p.location, failoverPriority: 0 }],
      capabilities: p.cosmosCapacity === "Serverless" ? [{ name: "EnableServerless" }] : undefined,
      // Entra ID (RBAC) only: no account keys, and no key-based changes to databases and containers.
      localAuthenticationDisabled: true,
      accessKeyMetadataWritesEnabled: false,
      backup: { type: "Continuous", tier: p.continuousBackupTier },
      minimalTlsVersion: "Tls12",
      // No virtual network for the Function App: public access stays on, limited to Azure datacenters.
      publicNetworkAccessEnabled: true,
      ipRangeFilter: ["0.0.0.0"],
    });
    const database = new CosmosdbSqlDatabase(this, "cosmos-database", {
      name: this.names.cosmosDatabase,
      resourceGroupName: this.resourceGroup.name,
      accountName: account.name,
    });
    const container = new CosmosdbSqlContainer(this, "cosmos-container", {
      name: this.names.cosmosContainer,
      resourceGroupName: this.resourceGroup.name,
      accountName: account.name,
      databaseName: database.name,
      partitionKeyPaths: [CONTAINER_SCHEMA.partitionKeyPath],
      partitionKeyVersion: 2,
      // TTL on with no default expiry: only items that carry `ttl` expire.
      defaultTtl: CONTAINER_SCHEMA.defaultTtlSeconds,
      throughput: p.cosmosThroughputRu,
    });
    return { account, database, container };
  }

  /** A generated key (`<kind>-key`); a new version means a new secret: random_password is replaced when a keeper changes. */
  private generateKey(kind: "signing" | "admin", version: number): string {
    return new Password(this, `${kind}-key`, {
      length: 64,
      special: false,
      keepers: { [`${kind}-key-version`]: String(version) },
    }).result;
  }

  /** The cell's Key Vault (RBAC, purge protection), and the Terraform identity's right to write its secrets. */
  private createKeyVault(p: ResolvedAzureCellProps, placement: Placement, deployer: DataAzurermClientConfig) {
    const keyVault = new KeyVault(this, "key-vault", {
      ...placement,
      name: this.names.keyVault,
      tenantId: deployer.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: KEY_VAULT_SOFT_DELETE_RETENTION_DAYS,
      // The app reads its secrets from its public outbound addresses (no virtual network).
      publicNetworkAccessEnabled: true,
    });
    const deployerSecretsOfficer = new RoleAssignment(this, "deployer-secrets-officer", {
      scope: keyVault.id,
      roleDefinitionName: "Key Vault Secrets Officer",
      principalId: deployer.objectId,
      description: `Lets the Terraform identity write cell ${p.cellId}'s signing and admin secrets`,
    });
    return { keyVault, deployerSecretsOfficer };
  }

  /** The storage account (host storage and the package container, Entra ID only), and the Terraform identity's right to upload. */
  private createPackageStorage(p: ResolvedAzureCellProps, placement: Placement, deployer: DataAzurermClientConfig) {
    // A deleted package, or the deployment container itself, stays recoverable for a week.
    const account = new StorageAccount(this, "storage", { ...placement, name: this.names.storageAccount, ...entraOnlyStorageAccount(STORAGE_SOFT_DELETE_RETENTION_DAYS) });
    const container = new StorageContainer(this, "package-container", {
      name: this.names.packageContainer,
      storageAccountId: account.id,
      containerAccessType: "private",
    });
    const deployerPackageWriter = new RoleAssignment(this, "deployer-package-writer", {
      scope: container.resourceManagerId,
      roleDefinitionName: "Storage Blob Data Contributor",
      principalId: deployer.objectId,
      description: `Lets the Terraform identity upload cell ${p.cellId}'s function package`,
    });
    return { account, container, deployerPackageWriter };
  }

  /** A key's secret in the vault (`<kind>-secret`), written once the Terraform identity's roles have propagated. */
  private storeSecret(kind: "signing" | "admin", name: string, value: string, keyId: string, after: ITerraformDependable): KeyVaultSecret {
    return new KeyVaultSecret(this, `${kind}-secret`, {
      name,
      keyVaultId: this.keyVault.id,
      value,
      contentType: `HMAC-SHA256 key ${keyId}`,
      dependsOn: [after],
    });
  }

  /** `this.code` uploaded as a content-addressed blob. */
  private stagePackage(container: StorageContainer, after: ITerraformDependable): StorageBlob {
    const asset = new TerraformAsset(this, "package", { path: packageOf(this.code), type: AssetType.FILE, assetHash: this.code.hash });
    return new StorageBlob(this, "package-blob", {
      name: stagedPackageBlobName(this.code.hash),
      storageAccountName: this.storageAccount.name,
      storageContainerName: container.name,
      type: "Block",
      source: asset.path,
      contentType: "application/zip",
      dependsOn: [after],
      // The new package exists before the old one goes, so a running app never loses its code.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  private createLake(p: ResolvedAzureCellProps, lake: ResolvedAzureLakeProps, placement: Placement, database: CosmosdbSqlDatabase, workspace: LogAnalyticsWorkspace): AzureLake {
    return new AzureLake(this, "lake", {
      cellId: p.cellId,
      cellStorageAccount: this.names.storageAccount,
      placement,
      cosmosAccountName: this.cosmosAccount.name,
      cosmosEndpoint: this.cosmosAccount.endpoint,
      cosmosDatabaseName: database.name,
      leaseThroughputRu: p.cosmosCapacity === "Provisioned" ? AZURE_CELL_DEFAULTS.provisionedThroughputRu : undefined,
      workspaceId: workspace.id,
      lake,
    });
  }

  /** Standby replication (optional): the lease container and settings of the trigger and sweep timer that run in the app. */
  private createStandby(p: ResolvedAzureCellProps, standby: ResolvedAzureStandbyProps, placement: Placement, database: CosmosdbSqlDatabase): AzureStandby {
    return new AzureStandby(this, "standby", {
      cellId: p.cellId,
      resourceGroupName: placement.resourceGroupName,
      cosmosAccountName: this.cosmosAccount.name,
      cosmosEndpoint: this.cosmosAccount.endpoint,
      cosmosDatabaseName: database.name,
      leaseThroughputRu: p.cosmosCapacity === "Provisioned" ? AZURE_CELL_DEFAULTS.provisionedThroughputRu : undefined,
      standby,
    });
  }

  /** The plan and the Function App of the chosen hosting plan, with its settings (names and URLs, never a secret). */
  private createFunctionApp(p: ResolvedAzureCellProps, placement: Placement, database: CosmosdbSqlDatabase, container: StorageContainer, insights: ApplicationInsights) {
    const flex = p.hostingPlan === "FlexConsumption";
    const plan = new ServicePlan(this, "plan", { ...placement, name: this.names.servicePlan, osType: "Linux", skuName: flex ? "FC1" : "Y1" });
    const appSettings: Record<string, string> = {
      [AZURE_CELL_ENV.cellId]: p.cellId,
      [AZURE_CELL_ENV.cosmosEndpoint]: this.cosmosAccount.endpoint,
      [AZURE_CELL_ENV.cosmosDatabase]: database.name,
      [AZURE_CELL_ENV.cosmosContainer]: this.cosmosContainer.name,
      [AZURE_CELL_ENV.signingKeyId]: this.signingKeyId,
      [AZURE_CELL_ENV.adminKeyId]: this.adminKeyId,
      // Names only: the app reads the secrets at run time with its identity (key-vault-key-source.ts).
      [AZURE_CELL_ENV.keyVaultUrl]: this.keyVault.vaultUri,
      [AZURE_CELL_ENV.signingSecretName]: this.signingSecretStore.name,
      [AZURE_CELL_ENV.adminSecretName]: this.adminSecretStore.name,
      // Setting the lake's container URL is what registers the lake trigger (function.ts).
      ...this.lake?.appSettings,
      // Setting the standby's lease container is what registers the standby trigger and sweep (function.ts).
      ...this.standby?.appSettings,
    };
    const siteConfig = {
      minimumTlsVersion: "1.2",
      scmMinimumTlsVersion: "1.2",
      remoteDebuggingEnabled: false,
      http2Enabled: true,
      applicationInsightsConnectionString: insights.connectionString,
    };
    const common = {
      ...placement,
      name: this.names.functionApp,
      servicePlanId: plan.id,
      httpsOnly: true,
      publicNetworkAccessEnabled: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      identity: { type: "SystemAssigned" },
    };
    const flexAppSettings: Record<string, string> = {
      ...appSettings,
      // Identity-based host storage. No `AzureWebJobsStorage`: see the class comment (provider issue #29693).
      AzureWebJobsStorage__accountName: this.storageAccount.name,
      AzureWebJobsStorage__credential: "managedidentity",
    };
    const functionApp = flex
      ? new FunctionAppFlexConsumption(this, "function", {
          ...common,
          runtimeName: "node",
          runtimeVersion: p.nodeVersion,
          instanceMemoryInMb: p.instanceMemoryMiB,
          maximumInstanceCount: p.maximumInstanceCount,
          storageContainerType: "blobContainer",
          storageContainerEndpoint: `${this.storageAccount.primaryBlobEndpoint}${container.name}`,
          storageAuthenticationType: "SystemAssignedIdentity",
          siteConfig,
          appSettings: flexAppSettings,
          // After creation the settings belong to `app-settings` below; what azurerm reads back is its echo.
          lifecycle: { ignoreChanges: ["app_settings"] },
        })
      : new LinuxFunctionApp(this, "function", {
          ...common,
          functionsExtensionVersion: "~4",
          storageAccountName: this.storageAccount.name,
          storageUsesManagedIdentity: true,
          ftpPublishBasicAuthenticationEnabled: false,
          builtinLoggingEnabled: false,
          siteConfig: { ...siteConfig, ftpsState: "Disabled", applicationStack: { nodeVersion: p.nodeVersion } },
          appSettings: { ...appSettings, WEBSITE_RUN_FROM_PACKAGE: this.packageBlob.url, [PACKAGE_HASH_SETTING]: this.code.hash },
        });
    return { functionApp, flexAppSettings };
  }

  /** The app's rights, each scoped to this cell's resource; returned so the deploy can wait for them. */
  private grantAppRights(p: ResolvedAzureCellProps): ITerraformDependable[] {
    const principalId = this.functionApp.identity.principalId;
    const appStorage = new RoleAssignment(this, "function-storage", {
      scope: this.storageAccount.id,
      roleDefinitionName: "Storage Blob Data Owner",
      principalId,
      principalType: "ServicePrincipal",
      description: `Host storage and package of cell ${p.cellId}'s Function App`,
    });
    const appSecrets = new RoleAssignment(this, "function-secrets-user", {
      scope: this.keyVault.id,
      roleDefinitionName: "Key Vault Secrets User",
      principalId,
      principalType: "ServicePrincipal",
      description: `Lets cell ${p.cellId}'s Function App read its signing and admin secrets at run time`,
    });
    const appCosmos = new CosmosdbSqlRoleAssignment(this, "function-cosmos", {
      resourceGroupName: this.resourceGroup.name,
      accountName: this.cosmosAccount.name,
      roleDefinitionId: `${this.cosmosAccount.id}/sqlRoleDefinitions/${COSMOS_BUILT_IN_DATA_CONTRIBUTOR}`,
      principalId,
      scope: this.cosmosAccount.id,
    });
    const appLake = this.lake?.grantWriter(principalId);
    return [appStorage, appSecrets, appCosmos, ...(appLake ? [appLake] : [])];
  }

  /**
   * Flex Consumption: rewrites the app's settings without the provider's key-based
   * `AzureWebJobsStorage`, waits for the app's roles, then deploys the staged package with One Deploy.
   */
  private deployThroughOneDeploy(
    app: FunctionAppFlexConsumption,
    settings: Record<string, string>,
    insightsConnectionString: string,
    appRoles: ITerraformDependable[],
  ): AzapiResourceAction {
    // PUT config/appsettings replaces the whole collection: exactly the app's settings (and the App
    // Insights connection string, which azurerm keeps under site_config), so AzureWebJobsStorage is gone.
    // Replaced, i.e. written again, whenever azurerm updates the app, since that re-injects it.
    const appSettingsFix = new AzapiUpdateResource(this, "app-settings", {
      type: "Microsoft.Web/sites/config@2024-04-01",
      name: "appsettings",
      parentId: app.id,
      body: { properties: { ...settings, APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString } },
      // The plain address: cdktf 0.21 writes a resource object here as "${...}", which Terraform
      // rejects in replace_triggered_by (hashicorp/terraform-cdk#3196).
      lifecycle: { replaceTriggeredBy: [`${app.terraformResourceType}.${app.friendlyUniqueId}`] },
    });
    const appRolesPropagated = new Sleep(this, "app-rbac-propagation", {
      createDuration: RBAC_PROPAGATION_WAIT.app,
      // A new identity (the app replaced) gets new role assignments, and the wait happens again.
      triggers: { "principal-id": app.identity.principalId },
      dependsOn: appRoles,
    });
    return new AzapiResourceAction(this, "one-deploy", {
      type: "Microsoft.Web/sites/extensions@2024-04-01",
      resourceId: `${app.id}/extensions/onedeploy`,
      method: "PUT",
      // The blob's URL carries the package's SHA-256: a code change changes it and redeploys, nothing else does.
      body: { properties: { packageUri: this.packageBlob.url, remoteBuild: false } },
      retry: { ...ONE_DEPLOY_RETRY, errorMessageRegex: [...ONE_DEPLOY_RETRY.errorMessageRegex] },
      timeout: "20m",
      dependsOn: [this.packageBlob, appSettingsFix, appRolesPropagated],
    });
  }

  /** Audit and request logs of the vault, the Cosmos DB account and the blob service, into the cell's workspace. */
  private diagnostics(workspaceId: string): void {
    const to = (id: string, targetResourceId: string, categories: readonly string[], dedicated = false) =>
      new MonitorDiagnosticSetting(this, id, {
        name: "cell-logs",
        targetResourceId,
        logAnalyticsWorkspaceId: workspaceId,
        // Cosmos DB writes to resource-specific tables (CDBDataPlaneRequests, ...), which Microsoft recommends.
        logAnalyticsDestinationType: dedicated ? "Dedicated" : undefined,
        enabledLog: categories.map((category) => ({ category })),
      });
    to("key-vault-diagnostics", this.keyVault.id, AZURE_CELL_DIAGNOSTIC_LOGS.keyVault);
    to("cosmos-diagnostics", this.cosmosAccount.id, AZURE_CELL_DIAGNOSTIC_LOGS.cosmos, true);
    to("blob-diagnostics", `${this.storageAccount.id}/blobServices/default`, AZURE_CELL_DIAGNOSTIC_LOGS.blobStorage);
  }
}
