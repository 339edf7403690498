import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { AWS_CELL_ENV, AWS_STANDBY_LAMBDA_ENTRY, STANDBY_STREAM_FILTER, TABLE_SCHEMA } from "../cells/aws/config";
import { STANDBY_TIMING_ENV } from "../cells/core/replication-settings";
import { policyDocument, streamConsumer } from "./aws-stream-consumer";
import type { Bundle, BundleSpec } from "./bundling";
import { AWS_STANDBY_DEFAULTS, AWS_STANDBY_SWEEP_SECONDS } from "./props/standby-props";

/**
 * The AWS cell's standby replication consumer (`AwsCellProps.standby`): for each tenant whose primary
 * this cell is and that has a standby (`cellctl standby`), it pushes every committed change to the
 * standby cell, in any cloud, over the standby's replication route, signed with the link's own key.
 *
 * - The fast path: the table's stream, filtered to new outbox items (the lake's filter: one stream,
 *   two consumers), feeds the consumer through an event source mapping from `LATEST` (a new standby
 *   starts with a seed and a sweep; the stream's history is not needed), with no batching window.
 *   Best effort: a standby that does not answer is left to the sweep, so a failed batch is rare (the
 *   cell's own table could not be read) and goes to the failure queue after a few retries.
 * - The sweep: an EventBridge schedule invokes it once a minute; it reads each linked tenant's outbox
 *   from the last confirmed point (less a margin), so it cannot miss a committed change, confirms the
 *   standby's replication point and renews the primary's write lease.
 *
 * Least privilege: besides the stream, its queue and its logs, the role may read this table
 * (ownership, the outbox, the ownership index) and put items whose attributes are all ownership
 * attributes (the lease and the link's progress, and the fence when a failover superseded this cell):
 * no record, answer or outbox item can be written with it (policy rule AWS-IAM-7). It calls out to the
 * standby over HTTPS; it holds no cell's key, only the links' keys, which live in the ownership items.
 */

/** Standby replication settings of an AWS cell. `standby: {}` turns it on with every default. */
export interface AwsCellStandbyProps {
  /**
   * The write lease one confirmation gives a primary, seconds: a failover waits this long (plus the
   * guard) after the primary's last confirmation, and a primary whose standby stops confirming takes
   * no writes once it runs out. More than two sweeps (a sweep a minute).
   * @default 150
   */
  readonly leaseSeconds?: number;
  /**
   * Most stream records per invocation of the fast path (1 to 1000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a failed fast-path batch before its description goes to the failure queue (the sweep
   * replicates its changes anyway).
   * @default 3
   */
  readonly maximumRetryAttempts?: number;
}

export type ResolvedAwsStandbyProps = Required<AwsCellStandbyProps>;

export const resolveAwsStandbyProps = (standby: AwsCellStandbyProps): ResolvedAwsStandbyProps => ({
  leaseSeconds: standby.leaseSeconds ?? AWS_STANDBY_DEFAULTS.leaseSeconds,
  batchSize: standby.batchSize ?? AWS_STANDBY_DEFAULTS.batchSize,
  maximumRetryAttempts: standby.maximumRetryAttempts ?? AWS_STANDBY_DEFAULTS.maximumRetryAttempts,
});

/** The consumer's memory and timeout: a sweep pushes at most a few thousand changes per tenant. */
export const AWS_STANDBY_FUNCTION = { memorySizeMiB: 256, timeoutSeconds: 60 } as const;
/** How far before the last confirmed point a sweep reads, seconds (a move's margin). */
export const AWS_STANDBY_SCAN_MARGIN_SECONDS = 45;

/**
 * The attributes an ownership item may carry (`DynamoDbTenantStore`): the only attributes the
 * consumer may write. A record, an answer or an outbox item carries others, so none can be written.
 */
export const OWNERSHIP_ITEM_ATTRIBUTES = [
  TABLE_SCHEMA.partitionKey,
  TABLE_SCHEMA.sortKey,
  TABLE_SCHEMA.ownershipIndex.partitionKey,
  "tenantId",
  "epoch",
  "state",
  "updatedAt",
  "movedToCell",
  "movedToEpoch",
  "operation",
  "standbyLink",
  "confirmedThrough",
  "leaseUntil",
  "replica",
] as const;

