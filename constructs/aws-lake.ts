import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AWS_LAKE_DEFAULTS } from "./props/lake-props";
import { Construct } from "constructs";
import { AWS_LAKE_ENV, AWS_LAKE_LAMBDA_ENTRY, LAKE_STREAM_FILTER } from "../cells/aws/config";
import { lakeCellPrefix } from "../cells/core/lake";
import type { Bundle, BundleSpec } from "./bundling";
import { FAILURE_RETENTION_SECONDS, STREAM_READ_ACTIONS, policyDocument, streamConsumer } from "./aws-stream-consumer";

/**
 * The AWS cell's reporting-lake consumer (`AwsCellProps.lake`): the table's stream, filtered to new
 * outbox items, feeds a Lambda through an event source mapping, and the Lambda lands each batch in
 * the cell's own S3 bucket as NDJSON files (`cloud=aws/cell=<cellId>/dt=<day>/...`).
 *
 * Why a consumer Lambda and not Firehose (or EventBridge Pipes to Firehose): the outbox entries must
 * become the same files on both clouds, with names that make a redelivered batch overwrite itself,
 * and with a check that each event belongs to the partition it came from. That is the core's
 * `deliverToLake`, which runs as is in the Lambda, in the Azure trigger and in the sandbox; Firehose
 * would need its own transformation Lambda for that anyway, plus a delivery stream per cell, and
 * would name files itself. The price: one PutObject per batch and day, i.e. small files; the report
 * compacts them into Parquet.
 *
 * Failures: the function throws when a file could not be written; the mapping retries the batch
 * (bisecting it, so one bad record cannot block its neighbours), and after `maximumRetryAttempts`
 * sends the batch's description (shard, sequence numbers) to an encrypted SQS queue and moves on. The
 * outbox entries themselves stay in the table for `CHANGE_RETENTION_SECONDS` (7 days), so a failed
 * batch can be landed again from there (`GET /admin/tenants/{t}/changes`).
 */

/** Reporting-lake settings of an AWS cell. `lake: {}` turns the lake on with every default. */
export interface AwsCellLakeProps {
  /**
   * Days a lake file is kept; S3 deletes it afterwards. After `CHANGE_RETENTION_SECONDS` (7 days) the
   * lake is the only copy of a change's history.
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * Days after which lake files move to S3 Standard-IA (at least 30, S3's minimum, and below
   * `retentionDays`). S3 never moves objects under 128 KiB, and most batch files are smaller: set it
   * only when batches are large.
   * @default - no transition
   */
  readonly infrequentAccessAfterDays?: number;
  /**
   * Most stream records per invocation of the consumer (1 to 10,000), so per file.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Seconds the mapping gathers records before it invokes the consumer (0 to 300): the lake's lag
   * against the number of invocations and files.
   * @default 1
   */
  readonly batchWindowSeconds?: number;
  /**
   * Retries of a failed batch before its description goes to the failure queue (0 to 10,000).
   * @default 10
   */
  readonly maximumRetryAttempts?: number;
}

/** `AwsCellLakeProps` with every default filled in (`infrequentAccessAfterDays` stays optional). */
export type ResolvedAwsLakeProps = Required<Omit<AwsCellLakeProps, "infrequentAccessAfterDays">> & Pick<AwsCellLakeProps, "infrequentAccessAfterDays">;

// The rules and defaults of `lake` live in constructs/props/lake-props.ts (zod, no providers).
export { AWS_LAKE_DEFAULTS, AWS_LAKE_PROPS } from "./props/lake-props";

/** Days an overwritten or deleted lake file stays recoverable (a noncurrent version), on both clouds. */
export const LAKE_RECOVERY_DAYS = 30;
/** How long the failure queue keeps a failed batch's description: SQS's maximum, 14 days. */
export const LAKE_FAILURE_RETENTION_SECONDS = FAILURE_RETENTION_SECONDS;
/** The consumer's memory and timeout: one batch is at most a few MB of JSON. */
export const AWS_LAKE_FUNCTION = { memorySizeMiB: 256, timeoutSeconds: 60 } as const;

/**
 * What the consumer may do with the stream, and only on this table's stream: the reads Lambda's event
 * source mapping makes with the function's role. `ListStreams` is authorized on the table's streams.
 */
export const AWS_LAKE_STREAM_ACTIONS = STREAM_READ_ACTIONS;

/** How the consumer is bundled (like the cell's function: the runtime provides the AWS SDK). */
export const AWS_LAKE_BUNDLE: BundleSpec = {
  name: "aws-lake-lambda",
  entry: AWS_LAKE_LAMBDA_ENTRY,
  platform: "node",
  format: "cjs",
  outFile: "index.js",
  external: ["@aws-sdk/*"],
  archive: true,
};

export function resolveAwsLakeProps(lake: AwsCellLakeProps): ResolvedAwsLakeProps {
  return {
    retentionDays: lake.retentionDays ?? AWS_LAKE_DEFAULTS.retentionDays,
    infrequentAccessAfterDays: lake.infrequentAccessAfterDays,
    batchSize: lake.batchSize ?? AWS_LAKE_DEFAULTS.batchSize,
    batchWindowSeconds: lake.batchWindowSeconds ?? AWS_LAKE_DEFAULTS.batchWindowSeconds,
    maximumRetryAttempts: lake.maximumRetryAttempts ?? AWS_LAKE_DEFAULTS.maximumRetryAttempts,
  };
}

