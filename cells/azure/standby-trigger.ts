import { CosmosClient } from "@azure/cosmos";
import { app, type CosmosDBv4FunctionOptions, type InvocationContext, type Timer } from "@azure/functions";
import { ConfigError, ReplicationSender, SettingsReader, jsonLineLogger, readReplicationTiming, systemClock, type Clock, type Logger, type ReplicationTiming, type SweepResult } from "../core";
import { cosmosClientOptions, readAzureCellConfig, type AzureCellOverrides } from "./composition";
import { AZURE_CELL_ENV, AZURE_STANDBY_ENV, DEFAULT_STANDBY_SWEEP_SCHEDULE, STANDBY_SWEEP_NAME, STANDBY_TRIGGER_NAME } from "./config";
import { CosmosTenantStore } from "./cosmos-tenant-store";
import { functionsLogSink, withInvocationLog } from "./functions-log";
import { outboxEntriesOfFeed } from "./lake-consumer";

/**
 * The Azure cell's standby replication consumer, in the cell's own Function App: a Cosmos DB trigger
 * on the records container's change feed (the fast path: it keeps the outbox documents, as the lake
 * trigger does, from its own lease prefix in its own lease container) and a timer (the sweep). Both
 * run the core's `ReplicationSender` on the cell's store adapter.
 *
 * The trigger's retry policy is bounded and short: the fast path is best effort (the sweep cannot miss
 * a committed change), and a failed batch must not hold up the feed. The deployed change feed
 * delivers the outbox documents themselves; the local emulator's feed is a stub, so the sandbox polls
 * the outbox documents instead and hands them to the same `deliver`.
 */
export const STANDBY_TRIGGER_OPTIONS = {
  connection: AZURE_STANDBY_ENV.cosmosConnection,
  databaseName: `%${AZURE_CELL_ENV.cosmosDatabase}%`,
  containerName: `%${AZURE_CELL_ENV.cosmosContainer}%`,
  leaseContainerName: `%${AZURE_STANDBY_ENV.leaseContainer}%`,
  createLeaseContainerIfNotExists: false,
  // A new standby link starts with a seed and its sweeps; the feed's history is not needed.
  startFromBeginning: false,
  maxItemsPerInvocation: 100,
  feedPollDelay: 1_000,
  retry: { strategy: "fixedDelay", maxRetryCount: 3, delayInterval: { seconds: 1 } },
} as const satisfies Omit<CosmosDBv4FunctionOptions, "handler">;

export interface AzureStandbyConsumer {
  onFeed(documents: readonly unknown[]): Promise<number>;
  onSweep(): Promise<SweepResult[]>;
  close(): void;
}

export interface AzureStandbyOverrides extends Pick<AzureCellOverrides, "credential" | "cosmosClientOptions"> {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
}

/** The consumer on the cell's own settings (the app's, or the sandbox's plain object). */
export function createAzureStandbyConsumer(env: Readonly<Record<string, string | undefined>>, overrides: AzureStandbyOverrides = {}, defaults?: ReplicationTiming): AzureStandbyConsumer {
  const settings = readAzureCellConfig(env);
  const reader = new SettingsReader(env);
  const timing = readReplicationTiming(reader, defaults);
  if (reader.problems.length > 0) throw new ConfigError("Azure standby consumer configuration is invalid", reader.problems);
  const logger = overrides.logger ?? jsonLineLogger(functionsLogSink);
  const client = new CosmosClient(cosmosClientOptions(settings, overrides));
  const container = client.database(settings.cosmosDatabase).container(settings.cosmosContainer);
  const sender = new ReplicationSender({
    cellId: settings.cellId,
    store: new CosmosTenantStore(container, settings.storeTimeoutMs),
    clock: overrides.clock ?? systemClock,
    logger,
    fetch: overrides.fetch ?? fetch,
    timing,
  });
  return {
    onFeed: (documents) => sender.deliver(outboxEntriesOfFeed(documents).entries),
    onSweep: () => sender.sweep(),
    close: () => client.dispose(),
  };
}

/**
 * Registers the standby trigger and the sweep timer when the app replicates (`STANDBY_LEASE_CONTAINER`
 * set); returns whether it did. Module load never fails: a bad setting shows up as a logged error on
 * each invocation.
 */
export function registerStandbyFunctions(env: Readonly<Record<string, string | undefined>>): boolean {
  if (!env[AZURE_STANDBY_ENV.leaseContainer]) return false;
  let consumer: AzureStandbyConsumer | undefined;
  const logger = jsonLineLogger(functionsLogSink);
  const run = <T>(context: InvocationContext, work: (c: AzureStandbyConsumer) => Promise<T>) =>
    withInvocationLog(context, async () => {
      try {
        consumer ??= createAzureStandbyConsumer(env, { logger });
        await work(consumer);
      } catch (error) {
        logger.log({ level: "error", msg: "standby replication failed; the next sweep retries", invocationId: context.invocationId, error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    });
  app.cosmosDB(STANDBY_TRIGGER_NAME, { ...STANDBY_TRIGGER_OPTIONS, retry: { ...STANDBY_TRIGGER_OPTIONS.retry }, handler: (documents: unknown[], context: InvocationContext) => run(context, (c) => c.onFeed(documents)) });
  app.timer(STANDBY_SWEEP_NAME, { schedule: env[AZURE_STANDBY_ENV.sweepSchedule] || DEFAULT_STANDBY_SWEEP_SCHEDULE, handler: (_timer: Timer, context: InvocationContext) => run(context, (c) => c.onSweep()) });
  return true;
}