export const AWS_STANDBY_BUNDLE: BundleSpec = {
  name: "aws-standby-lambda",
  entry: AWS_STANDBY_LAMBDA_ENTRY,
  platform: "node",
  format: "cjs",
  outFile: "index.js",
  external: ["@aws-sdk/*"],
  archive: true,
};

/** Physical names of the consumer's resources, from the cell id. */
export function awsStandbyNames(cellId: string) {
  const functionName = `cells-${cellId}-standby`;
  return {
    function: functionName,
    role: functionName,
    functionLogGroup: `/aws/lambda/${functionName}`,
    failureQueue: `cells-${cellId}-standby-failures`,
    sweepRule: `cells-${cellId}-standby-sweep`,
  } as const;
}

export interface AwsStandbyProps {
  readonly cellId: string;
  readonly table: DynamodbTable;
  /** The cell function's timeout: no write it started can still commit past it, which bounds the guard. */
  readonly cellTimeoutSeconds: number;
  readonly lambdaRuntime: string;
  readonly architecture: string;
  readonly logRetentionDays: number;
  readonly logging: { readonly logFormat: string; readonly applicationLogLevel: string; readonly systemLogLevel: string };
  readonly standby: ResolvedAwsStandbyProps;
}

export class AwsStandby extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly failureQueue: SqsQueue;
  readonly sweepRule: CloudwatchEventRule;
  readonly code: Bundle;

  constructor(scope: Construct, id: string, props: AwsStandbyProps) {
    super(scope, id);
    const names = awsStandbyNames(props.cellId);
    const partition = new DataAwsPartition(this, "partition");
    const { table, standby } = props;
    const consumer = streamConsumer(this, {
      names,
      descriptions: { role: `Execution role of cell ${props.cellId}'s standby replication consumer`, function: `Replicates cell ${props.cellId}'s tenants to their standby cells` },
      table,
      partition,
      bundle: AWS_STANDBY_BUNDLE,
      lambdaRuntime: props.lambdaRuntime,
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      logging: props.logging,
      memorySizeMiB: AWS_STANDBY_FUNCTION.memorySizeMiB,
      timeoutSeconds: AWS_STANDBY_FUNCTION.timeoutSeconds,
      environment: {
        [AWS_CELL_ENV.cellId]: props.cellId,
        [AWS_CELL_ENV.tableName]: table.name,
        [STANDBY_TIMING_ENV.leaseMs]: String(standby.leaseSeconds * 1000),
        [STANDBY_TIMING_ENV.guardMs]: String((props.cellTimeoutSeconds + 5) * 1000),
        [STANDBY_TIMING_ENV.scanMarginMs]: String(AWS_STANDBY_SCAN_MARGIN_SECONDS * 1000),
      },
      policies: (role) => [
        new IamRolePolicy(this, "table-access", {
          name: "table-access",
          role: role.name,
          policy: policyDocument(
            { Sid: "ReadOwnershipAndOutbox", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: [table.arn, `${table.arn}/index/${TABLE_SCHEMA.ownershipIndex.name}`] },
            {
              Sid: "WriteOwnershipOnly",
              Effect: "Allow",
              Action: ["dynamodb:PutItem"],
              Resource: table.arn,
              Condition: { "ForAllValues:StringEquals": { "dynamodb:Attributes": [...OWNERSHIP_ITEM_ATTRIBUTES] } },
            },
          ),
        }),
      ],
      mapping: { filter: STANDBY_STREAM_FILTER, startingPosition: "LATEST", batchSize: standby.batchSize, batchWindowSeconds: 0, maximumRetryAttempts: standby.maximumRetryAttempts },
    });
    this.function = consumer.function;
    this.role = consumer.role;
    this.eventSourceMapping = consumer.eventSourceMapping;
    this.failureQueue = consumer.failureQueue;
    this.code = consumer.code;

    // --- the sweep: once a minute ---------------------------------------------------------------
    this.sweepRule = new CloudwatchEventRule(this, "sweep-schedule", {
      name: names.sweepRule,
      description: `Sweeps cell ${props.cellId}'s standby links: replication points and write leases`,
      scheduleExpression: `rate(${AWS_STANDBY_SWEEP_SECONDS / 60} minute)`,
    });
    new CloudwatchEventTarget(this, "sweep-target", { rule: this.sweepRule.name, arn: this.function.arn, targetId: "standby-sweep" });
    new LambdaPermission(this, "sweep-invoke", {
      statementId: "AllowSweepSchedule",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.sweepRule.arn,
    });
  }
}
