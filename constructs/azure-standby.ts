import { CosmosdbSqlContainer } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-container";
import { Construct } from "constructs";
import { AZURE_STANDBY_ENV, identityConnectionEndpointSetting } from "../cells/azure/config";
import { STANDBY_TIMING_ENV } from "../cells/core/replication-settings";
import { AZURE_STANDBY_DEFAULTS } from "./props/standby-props";

/**
 * The Azure cell's standby replication consumer (`AzureCellProps.standby`): a Cosmos DB trigger and a
 * timer in the cell's own Function App (`cells/azure/standby-trigger.ts`), pushing each linked
 * tenant's committed changes to its standby cell (in any cloud) over the standby's replication route,
 * signed with the link's own key.
 *
 * - The fast path: the records container's change feed (the outbox documents; the lake reads the same
 *   feed from its own lease container), from now on, with a short bounded retry: best effort.
 * - The sweep: the timer, every `sweepSeconds`, reads each linked tenant's outbox from the last
 *   confirmed point, confirms the standby's replication point and renews the primary's write lease.
 *
 * What it adds: the trigger's lease container (Terraform creates it; the app's identity may read and
 * write items, not create containers) and app settings: the lease container's name, the trigger's
 * identity-based connection (`STANDBY_COSMOS__accountEndpoint`, no key anywhere: policy rules AZ-FN-9
 * and AZ-FN-10) and the timing. No new role: the app's identity already holds the data-plane role on
 * the cell's Cosmos DB account, and the calls to the standby go out over HTTPS with the link's key.
 */

/** Standby replication settings of an Azure cell. `standby: {}` turns it on with every default. */
export interface AzureCellStandbyProps {
  /**
   * The write lease one confirmation gives a primary, seconds: a failover waits this long (plus the
   * guard) after the primary's last confirmation; more than two sweeps.
   * @default 90
   */
  readonly leaseSeconds?: number;
  /**
   * Seconds between sweeps (5 to 300): the replication point's granularity, and how often the lease is renewed.
   * @default 30
   */
  readonly sweepSeconds?: number;
}

export type ResolvedAzureStandbyProps = Required<AzureCellStandbyProps>;

export const resolveAzureStandbyProps = (standby: AzureCellStandbyProps): ResolvedAzureStandbyProps => ({
  leaseSeconds: standby.leaseSeconds ?? AZURE_STANDBY_DEFAULTS.leaseSeconds,
  sweepSeconds: standby.sweepSeconds ?? AZURE_STANDBY_DEFAULTS.sweepSeconds,
});

/** The Function App's `functionTimeout` is 25 s: no write it started can still commit past it (plus a margin). */
export const AZURE_STANDBY_GUARD_SECONDS = 30;
/** How far before the last confirmed point a sweep reads, seconds (a move's margin). */
export const AZURE_STANDBY_SCAN_MARGIN_SECONDS = 45;
/** The lease container's name, in the cell's database. */
export const AZURE_STANDBY_LEASE_CONTAINER = "standby-leases";

/** The timer's NCRONTAB schedule (seconds first) for a sweep every `seconds`: `*\/30 * * * * *`, or per minute from 60 on. */
export function sweepSchedule(seconds: number): string {
  return seconds < 60 ? `*/${seconds} * * * * *` : `0 */${Math.round(seconds / 60)} * * * *`;
}

export interface AzureStandbyProps {
  readonly cellId: string;
  readonly resourceGroupName: string;
  readonly cosmosAccountName: string;
  readonly cosmosEndpoint: string;
  readonly cosmosDatabaseName: string;
  /** Manual throughput for the lease container when the account is provisioned; undefined when serverless. */
  readonly leaseThroughputRu?: number;
  readonly standby: ResolvedAzureStandbyProps;
}

export class AzureStandby extends Construct {
  readonly leaseContainer: CosmosdbSqlContainer;
  /** The app settings the standby functions need (no secret). Setting the lease container is what registers them (function.ts). */
  readonly appSettings: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: AzureStandbyProps) {
    super(scope, id);
    this.leaseContainer = new CosmosdbSqlContainer(this, "leases", {
      name: AZURE_STANDBY_LEASE_CONTAINER,
      resourceGroupName: props.resourceGroupName,
      accountName: props.cosmosAccountName,
      databaseName: props.cosmosDatabaseName,
      partitionKeyPaths: ["/id"],
      partitionKeyVersion: 2,
      throughput: props.leaseThroughputRu,
    });
    const { standby } = props;
    this.appSettings = {
      [AZURE_STANDBY_ENV.leaseContainer]: this.leaseContainer.name,
      [identityConnectionEndpointSetting(AZURE_STANDBY_ENV.cosmosConnection)]: props.cosmosEndpoint,
      [AZURE_STANDBY_ENV.sweepSchedule]: sweepSchedule(standby.sweepSeconds),
      [STANDBY_TIMING_ENV.leaseMs]: String(standby.leaseSeconds * 1000),
      [STANDBY_TIMING_ENV.guardMs]: String(AZURE_STANDBY_GUARD_SECONDS * 1000),
      [STANDBY_TIMING_ENV.scanMarginMs]: String(AZURE_STANDBY_SCAN_MARGIN_SECONDS * 1000),
    };
  }
}
