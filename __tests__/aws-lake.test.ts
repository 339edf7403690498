import "./setup/cdktf-matchers";
import { Lazy } from "cdktf";
import { AWS_LAKE_ENV, LAKE_STREAM_FILTER } from "../cells/aws/config";
import { AWS_CELL_LOGGING, validateAwsCellProps } from "../constructs/aws-cell";
import { AWS_LAKE_BUNDLE, AWS_LAKE_DEFAULTS, AWS_LAKE_FUNCTION, AWS_LAKE_STREAM_ACTIONS, LAKE_FAILURE_RETENTION_SECONDS, LAKE_RECOVERY_DAYS } from "../constructs/aws-lake";
import { bundle } from "../constructs/bundling";
import { policyStatements } from "../policies/rules/aws/iam-policy-document";
import { awsCellProps, named, refTo, synthAwsCell, synthAwsCellStack } from "./support/aws-cell";
import { forSnapshot } from "./support/synth";

/** The AWS cell's reporting lake (`lake` prop): the bucket, the consumer and its stream mapping, on the synthesized JSON. */

/** The cell stack as the app builds it, with the lake's defaults; one more synth below with every lake prop set. */
const stack = synthAwsCellStack({ lake: {} });
const { json } = stack;
const tuned = synthAwsCell({ lake: { retentionDays: 730, infrequentAccessAfterDays: 90, batchSize: 500, batchWindowSeconds: 5, maximumRetryAttempts: 3 } }).json;
/** The lake's resource of `type` with construct id `id` (Terraform name `cell_lake_<id>_<hash>`). */
const lakeResource = (type: string, id: string) => named(json, type, `lake_${id}`).config;
const lakeRef = (type: string, id: string, attribute: string) => refTo(json, type, `lake_${id}`, attribute);
const bucketId = () => lakeRef("aws_s3_bucket", "bucket", "id");
const bucketArn = () => lakeRef("aws_s3_bucket", "bucket", "arn");
const statementsOf = (id: string) => policyStatements(lakeResource("aws_iam_role_policy", id).policy)!;

describe("the lake prop", () => {
  test("is off by default: no bucket, no consumer, no mapping", () => {
    const { json: plain } = synthAwsCell();
    for (const type of ["aws_s3_bucket", "aws_lambda_event_source_mapping", "aws_sqs_queue"]) expect(plain.resource[type]).toBeUndefined();
    expect(Object.keys(plain.resource.aws_lambda_function)).toHaveLength(1);
  });

  test.each<[string, object, RegExp]>([
    ["retentionDays is 0", { retentionDays: 0 }, /lake.retentionDays: must be an integer from 1 to 3650, got 0/],
    ["batchSize is above 10,000", { batchSize: 10_001 }, /lake.batchSize: must be an integer from 1 to 10000, got 10001/],
    ["batchWindowSeconds is above 300", { batchWindowSeconds: 301 }, /lake.batchWindowSeconds: must be an integer from 0 to 300/],
    ["maximumRetryAttempts is -1 (retry until the records expire)", { maximumRetryAttempts: -1 }, /lake.maximumRetryAttempts: must be an integer from 0 to 10000, got -1/],
    ["infrequentAccessAfterDays is below S3's 30", { infrequentAccessAfterDays: 10 }, /lake.infrequentAccessAfterDays: must be an integer of at least 30 .* got 10/],
    ["infrequentAccessAfterDays is not below retentionDays", { retentionDays: 60, infrequentAccessAfterDays: 60 }, /below lake.retentionDays \(60\), got 60/],
    ["a field is misspelt", { batchsize: 50 }, /lake.batchsize: unknown field; did you mean 'batchSize'\?/],
    ["an unknown field has no close match", { colour: "red" }, /lake.colour: unknown field; lake fields are retentionDays, infrequentAccessAfterDays, batchSize, batchWindowSeconds, maximumRetryAttempts/],
  ])("fails when %s, naming the field", (_case, lake, message) => {
    expect(() => validateAwsCellProps(awsCellProps({ lake }))).toThrow(message);
  });

  test("accepts its limits and skips tokens", () => {
    expect(() => validateAwsCellProps(awsCellProps({ lake: { retentionDays: 3650, infrequentAccessAfterDays: 30, batchSize: 1, batchWindowSeconds: 0, maximumRetryAttempts: 0 } }))).not.toThrow();
    const days = Lazy.numberValue({ produce: () => 90 });
    expect(() => validateAwsCellProps(awsCellProps({ lake: { retentionDays: days, infrequentAccessAfterDays: days } }))).not.toThrow();
  });
});

