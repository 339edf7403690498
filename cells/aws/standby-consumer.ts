import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError, ReplicationSender, SettingsReader, jsonLineLogger, readReplicationTiming, systemClock, type Clock, type Logger, type ReplicationTiming, type SweepResult } from "../core";
import { AWS_CELL_ENV } from "./config";
import { DEFAULT_STORE_TIMEOUT_MS } from "./composition";
import { DynamoDbTenantStore } from "./dynamodb-tenant-store";
import { outboxEntriesOf, type StreamRecordLike } from "./lake-stream";

/**
 * The standby replication consumer's composition root (`standby-lambda.ts` hands it `process.env`;
 * the sandbox a plain object): the cell's table through the cell's own store adapter, and the core's
 * `ReplicationSender`. One Lambda, two event sources:
 *
 * - the table's stream (an event source mapping filtered to new outbox items): the fast path;
 * - a schedule (EventBridge, once a minute): the sweep, which sets each standby's replication point
 *   and renews the primary's write lease.
 *
 * The fast path throws only when the cell's own table cannot be read (the mapping retries, then
 * records the batch on its failure queue); a standby that does not answer is logged and left to the
 * sweep, so it never holds up the shard for the cell's other tenants.
 */

export interface AwsStandbyConfig {
  readonly cellId: string;
  readonly tableName: string;
  readonly region: string;
  readonly storeTimeoutMs: number;
  readonly dynamodbEndpoint?: string;
  readonly timing: ReplicationTiming;
}

/** Thrown when the settings cannot run the consumer; `problems` names every setting that is missing or wrong. */
export class AwsStandbyConfigError extends ConfigError {
  override readonly name = "AwsStandbyConfigError";
  constructor(problems: readonly string[]) {
    super("AWS standby consumer configuration is invalid", problems);
  }
}

export function readAwsStandbyConfig(env: Readonly<Record<string, string | undefined>>, defaults?: ReplicationTiming): AwsStandbyConfig {
  const settings = new SettingsReader(env);
  const cellId = settings.cellId(AWS_CELL_ENV.cellId);
  const tableName = settings.matching(AWS_CELL_ENV.tableName, /^[A-Za-z0-9_.-]{3,255}$/);
  const storeTimeoutMs = settings.integer(AWS_CELL_ENV.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 100, 60_000);
  const dynamodbEndpoint = settings.read(AWS_CELL_ENV.dynamodbEndpoint);
  const region = settings.read("AWS_REGION") ?? (dynamodbEndpoint !== undefined ? "us-east-1" : settings.required("AWS_REGION"));
  const timing = readReplicationTiming(settings, defaults);
  if (settings.problems.length > 0) throw new AwsStandbyConfigError(settings.problems);
  return { cellId, tableName, region, storeTimeoutMs, ...(dynamodbEndpoint === undefined ? {} : { dynamodbEndpoint }), timing };
}

/** What the Lambda receives: a batch of stream records, or the schedule's event. */
export type AwsStandbyEvent = { readonly Records: readonly StreamRecordLike[] } | { readonly source?: string; readonly "detail-type"?: string };

export interface AwsStandbyConsumer {
  /** The fast path: pushes the outbox items among `records`; the number of changes pushed. */
  onStream(records: readonly StreamRecordLike[]): Promise<number>;
  /** The sweep. */
  onSchedule(): Promise<SweepResult[]>;
  close(): void;
}

export interface AwsStandbyOverrides {
  readonly dynamodb?: DynamoDBClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
}

export function createAwsStandbyConsumer(config: AwsStandbyConfig, overrides: AwsStandbyOverrides = {}): AwsStandbyConsumer {
  const logger = overrides.logger ?? jsonLineLogger();
  const client =
    overrides.dynamodb ??
    new DynamoDBClient({
      region: config.region,
      requestHandler: { connectionTimeout: Math.min(1_000, config.storeTimeoutMs), requestTimeout: config.storeTimeoutMs, throwOnRequestTimeout: true },
      ...(config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
    });
  const sender = new ReplicationSender({
    cellId: config.cellId,
    store: new DynamoDbTenantStore({ client, tableName: config.tableName }),
    clock: overrides.clock ?? systemClock,
    logger,
    fetch: overrides.fetch ?? fetch,
    timing: config.timing,
  });
  return {
    onStream: (records) => sender.deliver(outboxEntriesOf(records).entries),
    onSchedule: () => sender.sweep(),
    close: () => {
      if (!overrides.dynamodb) client.destroy();
    },
  };
}

/** The Lambda handler: composes on the first invocation; a stream batch takes the fast path, anything else (the schedule) sweeps. */
export function lazyAwsStandbyHandler(readEnv: () => Readonly<Record<string, string | undefined>>, overrides: AwsStandbyOverrides = {}) {
  let consumer: AwsStandbyConsumer | undefined;
  const logger = overrides.logger ?? jsonLineLogger();
  return async (event: AwsStandbyEvent): Promise<void> => {
    if (!consumer) {
      try {
        consumer = createAwsStandbyConsumer(readAwsStandbyConfig(readEnv()), { ...overrides, logger });
      } catch (error) {
        logger.log({ level: "error", msg: "standby consumer could not start", error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    }
    if ("Records" in event && Array.isArray(event.Records)) await consumer.onStream(event.Records);
    else await consumer.onSchedule();
  };
}
