import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { ConfigError, SettingsReader, deliverToLake, jsonLineLogger, lazyHandler, type LakeSource, type LandingZone, type Logger, type RejectedEntry } from "../core";
import { AWS_LAKE_ENV } from "./config";
import { outboxEntriesOf, type StreamRecordLike } from "./lake-stream";
import { S3LandingZone } from "./s3-landing-zone";

/**
 * The lake consumer's composition root (`lake-lambda.ts` hands it `process.env`): the Lambda that the
 * table's stream invokes through an event source mapping (filtered to new outbox items) and that lands
 * each batch in the cell's lake bucket with the core's `deliverToLake`.
 *
 * Failure handling is the event source mapping's: the handler throws when a file could not be written,
 * Lambda retries the batch (bisecting it), and after the last retry sends its description to the
 * on-failure queue. Entries that can never be landed (not a valid event, or another tenant's) are
 * logged as errors and skipped, so one bad item cannot hold up the shard.
 */

/** S3's rule for bucket names (3-63 lower-case letters, digits, dots and hyphens). */
const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface AwsLakeConfig {
  readonly cellId: string;
  readonly bucket: string;
  /** `AWS_REGION` (set by Lambda). */
  readonly region: string;
}

/** Thrown when the environment does not describe a usable lake consumer; `problems` names every bad variable. */
export class AwsLakeConfigError extends ConfigError {
  override readonly name = "AwsLakeConfigError";
  constructor(problems: readonly string[]) {
    super("invalid lake consumer configuration", problems);
  }
}

export function readAwsLakeConfig(env: Readonly<Record<string, string | undefined>>): AwsLakeConfig {
  const settings = new SettingsReader(env);
  const cellId = settings.cellId(AWS_LAKE_ENV.cellId);
  const bucket = settings.matching(AWS_LAKE_ENV.bucket, BUCKET_NAME_PATTERN);
  const region = settings.required("AWS_REGION");
  if (settings.problems.length > 0) throw new AwsLakeConfigError(settings.problems);
  return { cellId, bucket, region };
}

/** The Lambda handler type for a DynamoDB stream event source. */
export type DynamoDbStreamHandler = (event: DynamoDBStreamEvent) => Promise<void>;

export interface AwsLakeOverrides {
  /** Where files go. @default an `S3LandingZone` on the configured bucket */
  readonly zone?: LandingZone;
  readonly logger?: Logger;
}

/** Logs what a delivery refused, one error line per entry (ids only, never data). */
export function logRejected(logger: Logger, source: LakeSource, rejected: readonly RejectedEntry[]): void {
  for (const r of rejected) logger.log({ level: "error", msg: "lake.entry_refused", cloud: source.cloud, cellId: source.cellId, reason: r.reason, partitionTenantId: r.partitionTenantId, id: r.id });
}

/** Lands the outbox entries among `records` in `zone`; throws when a file could not be written. */
export async function landStreamRecords(records: readonly StreamRecordLike[], zone: LandingZone, source: LakeSource, logger: Logger): Promise<number> {
  const { entries, rejected: unreadable } = outboxEntriesOf(records);
  const delivery = await deliverToLake(entries, zone, source);
  logRejected(logger, source, [...unreadable, ...delivery.rejected]);
  if (delivery.files.length > 0) logger.log({ level: "info", msg: "lake.delivered", cellId: source.cellId, records: records.length, events: delivery.delivered, files: delivery.files.map((f) => f.key) });
  return delivery.delivered;
}

/** Builds the consumer from a validated configuration. */
export function createAwsLakeHandler(config: AwsLakeConfig, overrides: AwsLakeOverrides = {}): DynamoDbStreamHandler {
  const source: LakeSource = { cloud: "aws", cellId: config.cellId };
  const logger = overrides.logger ?? jsonLineLogger();
  const zone = overrides.zone ?? new S3LandingZone({ client: new S3Client({ region: config.region }), bucket: config.bucket });
  return async (event) => {
    await landStreamRecords(event.Records ?? [], zone, source, logger);
  };
}

/**
 * The Lambda entry's handler: composes on the first invocation and keeps the consumer for the life of
 * the container. A configuration error is logged and thrown, so the batch is retried (and, if the
 * error lasts, ends on the on-failure queue) instead of being acknowledged unread.
 */
export function lazyAwsLakeHandler(readEnv: () => Readonly<Record<string, string | undefined>>, overrides: AwsLakeOverrides = {}): DynamoDbStreamHandler {
  const logger = overrides.logger ?? jsonLineLogger();
  return lazyHandler(
    () => createAwsLakeHandler(readAwsLakeConfig(readEnv()), { ...overrides, logger }),
    (error) => {
      logger.log({ level: "error", msg: "lake consumer could not start", error: error instanceof Error ? error.message : String(error) });
      throw error;
    },
  );
}
