import "./setup/cdktf-matchers";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { Password } from "@cdktf/provider-random/lib/password";
import { Token } from "cdktf";
import { AWS_CELL_ENV, TABLE_SCHEMA } from "../cells/aws/config";
import { AWS_CELL_LOGGING, AWS_CELL_TABLE_ACTIONS } from "../constructs/aws-cell";
import type { ICell } from "../constructs/cell";
import { named, ref, refTo, single, synthAwsCell } from "./support/aws-cell";
import { policyStatements } from "../policies/rules/aws/iam-policy-document";

const defaults = synthAwsCell();

/** The role policy whose statements grant `action`. */
function policyGranting(json: any, action: string) {
  const policies = Object.values(json.resource.aws_iam_role_policy) as Array<{ policy: string; role: string }>;
  const matching = policies.filter((p) => policyStatements(p.policy)!.some((s) => s.actions.includes(action)));
  expect(matching).toHaveLength(1);
  return { ...matching[0]!, statements: policyStatements(matching[0]!.policy)! };
}

describe("AwsCell table", () => {
  test("is on-demand with the shared key schema, PITR, SSE, deletion protection, TTL and a stream", () => {
    expect(defaults.synth).toHaveResourceWithProperties(DynamodbTable, {
      name: "cells-alpha-records",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: TABLE_SCHEMA.partitionKey,
      range_key: TABLE_SCHEMA.sortKey,
      attribute: [
        { name: TABLE_SCHEMA.partitionKey, type: "S" },
        { name: TABLE_SCHEMA.sortKey, type: "S" },
        { name: TABLE_SCHEMA.ownershipIndex.partitionKey, type: "S" },
        { name: TABLE_SCHEMA.ownershipIndex.sortKey, type: "S" },
      ],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: true,
      ttl: { attribute_name: TABLE_SCHEMA.ttlAttribute, enabled: true },
      stream_enabled: true,
      stream_view_type: "NEW_AND_OLD_IMAGES",
    });
  });

  test("keeps a caller's tableDeletionProtection: false", () => {
    const { json } = synthAwsCell({ tableDeletionProtection: false });
    expect(single(json, "aws_dynamodb_table").config.deletion_protection_enabled).toBe(false);
  });

  test("is named after the cell id", () => {
    expect(single(synthAwsCell({ cellId: "beta-2" }).json, "aws_dynamodb_table").config.name).toBe("cells-beta-2-records");
  });
});

describe("AwsCell signing key", () => {
  test("is a 64-character random password without special characters, kept by the key id", () => {
    expect(defaults.synth).toHaveResourceWithProperties(Password, { length: 64, special: false, keepers: { "signing-key-id": "alpha-v1" } });
    expect(defaults.cell.signingKeyId).toBe("alpha-v1");
  });

  test("bumping signingKeyVersion changes the keepers (a new secret) and the key id", () => {
    const rotated = synthAwsCell({ signingKeyVersion: 2 });
    expect(named(rotated.json, "random_password", "signing-key").config.keepers).toEqual({ "signing-key-id": "alpha-v2" });
    expect(named(rotated.json, "random_password", "admin-key").config.keepers).toEqual({ "admin-key-id": "alpha-admin-v1" });
    expect(rotated.cell.signingKeyId).toBe("alpha-v2");
    expect(single(rotated.json, "aws_lambda_function").config.environment.variables[AWS_CELL_ENV.signingKeyId]).toBe("alpha-v2");
  });

  test("is stored in the cell's own Secrets Manager secret", () => {
    const { json } = defaults;
    expect(defaults.synth).toHaveResourceWithProperties(SecretsmanagerSecret, { name: "cells/alpha/signing-key" });
    expect(named(json, "aws_secretsmanager_secret_version", "signing-secret-version").config).toEqual({
      secret_id: refTo(json, "aws_secretsmanager_secret", "signing-secret", "id"),
      secret_string: refTo(json, "random_password", "signing-key", "result"),
    });
  });

  test("is exposed to other stacks only as ICell.signingSecret, a token for the password's result", () => {
    const { json } = synthAwsCell({}, (cell) => ({ secret: cell.signingSecret }));
    expect(json.output.secret.value).toBe(refTo(json, "random_password", "signing-key", "result"));
  });
});