/**
 * Physical names of the lake's resources. The bucket name must be unique across all of AWS, so it
 * carries the account id and the region (`cells-<cellId>-lake-<account>-<region>`, at most 60 characters).
 */
export function awsLakeNames(cellId: string, accountId: string, region: string) {
  const functionName = `cells-${cellId}-lake`;
  return {
    bucket: `cells-${cellId}-lake-${accountId}-${region}`,
    function: functionName,
    role: `cells-${cellId}-lake`,
    functionLogGroup: `/aws/lambda/${functionName}`,
    failureQueue: `cells-${cellId}-lake-failures`,
  } as const;
}

export interface AwsLakeProps {
  readonly cellId: string;
  readonly region: string;
  /** The cell's table; its stream feeds the consumer. */
  readonly table: DynamodbTable;
  readonly lambdaRuntime: string;
  readonly architecture: string;
  readonly logRetentionDays: number;
  readonly logging: { readonly logFormat: string; readonly applicationLogLevel: string; readonly systemLogLevel: string };
  readonly lake: ResolvedAwsLakeProps;
}


/** The lake of one AWS cell; created by `AwsCell` when `lake` is set. */
export class AwsLake extends Construct {
  /** The cell's landing zone. Its Terraform address is guarded by a test: renaming it would destroy the lake. */
  readonly bucket: S3Bucket;
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  /** Descriptions of batches that failed every retry. */
  readonly failureQueue: SqsQueue;
  readonly code: Bundle;
  /** `cloud=aws/cell=<cellId>/`: the consumer may write below this prefix only. */
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: AwsLakeProps) {
    super(scope, id);
    const { lake } = props;
    const account = new DataAwsCallerIdentity(this, "account");
    const partition = new DataAwsPartition(this, "partition");
    const names = awsLakeNames(props.cellId, account.accountId, props.region);
    this.prefix = lakeCellPrefix({ cloud: "aws", cellId: props.cellId });

    // --- landing zone ---------------------------------------------------------------------------
    this.bucket = new S3Bucket(this, "bucket", { bucket: names.bucket });
    const bucketRef = { bucket: this.bucket.id };
    new S3BucketPublicAccessBlock(this, "public-access-block", { ...bucketRef, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    // ACLs off: the bucket owns every object, access is IAM only.
    new S3BucketOwnershipControls(this, "ownership-controls", { ...bucketRef, rule: { objectOwnership: "BucketOwnerEnforced" } });
    // SSE-KMS with the AWS managed key (like the table's encryption: its use is in CloudTrail), and a bucket key to spare KMS calls.
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      ...bucketRef,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
    });
    // Versioned: after the outbox's 7 days the lake is the only history, so an overwrite or a delete must be undoable.
    const versioning = new S3BucketVersioningA(this, "versioning", { ...bucketRef, versioningConfiguration: { status: "Enabled" } });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      ...bucketRef,
      rule: [
        {
          id: "lake-retention",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: lake.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: LAKE_RECOVERY_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          ...(lake.infrequentAccessAfterDays === undefined ? {} : { transition: [{ days: lake.infrequentAccessAfterDays, storageClass: "STANDARD_IA" }] }),
        },
        { id: "expired-delete-markers", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ expiredObjectDeleteMarker: true }] },
      ],
      dependsOn: [versioning],
    });
    new S3BucketPolicy(this, "tls-only", {
      ...bucketRef,
      policy: policyDocument({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    });

    // --- the consumer: its function, role, stream mapping and failure queue --------------------
    const consumer = streamConsumer(this, {
      names,
      descriptions: { role: `Execution role of cell ${props.cellId}'s lake consumer`, function: `Lands cell ${props.cellId}'s change stream in its lake bucket` },
      table: props.table,
      partition,
      bundle: AWS_LAKE_BUNDLE,
      lambdaRuntime: props.lambdaRuntime,
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      logging: props.logging,
      memorySizeMiB: AWS_LAKE_FUNCTION.memorySizeMiB,
      timeoutSeconds: AWS_LAKE_FUNCTION.timeoutSeconds,
      environment: { [AWS_LAKE_ENV.cellId]: props.cellId, [AWS_LAKE_ENV.bucket]: this.bucket.bucket },
      policies: (role) => [
        new IamRolePolicy(this, "lake-write", {
          name: "lake-write",
          role: role.name,
          policy: policyDocument({ Sid: "WriteLakeFiles", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${this.bucket.arn}/${this.prefix}*` }),
        }),
      ],
      // The whole 24 hours the stream keeps: a lake switched on later still gets the last day's changes.
      mapping: { filter: LAKE_STREAM_FILTER, startingPosition: "TRIM_HORIZON", batchSize: lake.batchSize, batchWindowSeconds: lake.batchWindowSeconds, maximumRetryAttempts: lake.maximumRetryAttempts },
    });
    this.role = consumer.role;
    this.function = consumer.function;
    this.eventSourceMapping = consumer.eventSourceMapping;
    this.failureQueue = consumer.failureQueue;
    this.code = consumer.code;
  }
}