describe("the lake bucket", () => {
  test("is named after the cell, the account and the region (globally unique, stable)", () => {
    const bucket = lakeResource("aws_s3_bucket", "bucket");
    expect(bucket.bucket).toMatch(/^cells-alpha-lake-\$\{data\.aws_caller_identity\.[A-Za-z0-9_-]+\.account_id\}-eu-west-1$/);
    expect(bucket.force_destroy).toBeUndefined();
  });

  test("blocks every kind of public access and disables ACLs", () => {
    expect(lakeResource("aws_s3_bucket_public_access_block", "public-access-block")).toEqual({
      bucket: bucketId(),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(lakeResource("aws_s3_bucket_ownership_controls", "ownership-controls")).toEqual({ bucket: bucketId(), rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  test("encrypts with KMS (the AWS managed key) and a bucket key", () => {
    expect(lakeResource("aws_s3_bucket_server_side_encryption_configuration", "encryption").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true },
    ]);
  });

  test("denies every request without TLS, on the bucket and its objects", () => {
    const { bucket, policy } = lakeResource("aws_s3_bucket_policy", "tls-only");
    expect(bucket).toBe(bucketId());
    expect(JSON.parse(policy).Statement).toEqual([
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn(), `${bucketArn()}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ]);
  });

  test("is versioned; files expire after retentionDays, old versions after the recovery window, stale uploads after a day", () => {
    expect(lakeResource("aws_s3_bucket_versioning", "versioning").versioning_configuration).toEqual({ status: "Enabled" });
    const lifecycle = lakeResource("aws_s3_bucket_lifecycle_configuration", "lifecycle");
    expect(lifecycle.depends_on).toEqual([`aws_s3_bucket_versioning.${named(json, "aws_s3_bucket_versioning", "lake_versioning").name}`]);
    expect(lifecycle.rule).toEqual([
      {
        id: "lake-retention",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: AWS_LAKE_DEFAULTS.retentionDays }],
        noncurrent_version_expiration: [{ noncurrent_days: LAKE_RECOVERY_DAYS }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      },
      { id: "expired-delete-markers", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ expired_object_delete_marker: true }] },
    ]);
  });

  test("moves files to Standard-IA only when asked, and keeps them retentionDays", () => {
    expect(lakeResource("aws_s3_bucket_lifecycle_configuration", "lifecycle").rule[0].transition).toBeUndefined();
    const [rule] = named(tuned, "aws_s3_bucket_lifecycle_configuration", "lake_lifecycle").config.rule;
    expect(rule).toEqual(expect.objectContaining({ expiration: [{ days: 730 }], transition: [{ days: 90, storage_class: "STANDARD_IA" }] }));
  });
});

describe("the lake consumer", () => {
  test("runs the bundled lake handler with the cell's runtime and architecture, tracing and JSON logs in its own log group", () => {
    const fn = lakeResource("aws_lambda_function", "function");
    expect(fn).toEqual(
      expect.objectContaining({
        function_name: "cells-alpha-lake",
        handler: "index.handler",
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        memory_size: AWS_LAKE_FUNCTION.memorySizeMiB,
        timeout: AWS_LAKE_FUNCTION.timeoutSeconds,
        role: lakeRef("aws_iam_role", "role", "arn"),
        source_code_hash: Buffer.from(bundle(AWS_LAKE_BUNDLE).hash, "hex").toString("base64"),
        tracing_config: { mode: "Active" },
        logging_config: { log_format: AWS_CELL_LOGGING.logFormat, application_log_level: "INFO", system_log_level: "INFO", log_group: lakeRef("aws_cloudwatch_log_group", "function-logs", "name") },
      }),
    );
    expect(fn.environment.variables).toEqual({ [AWS_LAKE_ENV.cellId]: "alpha", [AWS_LAKE_ENV.bucket]: lakeRef("aws_s3_bucket", "bucket", "bucket") });
    expect(lakeResource("aws_cloudwatch_log_group", "function-logs")).toEqual({ name: "/aws/lambda/cells-alpha-lake", retention_in_days: 30 });
  });

  test("has a role of its own, not the API function's", () => {
    const role = lakeResource("aws_iam_role", "role");
    expect(role.name).toBe("cells-alpha-lake");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const roleRef = lakeRef("aws_iam_role", "role", "name");
    const lakePolicies = Object.values(json.resource.aws_iam_role_policy as Record<string, { role: string }>).filter((p) => p.role === roleRef);
    expect(lakePolicies).toHaveLength(4);
  });

  test("reads this table's stream only (no item access), writes below its cell's prefix only, sends to its queue only", () => {
    const table = refTo(json, "aws_dynamodb_table", "records", "stream_arn");
    expect(statementsOf("stream-access")).toEqual([
      expect.objectContaining({ effect: "Allow", actions: [...AWS_LAKE_STREAM_ACTIONS], resources: [table] }),
      expect.objectContaining({ effect: "Allow", actions: ["dynamodb:ListStreams"], resources: [`${refTo(json, "aws_dynamodb_table", "records", "arn")}/stream/*`] }),
    ]);
    expect(statementsOf("lake-write")).toEqual([expect.objectContaining({ actions: ["s3:PutObject"], resources: [`${bucketArn()}/cloud=aws/cell=alpha/*`] })]);
    expect(statementsOf("failure-queue-send")).toEqual([expect.objectContaining({ actions: ["sqs:SendMessage"], resources: [lakeRef("aws_sqs_queue", "failure-queue", "arn")] })]);
    expect(statementsOf("log-access")).toEqual([expect.objectContaining({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${lakeRef("aws_cloudwatch_log_group", "function-logs", "arn")}:*`] })]);
  });

  test("the API function's role gains nothing: still no stream or S3 action", () => {
    const apiRole = refTo(json, "aws_iam_role", "role", "name");
    const actions = Object.values(json.resource.aws_iam_role_policy as Record<string, { role: string; policy: string }>)
      .filter((p) => p.role === apiRole)
      .flatMap((p) => policyStatements(p.policy)!.flatMap((s) => s.actions));
    expect(actions.filter((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$|^s3:|^sqs:/.test(a))).toEqual([]);
    expect(actions).toContain("dynamodb:PutItem");
  });
});

describe("the stream mapping", () => {
  test("feeds the consumer from the table's stream: new outbox items only, from the oldest record, bounded retries, bisect, failures to the queue", () => {
    const mapping = lakeResource("aws_lambda_event_source_mapping", "stream-mapping");
    expect(mapping).toEqual({
      event_source_arn: refTo(json, "aws_dynamodb_table", "records", "stream_arn"),
      function_name: lakeRef("aws_lambda_function", "function", "arn"),
      starting_position: "TRIM_HORIZON",
      batch_size: AWS_LAKE_DEFAULTS.batchSize,
      maximum_batching_window_in_seconds: AWS_LAKE_DEFAULTS.batchWindowSeconds,
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: AWS_LAKE_DEFAULTS.maximumRetryAttempts,
      filter_criteria: { filter: [{ pattern: JSON.stringify(LAKE_STREAM_FILTER) }] },
      destination_config: { on_failure: { destination_arn: lakeRef("aws_sqs_queue", "failure-queue", "arn") } },
      depends_on: [
        `aws_iam_role_policy.${named(json, "aws_iam_role_policy", "lake_stream-access").name}`,
        `aws_iam_role_policy.${named(json, "aws_iam_role_policy", "lake_failure-queue-send").name}`,
      ],
    });
    expect(JSON.parse(mapping.filter_criteria.filter[0].pattern)).toEqual({ eventName: ["INSERT"], dynamodb: { Keys: { sk: { S: [{ prefix: "C#" }] } } } });
  });

  test("takes batch size, window and retries from props", () => {
    expect(named(tuned, "aws_lambda_event_source_mapping", "lake_stream-mapping").config).toEqual(
      expect.objectContaining({ batch_size: 500, maximum_batching_window_in_seconds: 5, maximum_retry_attempts: 3 }),
    );
  });

  test("the failure queue is encrypted and keeps a failed batch's description for 14 days", () => {
    expect(lakeResource("aws_sqs_queue", "failure-queue")).toEqual({ name: "cells-alpha-lake-failures", sqs_managed_sse_enabled: true, message_retention_seconds: LAKE_FAILURE_RETENTION_SECONDS });
  });
});

describe("the AwsCellStack with a lake", () => {
  test("outputs the lake bucket and the failure queue, neither secret", () => {
    expect(stack.json.output["lake-bucket"]).toEqual(expect.objectContaining({ value: expect.stringMatching(/^\$\{aws_s3_bucket\.cell_lake_bucket_[0-9A-F]{8}\.bucket\}$/) }));
    expect(stack.json.output["lake-failure-queue"].sensitive).toBeUndefined();
  });

  test("the lake bucket keeps its Terraform address (a rename would destroy the lake)", () => {
    expect(Object.keys(stack.json.resource.aws_s3_bucket)).toEqual(["cell_lake_bucket_49D0B7DE"]);
  });

  test("snapshot of the lake's resources", () => {
    const lake = Object.fromEntries(
      Object.entries(stack.json.resource as Record<string, Record<string, unknown>>)
        .map(([type, resources]) => [type, Object.fromEntries(Object.entries(resources).filter(([name]) => name.startsWith("cell_lake_")))])
        .filter(([, resources]) => Object.keys(resources as object).length > 0),
    );
    expect(forSnapshot(JSON.stringify(lake))).toMatchSnapshot();
  });
});