describe("AwsCell admin key", () => {
  test("is a second 64-character random password, kept by its own key id <cellId>-admin-v<n>", () => {
    expect(defaults.synth).toHaveResourceWithProperties(Password, { length: 64, special: false, keepers: { "admin-key-id": "alpha-admin-v1" } });
    expect(defaults.cell.adminKeyId).toBe("alpha-admin-v1");
    expect(Object.keys(defaults.json.resource.random_password)).toHaveLength(2);
  });

  test("bumping adminKeyVersion rotates the admin key only: new keeper and id, signing key untouched", () => {
    const rotated = synthAwsCell({ adminKeyVersion: 3 });
    expect(named(rotated.json, "random_password", "admin-key").config.keepers).toEqual({ "admin-key-id": "alpha-admin-v3" });
    expect(named(rotated.json, "random_password", "signing-key").config.keepers).toEqual({ "signing-key-id": "alpha-v1" });
    expect(single(rotated.json, "aws_lambda_function").config.environment.variables[AWS_CELL_ENV.adminKeyId]).toBe("alpha-admin-v3");
  });

  test("is stored in its own Secrets Manager secret, next to the signing secret", () => {
    const { json } = defaults;
    expect(defaults.synth).toHaveResourceWithProperties(SecretsmanagerSecret, { name: "cells/alpha/admin-key" });
    expect(named(json, "aws_secretsmanager_secret_version", "admin-secret-version").config).toEqual({
      secret_id: refTo(json, "aws_secretsmanager_secret", "admin-secret", "id"),
      secret_string: refTo(json, "random_password", "admin-key", "result"),
    });
  });

  test("is not part of ICell: the edge stack, which takes ICell, cannot reach it", () => {
    const asCell: ICell = defaults.cell;
    expect(Object.keys(asCell)).not.toContain(undefined);
    const iCellKeys: Array<keyof ICell> = ["cellId", "cloud", "region", "endpointUrl", "signingKeyId", "signingSecret"];
    expect(iCellKeys.some((k) => String(k).toLowerCase().includes("admin"))).toBe(false);
    const { json } = synthAwsCell({}, (cell) => ({ admin: cell.adminSecret }));
    expect(json.output.admin.value).toBe(refTo(json, "random_password", "admin-key", "result"));
  });
});

