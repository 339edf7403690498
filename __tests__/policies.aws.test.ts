import "./setup/cdktf-matchers";
import { evaluatePolicies, type PolicyRule, type SynthesizedStack } from "../policies/engine";
import { ALL_RULES } from "../policies";
import { AWS_RULES } from "../policies/rules/aws";
import { synthAwsCellStack } from "./support/aws-cell";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** A fixture: the resource the rule checks (as `type.subject`) plus any related resources it looks up. */
interface Fixture {
  readonly subject: Record<string, unknown>;
  readonly others?: Resources;
}

const TABLE = "${aws_dynamodb_table.records.arn}";
const policy = (...statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const table = (overrides: Record<string, unknown> = {}) => ({
  name: "cells-alpha-records",
  point_in_time_recovery: { enabled: true },
  server_side_encryption: { enabled: true },
  deletion_protection_enabled: true,
  ...overrides,
});
const withTable: Resources = { aws_dynamodb_table: { records: table() } };
const BUCKET_ID = "${aws_s3_bucket.subject.id}";
const BUCKET_ARN = "${aws_s3_bucket.subject.arn}";
/** Everything a compliant bucket named `subject` has around it; `without` drops one kind, `replace` swaps one. */
const bucketCompanions = (replace: Resources = {}, without?: string): Resources => {
  const all: Resources = {
    aws_s3_bucket_public_access_block: { pab: { bucket: BUCKET_ID, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } },
    aws_s3_bucket_server_side_encryption_configuration: { sse: { bucket: BUCKET_ID, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true }] } },
    aws_s3_bucket_policy: {
      tls: {
        bucket: BUCKET_ID,
        policy: policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      },
    },
    aws_s3_bucket_lifecycle_configuration: {
      lc: {
        bucket: BUCKET_ID,
        rule: [{ id: "r", status: "Enabled", expiration: [{ days: 365 }], noncurrent_version_expiration: [{ noncurrent_days: 30 }], abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }] }],
      },
    },
    aws_s3_bucket_versioning: { v: { bucket: BUCKET_ID, versioning_configuration: { status: "Enabled" } } },
    aws_s3_bucket_ownership_controls: { own: { bucket: BUCKET_ID, rule: { object_ownership: "BucketOwnerEnforced" } } },
  };
  if (without) delete all[without];
  return { ...all, ...replace };
};
const bucketFixtures = (without: string, replace?: Resources): { pass: Fixture; fail: Fixture } => ({
  pass: { subject: { bucket: "cells-alpha-lake" }, others: bucketCompanions() },
  fail: { subject: { bucket: "cells-alpha-lake" }, others: replace ? bucketCompanions(replace) : bucketCompanions({}, without) },
});
const STREAM = "${aws_dynamodb_table.records.stream_arn}";
const OWNERSHIP_ONLY = { "ForAllValues:StringEquals": { "dynamodb:Attributes": ["pk", "sk", "state", "leaseUntil"] } };
const mapping = (overrides: Record<string, unknown> = {}) => ({
  event_source_arn: STREAM,
  bisect_batch_on_function_error: true,
  maximum_retry_attempts: 10,
  destination_config: { on_failure: { destination_arn: "${aws_sqs_queue.failures.arn}" } },
  filter_criteria: { filter: [{ pattern: "{}" }] },
  ...overrides,
});
const stage = (overrides: Record<string, unknown> = {}) => ({
  name: "$default",
  access_log_settings: { destination_arn: "${aws_cloudwatch_log_group.access.arn}", format: "{}" },
  default_route_settings: { throttling_rate_limit: 100, throttling_burst_limit: 200 },
  ...overrides,
});

