import { CosmosdbSqlContainer } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-container";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { entraOnlyStorageAccount } from "./azure-storage";
import { AZURE_LAKE_DEFAULTS } from "./props/lake-props";
import { Construct } from "constructs";
import { AZURE_LAKE_ENV, identityConnectionEndpointSetting } from "../cells/azure/config";

/**
 * The Azure cell's reporting-lake consumer (`AzureCellProps.lake`): a Cosmos DB trigger in the cell's
 * own Function App (`cells/azure/lake-trigger.ts`) reads the records container's change feed, keeps
 * the outbox documents and lands their events as NDJSON files in a landing container
 * (`cloud=azure/cell=<cellId>/dt=<day>/...`).
 *
 * The landing container lives in a storage account of its own, with a hierarchical namespace
 * (ADLS Gen2), not in the cell's storage account:
 * - readers: the analytics team (DuckDB, Databricks, Snowflake, Synapse) gets a role on the lake
 *   account, and nothing on the account that holds the Functions host's state and keys and the
 *   deployment packages;
 * - ADLS Gen2 is what the analytics engines expect (`abfss://`, real directories, fast listing of the
 *   `dt=` partitions), and the hierarchical namespace cannot be switched on for the existing account
 *   without replacing it;
 * - least privilege: the app's identity holds 'Storage Blob Data Owner' on the cell's account (host
 *   storage needs it); on the lake it gets 'Storage Blob Data Contributor' on the landing container
 *   only. (A custom write-only role would be narrower still, but creating role definitions needs more
 *   than the 'Role Based Access Control Administrator' role the deploy instructions allow.)
 *
 * The trigger's checkpoints live in a lease container Terraform creates in the cell's database (the
 * app's identity may read and write items, not create containers). The trigger signs in to Cosmos DB
 * with the app's identity (`LAKE_COSMOS__accountEndpoint`), under the data-plane role the cell already
 * grants on its account.
 */

/** Reporting-lake settings of an Azure cell. `lake: {}` turns the lake on with every default. */
export interface AzureCellLakeProps {
  /**
   * Days a lake file is kept; a lifecycle rule deletes it afterwards (1 to 3650).
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * Days after which lake files move to the Cool tier (below `retentionDays`). Cool has no minimum
   * object size, so small batch files move too.
   * @default 30
   */
  readonly coolAfterDays?: number;
}

export type ResolvedAzureLakeProps = Required<AzureCellLakeProps>;

// The rules and defaults of `lake` live in constructs/props/lake-props.ts (zod, no providers).
export { AZURE_LAKE_DEFAULTS, AZURE_LAKE_PROPS } from "./props/lake-props";

/** Days a deleted lake file or container stays recoverable (soft delete); matches the AWS lake's noncurrent versions. */
export const AZURE_LAKE_RECOVERY_DAYS = 30;

/** The lake account's blob logs (reads by the analytics team, writes by the trigger, deletes by the lifecycle). */
export const AZURE_LAKE_DIAGNOSTIC_LOGS = ["StorageRead", "StorageWrite", "StorageDelete"] as const;

/** The built-in role the app's identity gets on the landing container. */
export const AZURE_LAKE_WRITER_ROLE = "Storage Blob Data Contributor";

export const resolveAzureLakeProps = (lake: AzureCellLakeProps): ResolvedAzureLakeProps => ({
  retentionDays: lake.retentionDays ?? AZURE_LAKE_DEFAULTS.retentionDays,
  coolAfterDays: lake.coolAfterDays ?? AZURE_LAKE_DEFAULTS.coolAfterDays,
});

/** The lake account's name rule (Azure storage account names). */
const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/**
 * Names of the lake's resources. The account name is globally unique: `stlk` + the cell's storage
 * account name without its `st`, shortened so the cell's hash suffix survives (24 characters at most).
 */
export function azureLakeNames(cellStorageAccount: string) {
  const hash = cellStorageAccount.slice(-6);
  const readable = cellStorageAccount.slice(2, -6).slice(0, 24 - 4 - hash.length);
  const storageAccount = `stlk${readable}${hash}`;
  if (!STORAGE_ACCOUNT_NAME.test(storageAccount)) throw new Error(`derived lake storage account name '${storageAccount}' breaks Azure's rule (3-24 lower-case letters and digits)`);
  return { storageAccount, container: "lake", leaseContainer: "leases" } as const;
}