describe("AwsCell function", () => {
  const fn = single(defaults.json, "aws_lambda_function").config;

  test("runs the bundled handler with the default runtime, architecture, memory and timeout", () => {
    expect(defaults.synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "cells-alpha-api",
      handler: "index.handler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memory_size: 512,
      timeout: 10,
      tracing_config: { mode: "Active" },
      role: ref(defaults.json, "aws_iam_role", "arn"),
    });
    expect(fn.reserved_concurrent_executions).toBeUndefined();
  });

  test("gets exactly the cell id, table name, both key ids and both secret ARNs in its environment, never a secret", () => {
    expect(fn.environment.variables).toEqual({
      [AWS_CELL_ENV.cellId]: "alpha",
      [AWS_CELL_ENV.tableName]: ref(defaults.json, "aws_dynamodb_table", "name"),
      [AWS_CELL_ENV.signingKeyId]: "alpha-v1",
      [AWS_CELL_ENV.signingSecretArn]: refTo(defaults.json, "aws_secretsmanager_secret", "signing-secret", "arn"),
      [AWS_CELL_ENV.adminKeyId]: "alpha-admin-v1",
      [AWS_CELL_ENV.adminSecretArn]: refTo(defaults.json, "aws_secretsmanager_secret", "admin-secret", "arn"),
    });
    expect(JSON.stringify(fn)).not.toMatch(/random_password|secret_string/);
    expect(fn.environment.variables).not.toHaveProperty(AWS_CELL_ENV.signingSecret);
    expect(fn.environment.variables).not.toHaveProperty(AWS_CELL_ENV.adminSecret);
  });

  test("logs JSON into its own log group with retention, which exists before the function", () => {
    const logGroups = Object.entries(defaults.json.resource.aws_cloudwatch_log_group) as Array<[string, any]>;
    const [name] = logGroups.find(([, g]) => g.name === "/aws/lambda/cells-alpha-api")!;
    expect(fn.logging_config).toMatchObject({ log_format: "JSON", log_group: `\${aws_cloudwatch_log_group.${name}.name}` });
    expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${name}`);
    expect(defaults.synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/cells-alpha-api", retention_in_days: 30 });
  });

  test("starts only after its permissions and both secrets' values exist", () => {
    for (const policy of Object.keys(defaults.json.resource.aws_iam_role_policy)) expect(fn.depends_on).toContain(`aws_iam_role_policy.${policy}`);
    for (const version of Object.keys(defaults.json.resource.aws_secretsmanager_secret_version)) expect(fn.depends_on).toContain(`aws_secretsmanager_secret_version.${version}`);
    expect(Object.keys(defaults.json.resource.aws_secretsmanager_secret_version)).toHaveLength(2);
  });

  test("logs JSON at each entry's level and keeps the platform's START/REPORT lines (system level INFO, not WARN)", () => {
    expect(fn.logging_config).toMatchObject({ log_format: "JSON", application_log_level: "INFO", system_log_level: "INFO" });
    expect(AWS_CELL_LOGGING.systemLogLevel).toBe("INFO");
  });

  test("takes the runtime, architecture, memory, timeout and reserved concurrency from props", () => {
    const { synth } = synthAwsCell({ lambdaRuntime: "nodejs24.x", architecture: "x86_64", memorySizeMiB: 1024, timeoutSeconds: 25, reservedConcurrency: 5 });
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      runtime: "nodejs24.x",
      architectures: ["x86_64"],
      memory_size: 1024,
      timeout: 25,
      reserved_concurrent_executions: 5,
    });
  });

  test("applies logRetentionDays to the function's and the API's log groups", () => {
    const groups = Object.values(synthAwsCell({ logRetentionDays: 90 }).json.resource.aws_cloudwatch_log_group) as any[];
    expect(groups.map((g) => g.retention_in_days)).toEqual([90, 90]);
  });
});

describe("AwsCell IAM", () => {
  const { json, synth } = defaults;

  test("the role is assumable by Lambda only and carries no exclusive inline or managed policy lists", () => {
    const role = single(json, "aws_iam_role").config;
    expect(synth).toHaveResourceWithProperties(IamRole, { name: "cells-alpha-api" });
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    expect(role.inline_policy).toBeUndefined();
    expect(role.managed_policy_arns).toBeUndefined();
  });

  test("DynamoDB: the named item actions on this table and its ownership index only (not its stream, no Scan, not '*')", () => {
    const { statements, role } = policyGranting(json, "dynamodb:GetItem");
    expect(role).toBe(ref(json, "aws_iam_role", "name"));
    const table = ref(json, "aws_dynamodb_table", "arn");
    expect(statements).toEqual([expect.objectContaining({ effect: "Allow", actions: [...AWS_CELL_TABLE_ACTIONS], resources: [table, `${table}/index/ownership`] })]);
    expect(AWS_CELL_TABLE_ACTIONS.every((a) => /^dynamodb:[A-Za-z]+$/.test(a))).toBe(true);
    expect(statements[0]!.actions).toEqual(expect.arrayContaining(["dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem"]));
    expect(AWS_CELL_TABLE_ACTIONS.filter((a) => /Scan|PartiQL|Table|Stream|Describe|List|Get.*Batch|BatchGet/.test(a))).toEqual([]);
  });

  test("DynamoDB: the table carries the sparse ownership index the admin API lists tenants with", () => {
    const { config } = single(json, "aws_dynamodb_table");
    expect(config.global_secondary_index).toEqual([{ name: "ownership", hash_key: "ownershipIndex", range_key: "tenantId", projection_type: "ALL" }]);
    expect(config.attribute).toEqual(expect.arrayContaining([{ name: "ownershipIndex", type: "S" }, { name: "tenantId", type: "S" }]));
  });

  test("Secrets Manager: GetSecretValue on this cell's two secrets only, one policy each", () => {
    const policies = (Object.values(json.resource.aws_iam_role_policy) as Array<{ policy: string }>).map((p) => policyStatements(p.policy)!).filter((st) => st.some((s) => s.actions.includes("secretsmanager:GetSecretValue")));
    expect(policies).toHaveLength(2);
    expect(policies).toEqual(
      expect.arrayContaining([
        [expect.objectContaining({ actions: ["secretsmanager:GetSecretValue"], resources: [refTo(json, "aws_secretsmanager_secret", "signing-secret", "arn")] })],
        [expect.objectContaining({ actions: ["secretsmanager:GetSecretValue"], resources: [refTo(json, "aws_secretsmanager_secret", "admin-secret", "arn")] })],
      ]),
    );
  });

  test("Logs: create streams and put events in the function's log group only", () => {
    const { statements } = policyGranting(json, "logs:PutLogEvents");
    const [name] = (Object.entries(json.resource.aws_cloudwatch_log_group) as Array<[string, any]>).find(([, g]) => g.name.startsWith("/aws/lambda/"))!;
    expect(statements).toEqual([
      expect.objectContaining({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`\${aws_cloudwatch_log_group.${name}.arn}:*`] }),
    ]);
  });

  test("X-Ray: AWS's AWSXRayDaemonWriteAccess attached to the role, in the stack's partition", () => {
    const attachment = single(json, "aws_iam_role_policy_attachment").config;
    expect(attachment.role).toBe(ref(json, "aws_iam_role", "name"));
    expect(attachment.policy_arn).toMatch(/^arn:\$\{data\.aws_partition\.[^}]+\.partition\}:iam::aws:policy\/AWSXRayDaemonWriteAccess$/);
  });

  test("no policy grants a wildcard action", () => {
    const actions = Object.values(json.resource.aws_iam_role_policy).flatMap((p: any) => policyStatements(p.policy)!.flatMap((s) => s.actions));
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });
});

describe("AwsCell API", () => {
  const { json, synth } = defaults;

  test("is an HTTP API proxying everything to the function with payload format 2.0", () => {
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Api, { name: "cells-alpha", protocol_type: "HTTP" });
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Integration, {
      api_id: ref(json, "aws_apigatewayv2_api", "id"),
      integration_type: "AWS_PROXY",
      integration_uri: ref(json, "aws_lambda_function", "invoke_arn"),
      payload_format_version: "2.0",
    });
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: "$default", target: `integrations/${ref(json, "aws_apigatewayv2_integration", "id")}` });
  });

  test("the $default stage auto-deploys, throttles with the defaults and keeps detailed metrics", () => {
    expect(synth).toHaveResourceWithProperties(Apigatewayv2Stage, {
      name: "$default",
      auto_deploy: true,
      default_route_settings: { throttling_rate_limit: 100, throttling_burst_limit: 200, detailed_metrics_enabled: true },
    });
  });

  test("throttling limits come from props", () => {
    expect(synthAwsCell({ throttlingRateLimit: 50, throttlingBurstLimit: 75 }).synth).toHaveResourceWithProperties(Apigatewayv2Stage, {
      // The jest adapter matches the top level partially; nested objects need objectContaining.
      default_route_settings: expect.objectContaining({ throttling_rate_limit: 50, throttling_burst_limit: 75 }),
    });
  });

  test("the stage writes JSON access logs with request id, caller, route, status, latency and integration error into its own log group", () => {
    const stage = single(json, "aws_apigatewayv2_stage").config;
    const [name, group] = (Object.entries(json.resource.aws_cloudwatch_log_group) as Array<[string, any]>).find(([, g]) => g.name.startsWith("/aws/apigateway/"))!;
    expect(stage.access_log_settings.destination_arn).toBe(`\${aws_cloudwatch_log_group.${name}.arn}`);
    expect(group.retention_in_days).toBe(30);
    const format = JSON.parse(stage.access_log_settings.format);
    expect(format).toMatchObject({
      requestId: "$context.requestId",
      sourceIp: "$context.identity.sourceIp",
      method: "$context.httpMethod",
      path: "$context.path",
      status: "$context.status",
      latency: "$context.responseLatency",
      integrationError: "$context.integrationErrorMessage",
    });
  });

  test("API Gateway may invoke the function from this API only", () => {
    expect(synth).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
      function_name: ref(json, "aws_lambda_function", "function_name"),
      source_arn: `${ref(json, "aws_apigatewayv2_api", "execution_arn")}/*/*`,
    });
  });

  test("there is no Lambda function URL", () => {
    expect(json.resource.aws_lambda_function_url).toBeUndefined();
    expect(synth).not.toMatch(/function_url/);
  });
});

describe("AwsCell handles", () => {
  const { cell, json } = synthAwsCell({}, (c) => ({ endpoint: c.endpointUrl, table: c.table.name, fn: c.function.functionName, api: c.api.id }));

  test("implements ICell: aws, its id and region, and the API endpoint as a token", () => {
    const asCell: ICell = cell;
    expect({ cellId: asCell.cellId, cloud: asCell.cloud, region: asCell.region, signingKeyId: asCell.signingKeyId }).toEqual({
      cellId: "alpha",
      cloud: "aws",
      region: "eu-west-1",
      signingKeyId: "alpha-v1",
    });
    expect(Token.isUnresolved(cell.endpointUrl)).toBe(true);
    expect(json.output.endpoint.value).toBe(ref(json, "aws_apigatewayv2_api", "api_endpoint"));
  });

  test("exposes the table, function and API as typed resources", () => {
    expect(cell.table).toBeInstanceOf(DynamodbTable);
    expect(cell.function).toBeInstanceOf(LambdaFunction);
    expect(cell.api).toBeInstanceOf(Apigatewayv2Api);
    expect(json.output.table.value).toBe(ref(json, "aws_dynamodb_table", "name"));
    expect(json.output.fn.value).toBe(ref(json, "aws_lambda_function", "function_name"));
    expect(json.output.api.value).toBe(ref(json, "aws_apigatewayv2_api", "id"));
  });

  test("creates no Terraform outputs (only stacks do)", () => {
    expect(defaults.json.output).toBeUndefined();
  });
});