/** One passing and one failing fixture per rule id. */
const FIXTURES: Record<string, { pass: Fixture; fail: Fixture }> = {
  "AWS-DDB-1": { pass: { subject: table() }, fail: { subject: table({ point_in_time_recovery: { enabled: false } }) } },
  "AWS-DDB-2": { pass: { subject: table({ server_side_encryption: [{ enabled: true }] }) }, fail: { subject: table({ server_side_encryption: undefined }) } },
  "AWS-DDB-3": { pass: { subject: table() }, fail: { subject: table({ deletion_protection_enabled: false }) } },
  // The rule's type must not appear at all: its passing fixture has no function URL, only a function.
  "AWS-LMB-1": { pass: { subject: {} }, fail: { subject: { function_name: "cells-alpha-api", authorization_type: "AWS_IAM" } } },
  "AWS-LMB-2": { pass: { subject: { tracing_config: { mode: "Active" } } }, fail: { subject: { tracing_config: { mode: "PassThrough" } } } },
  "AWS-LMB-3": {
    pass: { subject: { environment: { variables: { SIGNING_SECRET_ARN: "${aws_secretsmanager_secret.s.arn}", TABLE_NAME: "t" } } } },
    fail: { subject: { environment: { variables: { KEY: "${random_password.signing.result}" } } } },
  },
  "AWS-LMB-4": {
    pass: { subject: { principal: "apigateway.amazonaws.com", source_arn: "${aws_apigatewayv2_api.api.execution_arn}/*/*", action: "lambda:InvokeFunction" } },
    fail: { subject: { principal: "*", action: "lambda:InvokeFunctionUrl", function_url_auth_type: "NONE" } },
  },
  "AWS-IAM-1": {
    pass: { subject: { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: TABLE }) } },
    fail: { subject: { policy: policy({ Effect: "Allow", Action: "dynamodb:*", Resource: TABLE }) } },
  },
  "AWS-IAM-2": {
    pass: { subject: { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [TABLE] }) }, others: withTable },
    fail: { subject: { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: "*" }) }, others: withTable },
  },
  "AWS-IAM-3": {
    pass: { subject: { assume_role_policy: "{}" } },
    fail: { subject: { assume_role_policy: "{}", managed_policy_arns: ["arn:aws:iam::aws:policy/AdministratorAccess"] } },
  },
  "AWS-IAM-4": {
    pass: { subject: { policy_arn: "arn:${data.aws_partition.p.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess" } },
    fail: { subject: { policy_arn: "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess" } },
  },
  "AWS-LMB-5": {
    pass: { subject: { logging_config: { log_format: "JSON", application_log_level: "INFO", system_log_level: "INFO" } } },
    // What the cell synthesized before: JSON, but a WARN system level that drops START/REPORT.
    fail: { subject: { logging_config: { log_format: "JSON", application_log_level: "INFO", system_log_level: "WARN" } } },
  },
  "AWS-LOG-1": { pass: { subject: { name: "/aws/lambda/x", retention_in_days: 30 } }, fail: { subject: { name: "/aws/lambda/x" } } },
  "AWS-API-1": { pass: { subject: stage() }, fail: { subject: stage({ access_log_settings: undefined }) } },
  "AWS-API-2": { pass: { subject: stage() }, fail: { subject: stage({ default_route_settings: { detailed_metrics_enabled: true } }) } },
  "AWS-IAM-5": {
    pass: { subject: { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords", "dynamodb:GetShardIterator"], Resource: STREAM }) }, others: withTable },
    fail: { subject: { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: "*" }) }, others: withTable },
  },
  "AWS-IAM-6": {
    pass: { subject: { policy: policy({ Effect: "Allow", Action: ["s3:PutObject"], Resource: "${aws_s3_bucket.lake.arn}/cloud=aws/cell=alpha/*" }) }, others: { aws_s3_bucket: { lake: {} } } },
    fail: { subject: { policy: policy({ Effect: "Allow", Action: ["s3:PutObject"], Resource: "arn:aws:s3:::*" }) }, others: { aws_s3_bucket: { lake: {} } } },
  },
  "AWS-S3-1": bucketFixtures("aws_s3_bucket_public_access_block"),
  "AWS-S3-2": bucketFixtures("aws_s3_bucket_server_side_encryption_configuration"),
  "AWS-S3-3": bucketFixtures("aws_s3_bucket_policy"),
  "AWS-S3-4": bucketFixtures("", { aws_s3_bucket_lifecycle_configuration: { lc: { bucket: BUCKET_ID, rule: [{ id: "r", status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 30 }] }] } } }),
  "AWS-S3-5": bucketFixtures("aws_s3_bucket_versioning"),
  "AWS-S3-6": bucketFixtures("aws_s3_bucket_ownership_controls"),
  "AWS-SQS-1": { pass: { subject: { name: "q", sqs_managed_sse_enabled: true } }, fail: { subject: { name: "q", sqs_managed_sse_enabled: false } } },
  "AWS-ESM-1": { pass: { subject: mapping() }, fail: { subject: mapping({ bisect_batch_on_function_error: undefined, maximum_retry_attempts: -1, destination_config: undefined }) } },
  "AWS-IAM-7": {
    pass: { subject: { role: "consumer", policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: STREAM }, { Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: TABLE, Condition: OWNERSHIP_ONLY }) } },
    fail: { subject: { role: "consumer", policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: STREAM }, { Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: TABLE }) } },
  },
};