export interface AzureLakeProps {
  readonly cellId: string;
  /** The cell's storage account name, from which the lake account's name derives. */
  readonly cellStorageAccount: string;
  readonly placement: { readonly resourceGroupName: string; readonly location: string; readonly tags: Record<string, string> };
  readonly cosmosAccountName: string;
  readonly cosmosEndpoint: string;
  readonly cosmosDatabaseName: string;
  /** Manual throughput for the lease container when the account is provisioned; undefined when serverless. */
  readonly leaseThroughputRu?: number;
  /** The cell's Log Analytics workspace. */
  readonly workspaceId: string;
  readonly lake: ResolvedAzureLakeProps;
}

/** The lake of one Azure cell; created by `AzureCell` when `lake` is set. */
export class AzureLake extends Construct {
  /** The landing zone's account. Its Terraform address is guarded by a test: renaming it would destroy the lake. */
  readonly storageAccount: StorageAccount;
  readonly container: StorageContainer;
  readonly leaseContainer: CosmosdbSqlContainer;
  /** `https://<account>.blob.core.windows.net/lake`: what the trigger writes to. */
  readonly containerUrl: string;
  /** The app settings the trigger needs (no secret: names, URLs and the identity connection's endpoint). */
  readonly appSettings: Readonly<Record<string, string>>;
  private writer?: RoleAssignment;

  constructor(scope: Construct, id: string, private readonly props: AzureLakeProps) {
    super(scope, id);
    const names = azureLakeNames(props.cellStorageAccount);

    this.storageAccount = new StorageAccount(this, "storage", { ...props.placement, name: names.storageAccount, ...entraOnlyStorageAccount(AZURE_LAKE_RECOVERY_DAYS), isHnsEnabled: true });
    this.container = new StorageContainer(this, "container", { name: names.container, storageAccountId: this.storageAccount.id, containerAccessType: "private" });
    new StorageManagementPolicy(this, "lifecycle", {
      storageAccountId: this.storageAccount.id,
      rule: [
        {
          name: "lake-retention",
          enabled: true,
          filters: { blobTypes: ["blockBlob"], prefixMatch: [`${names.container}/`] },
          actions: {
            baseBlob: {
              tierToCoolAfterDaysSinceModificationGreaterThan: props.lake.coolAfterDays,
              deleteAfterDaysSinceModificationGreaterThan: props.lake.retentionDays,
            },
          },
        },
      ],
    });
    new MonitorDiagnosticSetting(this, "blob-diagnostics", {
      name: "cell-logs",
      targetResourceId: `${this.storageAccount.id}/blobServices/default`,
      logAnalyticsWorkspaceId: props.workspaceId,
      enabledLog: AZURE_LAKE_DIAGNOSTIC_LOGS.map((category) => ({ category })),
    });

    this.leaseContainer = new CosmosdbSqlContainer(this, "leases", {
      name: names.leaseContainer,
      resourceGroupName: props.placement.resourceGroupName,
      accountName: props.cosmosAccountName,
      databaseName: props.cosmosDatabaseName,
      // The change feed processor's lease documents are partitioned on their id.
      partitionKeyPaths: ["/id"],
      partitionKeyVersion: 2,
      throughput: props.leaseThroughputRu,
    });

    this.containerUrl = `${this.storageAccount.primaryBlobEndpoint}${this.container.name}`;
    this.appSettings = {
      [AZURE_LAKE_ENV.containerUrl]: this.containerUrl,
      [AZURE_LAKE_ENV.leaseContainer]: this.leaseContainer.name,
      [identityConnectionEndpointSetting(AZURE_LAKE_ENV.cosmosConnection)]: props.cosmosEndpoint,
    };
  }

  /** Lets the app's identity write lake files: 'Storage Blob Data Contributor' on the landing container only. */
  grantWriter(principalId: string): RoleAssignment {
    this.writer ??= new RoleAssignment(this, "writer", {
      scope: this.container.resourceManagerId,
      roleDefinitionName: AZURE_LAKE_WRITER_ROLE,
      principalId,
      principalType: "ServicePrincipal",
      description: `Lets cell ${this.props.cellId}'s Function App land its change events in the lake`,
    });
    return this.writer;
  }
}
