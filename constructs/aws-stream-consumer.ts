import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { AssetType, TerraformAsset } from "cdktf";
import type { Construct } from "constructs";
import { bundle, packageOf, type Bundle, type BundleSpec } from "./bundling";

/**
 * The parts every consumer of a cell table's stream has (the reporting lake, the standby
 * replication): a Lambda on its own role, an event source mapping on the stream (filtered, bisecting,
 * bounded retries, an encrypted SQS queue as its on-failure destination), its log group, and the
 * role's policies: read this table's stream, send to its queue, write its logs, X-Ray. DynamoDB lets
 * two consumers read a stream's shards at once; a third would need a fan-out (Kinesis Data Streams
 * for DynamoDB). Created in the caller's scope, so each consumer's Terraform addresses stay its own.
 */

/** What the stream's readers may do, on this table's stream only (the reads Lambda's event source mapping makes with the function's role). */
export const STREAM_READ_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"] as const;
/** How long a failure queue keeps a failed batch's description: SQS's maximum, 14 days. */
export const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export const policyDocument = (...statements: Array<Record<string, unknown>>): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const sourceCodeHashOf = (code: Pick<Bundle, "hash">): string => Buffer.from(code.hash, "hex").toString("base64");

export interface StreamConsumerProps {
  readonly names: { readonly function: string; readonly role: string; readonly functionLogGroup: string; readonly failureQueue: string };
  readonly descriptions: { readonly role: string; readonly function: string };
  readonly table: DynamodbTable;
  readonly partition: DataAwsPartition;
  readonly bundle: BundleSpec;
  readonly lambdaRuntime: string;
  readonly architecture: string;
  readonly logRetentionDays: number;
  readonly logging: { readonly logFormat: string; readonly applicationLogLevel: string; readonly systemLogLevel: string };
  readonly memorySizeMiB: number;
  readonly timeoutSeconds: number;
  readonly environment: Record<string, string>;
  /** The consumer's own rights beyond the stream, its queue and its logs (created after the stream's policy). */
  readonly policies: (role: IamRole) => IamRolePolicy[];
  readonly mapping: {
    readonly filter: unknown;
    readonly startingPosition: "TRIM_HORIZON" | "LATEST";
    readonly batchSize: number;
    readonly batchWindowSeconds: number;
    readonly maximumRetryAttempts: number;
  };
}

export interface StreamConsumer {
  readonly role: IamRole;
  readonly function: LambdaFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly failureQueue: SqsQueue;
  readonly code: Bundle;
}

export function streamConsumer(scope: Construct, props: StreamConsumerProps): StreamConsumer {
  const { names } = props;
  // --- failures -------------------------------------------------------------------------------
  const failureQueue = new SqsQueue(scope, "failure-queue", { name: names.failureQueue, sqsManagedSseEnabled: true, messageRetentionSeconds: FAILURE_RETENTION_SECONDS });

  // --- identity -------------------------------------------------------------------------------
  const logs = new CloudwatchLogGroup(scope, "function-logs", { name: names.functionLogGroup, retentionInDays: props.logRetentionDays });
  const role = new IamRole(scope, "role", {
    name: names.role,
    description: props.descriptions.role,
    assumeRolePolicy: policyDocument({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
  });
  const streamPolicy = new IamRolePolicy(scope, "stream-access", {
    name: "stream-access",
    role: role.name,
    policy: policyDocument(
      { Sid: "ReadTableStream", Effect: "Allow", Action: [...STREAM_READ_ACTIONS], Resource: props.table.streamArn },
      { Sid: "ListTableStreams", Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: `${props.table.arn}/stream/*` },
    ),
  });
  const own = props.policies(role);
  const queuePolicy = new IamRolePolicy(scope, "failure-queue-send", {
    name: "failure-queue-send",
    role: role.name,
    policy: policyDocument({ Sid: "SendFailedBatches", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: failureQueue.arn }),
  });
  const logsPolicy = new IamRolePolicy(scope, "log-access", {
    name: "log-access",
    role: role.name,
    policy: policyDocument({ Sid: "FunctionLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logs.arn}:*` }),
  });
  const tracingPolicy = new IamRolePolicyAttachment(scope, "tracing-access", { role: role.name, policyArn: `arn:${props.partition.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess` });

  // --- consumer -------------------------------------------------------------------------------
  const code = bundle(props.bundle);
  const asset = new TerraformAsset(scope, "code", { path: packageOf(code), type: AssetType.FILE, assetHash: code.hash });
  const fn = new LambdaFunction(scope, "function", {
    functionName: names.function,
    description: props.descriptions.function,
    role: role.arn,
    runtime: props.lambdaRuntime,
    architectures: [props.architecture],
    handler: "index.handler",
    filename: asset.path,
    sourceCodeHash: sourceCodeHashOf(code),
    memorySize: props.memorySizeMiB,
    timeout: props.timeoutSeconds,
    environment: { variables: props.environment },
    tracingConfig: { mode: "Active" },
    loggingConfig: { ...props.logging, logGroup: logs.name },
    dependsOn: [logs, logsPolicy, ...own, tracingPolicy],
  });
  const eventSourceMapping = new LambdaEventSourceMapping(scope, "stream-mapping", {
    eventSourceArn: props.table.streamArn,
    functionName: fn.arn,
    startingPosition: props.mapping.startingPosition,
    batchSize: props.mapping.batchSize,
    maximumBatchingWindowInSeconds: props.mapping.batchWindowSeconds,
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: props.mapping.maximumRetryAttempts,
    filterCriteria: { filter: [{ pattern: JSON.stringify(props.mapping.filter) }] },
    destinationConfig: { onFailure: { destinationArn: failureQueue.arn } },
    // The mapping checks on creation that the role may read the stream and send to the queue.
    dependsOn: [streamPolicy, queuePolicy],
  });
  return { role, function: fn, eventSourceMapping, failureQueue, code };
}