/** A stack holding the fixture; AWS-LMB-1's passing case holds a function instead of a function URL. */
function stackOf(rule: PolicyRule, fixture: Fixture, passing: boolean): SynthesizedStack {
  const type = rule.id === "AWS-LMB-1" && passing ? "aws_lambda_function" : rule.resourceType;
  return { resource: { ...fixture.others, [type]: { subject: fixture.subject } } };
}

const ruleById = (id: string): PolicyRule => {
  const rule = AWS_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id}`);
  return rule;
};

describe("AWS policy rules", () => {
  test("ids are unique and every rule has a passing and a failing fixture", () => {
    const ids = AWS_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.keys(FIXTURES).sort());
  });

  test("are part of ALL_RULES", () => {
    expect(ALL_RULES).toEqual(expect.arrayContaining([...AWS_RULES]));
  });

  test.each(Object.keys(FIXTURES))("%s passes its compliant fixture", (id) => {
    const rule = ruleById(id);
    expect(evaluatePolicies(stackOf(rule, FIXTURES[id]!.pass, true), [rule])).toEqual([]);
  });

  test.each(Object.keys(FIXTURES))("%s flags its non-compliant fixture", (id) => {
    const rule = ruleById(id);
    expect(evaluatePolicies(stackOf(rule, FIXTURES[id]!.fail, false), [rule])).toEqual([
      { ruleId: id, address: `${rule.resourceType}.subject`, message: expect.any(String) },
    ]);
  });
});

describe("AWS policy rules, edge cases", () => {
  const check = (id: string, subject: Record<string, unknown>, others?: Resources) => ruleById(id).check(subject, { resources: { ...others } });

  test.each([
    ["a wildcard inside an action name", { Effect: "Allow", Action: ["dynamodb:Get*"], Resource: TABLE }],
    ["NotAction", { Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }],
    ["a bare '*' action", { Effect: "Allow", Action: "*", Resource: "*" }],
  ])("AWS-IAM-1 flags %s", (_case, statement) => {
    expect(check("AWS-IAM-1", { policy: policy(statement) })).toMatch(/NotAction|wildcard/);
  });

  test.each([
    ["a table pattern", "arn:aws:dynamodb:eu-west-1:123456789012:table/*"],
    ["another cell's table by literal ARN", "arn:aws:dynamodb:eu-west-1:123456789012:table/cells-beta-records"],
    ["the table's stream", "${aws_dynamodb_table.records.stream_arn}"],
    ["a table of another stack", "${aws_dynamodb_table.elsewhere.arn}"],
    ["every index of the table", "${aws_dynamodb_table.records.arn}/index/*"],
  ])("AWS-IAM-2 flags DynamoDB actions on %s", (_case, resource) => {
    expect(check("AWS-IAM-2", { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: resource }) }, withTable)).toMatch(/grants DynamoDB actions on/);
  });

  test("AWS-IAM-2 accepts one named index of a table in this stack", () => {
    expect(check("AWS-IAM-2", { policy: policy({ Effect: "Allow", Action: ["dynamodb:Query"], Resource: ["${aws_dynamodb_table.records.arn}/index/ownership"] }) }, withTable)).toBeUndefined();
  });

  test("AWS-IAM-2 leaves statements without DynamoDB actions alone", () => {
    expect(check("AWS-IAM-2", { policy: policy({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "${aws_secretsmanager_secret.s.arn}" }) })).toBeUndefined();
  });

  test("the IAM rules flag a policy they cannot read instead of passing it", () => {
    const opaque = { policy: "${data.aws_iam_policy_document.p.json}" };
    expect(check("AWS-IAM-1", opaque)).toMatch(/literal JSON policy document/);
    expect(check("AWS-IAM-2", opaque)).toMatch(/literal JSON policy document/);
  });

  test("AWS-LMB-3 flags an environment variable named like a secret", () => {
    expect(check("AWS-LMB-3", { environment: { variables: { SIGNING_SECRET: "literal" } } })).toMatch(/SIGNING_SECRET/);
  });

  test("AWS-LMB-4 flags a service permission without a source ARN", () => {
    expect(check("AWS-LMB-4", { principal: "apigateway.amazonaws.com", action: "lambda:InvokeFunction" })).toMatch(/source_arn/);
  });

  test("AWS-LMB-5 flags the Text log format and a missing logging_config, and accepts DEBUG", () => {
    expect(check("AWS-LMB-5", { logging_config: { log_format: "Text" } })).toMatch(/log_format must be 'JSON', got 'Text'/);
    expect(check("AWS-LMB-5", {})).toMatch(/log_format must be 'JSON'/);
    expect(check("AWS-LMB-5", { logging_config: [{ log_format: "JSON", system_log_level: "DEBUG" }] })).toBeUndefined();
    expect(check("AWS-LMB-5", { logging_config: { log_format: "JSON", system_log_level: "ERROR" } })).toMatch(/drops the START\/REPORT lines/);
  });

  test("AWS-IAM-7 looks at every policy of a stream-reading role, never lets it delete or batch-write, and leaves other roles alone", () => {
    const reads = { aws_iam_role_policy: { stream: { role: "consumer", policy: policy({ Effect: "Allow", Action: ["dynamodb:GetShardIterator"], Resource: STREAM }) } } };
    const writes = (role: string, action: string, condition?: object) => ({ role, policy: policy({ Effect: "Allow", Action: [action], Resource: TABLE, ...(condition ? { Condition: condition } : {}) }) });
    const run = (subject: Record<string, unknown>) => ruleById("AWS-IAM-7").check(subject, { resources: { aws_iam_role_policy: { ...reads.aws_iam_role_policy, subject } }, name: "subject" });
    expect(run(writes("consumer", "dynamodb:UpdateItem"))).toMatch(/grants dynamodb:UpdateItem to a role that reads a DynamoDB stream without a ForAllValues:StringEquals condition/);
    expect(run(writes("consumer", "dynamodb:DeleteItem", OWNERSHIP_ONLY))).toMatch(/grants dynamodb:DeleteItem to a role that reads a DynamoDB stream/);
    expect(run(writes("consumer", "dynamodb:TransactWriteItems", OWNERSHIP_ONLY))).toMatch(/TransactWriteItems/);
    expect(run(writes("consumer", "dynamodb:PutItem", OWNERSHIP_ONLY))).toBeUndefined();
    expect(run(writes("api", "dynamodb:TransactWriteItems"))).toBeUndefined(); // the cell's own role reads no stream
  });

  test("AWS-IAM-2 leaves a statement of stream reads to AWS-IAM-5, and still flags table actions on the stream", () => {
    expect(check("AWS-IAM-2", { policy: policy({ Effect: "Allow", Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords"], Resource: STREAM }) }, withTable)).toBeUndefined();
    expect(check("AWS-IAM-2", { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords", "dynamodb:GetItem"], Resource: STREAM }) }, withTable)).toMatch(/grants DynamoDB actions on/);
  });

  test.each([
    ["every stream", "*"],
    ["another cell's stream by literal ARN", "arn:aws:dynamodb:eu-west-1:123456789012:table/cells-beta-records/stream/2026-01-01T00:00:00.000"],
    ["a stream of a table of another stack", "${aws_dynamodb_table.elsewhere.stream_arn}"],
    ["the table itself", "${aws_dynamodb_table.records.arn}"],
  ])("AWS-IAM-5 flags stream reads on %s, and accepts the table's streams", (_case, resource) => {
    expect(check("AWS-IAM-5", { policy: policy({ Effect: "Allow", Action: ["dynamodb:GetRecords"], Resource: resource }) }, withTable)).toMatch(/grants stream actions on/);
    expect(check("AWS-IAM-5", { policy: policy({ Effect: "Allow", Action: ["dynamodb:ListStreams"], Resource: "${aws_dynamodb_table.records.arn}/stream/*" }) }, withTable)).toBeUndefined();
  });

  test.each([
    ["every bucket's objects", "arn:aws:s3:::*/*"],
    ["a bucket of another stack", "${aws_s3_bucket.elsewhere.arn}/*"],
    ["another cell's bucket by name", "arn:aws:s3:::cells-beta-lake-123456789012-us-east-1/*"],
  ])("AWS-IAM-6 flags S3 actions on %s", (_case, resource) => {
    expect(check("AWS-IAM-6", { policy: policy({ Effect: "Allow", Action: ["s3:PutObject"], Resource: resource }) }, { aws_s3_bucket: { lake: {} } })).toMatch(/grants S3 actions on/);
  });

  test("the bucket rules look only at settings of their own bucket", () => {
    const elsewhere = (type: string) => ({ [type]: Object.fromEntries(Object.entries(bucketCompanions()[type]!).map(([k, v]) => [k, { ...v, bucket: "${aws_s3_bucket.other.id}" }])) });
    for (const [id, type] of [
      ["AWS-S3-1", "aws_s3_bucket_public_access_block"],
      ["AWS-S3-2", "aws_s3_bucket_server_side_encryption_configuration"],
      ["AWS-S3-3", "aws_s3_bucket_policy"],
      ["AWS-S3-5", "aws_s3_bucket_versioning"],
      ["AWS-S3-6", "aws_s3_bucket_ownership_controls"],
    ] as const) {
      expect(ruleById(id).check({}, { resources: { ...bucketCompanions(elsewhere(type)) }, name: "subject" })).toEqual(expect.any(String));
    }
  });

  test("AWS-S3-1 names the public access settings left off; AWS-S3-3 wants the deny on the objects too", () => {
    const halfBlocked = bucketCompanions({ aws_s3_bucket_public_access_block: { pab: { bucket: BUCKET_ID, block_public_acls: true, ignore_public_acls: true } } });
    expect(ruleById("AWS-S3-1").check({}, { resources: halfBlocked, name: "subject" })).toBe("the public access block must set block_public_policy, restrict_public_buckets to true");
    const bucketOnly = bucketCompanions({
      aws_s3_bucket_policy: { tls: { bucket: BUCKET_ID, policy: policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: BUCKET_ARN, Condition: { Bool: { "aws:SecureTransport": "false" } } }) } },
    });
    expect(ruleById("AWS-S3-3").check({}, { resources: bucketOnly, name: "subject" })).toMatch(/denies s3:\* on the bucket and its objects/);
  });

  test("AWS-S3-5 flags versioning without an expiry of noncurrent versions", () => {
    const forever = bucketCompanions({ aws_s3_bucket_lifecycle_configuration: { lc: { bucket: BUCKET_ID, rule: [{ id: "r", status: "Enabled", expiration: [{ days: 30 }] }] } } });
    expect(ruleById("AWS-S3-5").check({}, { resources: forever, name: "subject" })).toMatch(/noncurrent versions/);
  });

  test("AWS-ESM-1 lists every missing safeguard, leaves mappings on other sources alone, and wants a filter", () => {
    expect(check("AWS-ESM-1", mapping({ bisect_batch_on_function_error: false, maximum_retry_attempts: undefined, destination_config: undefined, filter_criteria: undefined }))).toBe(
      "bisect_batch_on_function_error must be true; maximum_retry_attempts must be 0 to 10000 (unset or -1 retries until the records expire), got undefined; destination_config.on_failure.destination_arn must name a queue or topic; filter_criteria must hold at least one filter",
    );
    expect(check("AWS-ESM-1", { event_source_arn: "${aws_sqs_queue.q.arn}" })).toBeUndefined();
  });

  test("AWS-SQS-1 accepts a KMS key instead of SQS-managed encryption", () => {
    expect(check("AWS-SQS-1", { kms_master_key_id: "alias/aws/sqs" })).toBeUndefined();
  });

  test("AWS-LOG-1 flags a retention of 0 (never expire)", () => {
    expect(check("AWS-LOG-1", { retention_in_days: 0 })).toMatch(/retention_in_days/);
  });
});

describe("AWS policy rules on the real AwsCellStack", () => {
  const withLake = synthAwsCellStack({ lake: {} });

  test("the synthesized stack, lake included, has no violations", () => {
    expect(evaluatePolicies(withLake.synth, AWS_RULES)).toEqual([]);
  });

  test("every rule's resource type occurs in the stack with its lake, except the forbidden function URL", () => {
    const types = Object.keys(withLake.json.resource);
    const missing = AWS_RULES.map((r) => r.resourceType).filter((t) => t !== "aws_lambda_function_url" && !types.includes(t));
    expect(missing).toEqual([]);
  });

  test("a throwaway cell without deletion protection is flagged, and passes only with a reasoned suppression", () => {
    const { synth, json } = synthAwsCellStack({ tableDeletionProtection: false });
    const [table] = Object.keys(json.resource.aws_dynamodb_table);
    const address = `aws_dynamodb_table.${table}`;
    expect(evaluatePolicies(synth, AWS_RULES)).toEqual([{ ruleId: "AWS-DDB-3", address, message: expect.stringMatching(/deletion_protection_enabled/) }]);
    expect(evaluatePolicies(synth, AWS_RULES, [{ ruleId: "AWS-DDB-3", address, reason: "preview cell, destroyed after each review" }])).toEqual([]);
  });
});
