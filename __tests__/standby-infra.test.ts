import "./setup/cdktf-matchers";
import { Testing } from "cdktf";
import { STANDBY_STREAM_FILTER } from "../cells/aws/config";
import { AZURE_STANDBY_ENV, identityConnectionEndpointSetting } from "../cells/azure/config";
import { STANDBY_TIMING_ENV } from "../cells/core/replication-settings";
import { validateAwsCellProps } from "../constructs/aws-cell";
import { AWS_STANDBY_BUNDLE, OWNERSHIP_ITEM_ATTRIBUTES } from "../constructs/aws-standby";
import { validateAzureCellProps } from "../constructs/azure-cell";
import { AZURE_STANDBY_LEASE_CONTAINER, sweepSchedule } from "../constructs/azure-standby";
import { bundle } from "../constructs/bundling";
import { ALL_RULES } from "../policies";
import { evaluatePolicies } from "../policies/engine";
import { policyStatements } from "../policies/rules/aws/iam-policy-document";
import { AzureCellStack } from "../stacks/azure-cell-stack";
import { awsCellProps, named, refTo, synthAwsCell, synthAwsCellStack } from "./support/aws-cell";
import { forSnapshot, resourcesOf } from "./support/synth";

/**
 * The standby replication consumers on the synthesized JSON: the AWS cell's Lambda (stream mapping,
 * sweep schedule, least-privilege role, failure queue) and the Azure cell's trigger settings and lease
 * container, both behind the `standby` prop, off by default; every policy rule passes; one snapshot per
 * stack shape.
 */

const aws = synthAwsCellStack({ standby: {} });
const standbyOf = (type: string, id: string) => named(aws.json, type, `standby_${id}`).config;
const standbyRef = (type: string, id: string, attribute: string) => refTo(aws.json, type, `standby_${id}`, attribute);
const azure = Testing.synth(new AzureCellStack(Testing.app(), "cell-beta", { cell: { cellId: "beta", location: "eastus", standby: {} }, backend: { kind: "local" } }));
const azureApp = () => resourcesOf(azure, "azurerm_function_app_flex_consumption")[0]![1];

describe("the standby prop", () => {
  test("is off by default on both clouds: no consumer, no schedule, no lease container, no settings", () => {
    const plain = synthAwsCell().json;
    for (const type of ["aws_cloudwatch_event_rule", "aws_lambda_event_source_mapping", "aws_sqs_queue"]) expect(plain.resource[type]).toBeUndefined();
    const plainAzure = Testing.synth(new AzureCellStack(Testing.app(), "cell-beta", { cell: { cellId: "beta", location: "eastus" }, backend: { kind: "local" } }));
    expect(resourcesOf(plainAzure, "azurerm_cosmosdb_sql_container").map(([, c]) => c.name)).not.toContain(AZURE_STANDBY_LEASE_CONTAINER);
    expect(Object.keys(resourcesOf(plainAzure, "azurerm_function_app_flex_consumption")[0]![1].app_settings).filter((k) => k.startsWith("STANDBY_"))).toEqual([]);
  });

  test.each<[string, string, object, RegExp]>([
    ["AWS", "leaseSeconds is not more than two sweeps of a minute", { leaseSeconds: 120 }, /standby.leaseSeconds: must be more than two sweeps \(120 s, a sweep a minute on AWS\), got 120/],
    ["AWS", "batchSize is 0", { batchSize: 0 }, /standby.batchSize: must be an integer from 1 to 1000, got 0/],
    ["AWS", "a field is misspelt", { leaseSecond: 200 }, /standby.leaseSecond: unknown field; did you mean 'leaseSeconds'\?/],
    ["Azure", "leaseSeconds is not more than two sweeps", { leaseSeconds: 60, sweepSeconds: 30 }, /standby.leaseSeconds: must be more than two sweeps \(60 s\), got 60/],
    ["Azure", "sweepSeconds is below 5", { sweepSeconds: 1 }, /standby.sweepSeconds: must be an integer from 5 to 300, got 1/],
  ])("%s: fails when %s, naming the field", (cloud, _case, standby, message) => {
    const validate = () => (cloud === "AWS" ? validateAwsCellProps(awsCellProps({ standby })) : validateAzureCellProps({ cellId: "beta", location: "eastus", standby }));
    expect(validate).toThrow(message);
  });
});

describe("the AWS standby consumer", () => {
  test("reads the table's stream from LATEST, filtered to new outbox items, without a batching window, bisecting, with few retries and a failure queue", () => {
    expect(standbyOf("aws_lambda_event_source_mapping", "stream-mapping")).toEqual(
      expect.objectContaining({
        event_source_arn: refTo(aws.json, "aws_dynamodb_table", "records", "stream_arn"),
        function_name: standbyRef("aws_lambda_function", "function", "arn"),
        starting_position: "LATEST",
        batch_size: 100,
        maximum_batching_window_in_seconds: 0,
        bisect_batch_on_function_error: true,
        maximum_retry_attempts: 3,
        filter_criteria: { filter: [{ pattern: JSON.stringify(STANDBY_STREAM_FILTER) }] },
        destination_config: { on_failure: { destination_arn: standbyRef("aws_sqs_queue", "failure-queue", "arn") } },
      }),
    );
    expect(standbyOf("aws_sqs_queue", "failure-queue")).toEqual(expect.objectContaining({ name: "cells-alpha-standby-failures", sqs_managed_sse_enabled: true }));
  });

  test("sweeps once a minute through an EventBridge rule allowed to invoke it and nothing else", () => {
    expect(standbyOf("aws_cloudwatch_event_rule", "sweep-schedule")).toEqual(expect.objectContaining({ name: "cells-alpha-standby-sweep", schedule_expression: "rate(1 minute)" }));
    expect(standbyOf("aws_cloudwatch_event_target", "sweep-target")).toEqual(expect.objectContaining({ rule: standbyRef("aws_cloudwatch_event_rule", "sweep-schedule", "name"), arn: standbyRef("aws_lambda_function", "function", "arn") }));
    expect(standbyOf("aws_lambda_permission", "sweep-invoke")).toEqual(expect.objectContaining({ principal: "events.amazonaws.com", source_arn: standbyRef("aws_cloudwatch_event_rule", "sweep-schedule", "arn") }));
  });

  test("runs with the cell's table and timing: the lease, a guard past the cell function's timeout, the scan margin", () => {
    const fn = standbyOf("aws_lambda_function", "function");
    expect(fn.environment.variables).toEqual({
      CELL_ID: "alpha",
      TABLE_NAME: refTo(aws.json, "aws_dynamodb_table", "records", "name"),
      [STANDBY_TIMING_ENV.leaseMs]: "150000",
      [STANDBY_TIMING_ENV.guardMs]: "15000",
      [STANDBY_TIMING_ENV.scanMarginMs]: "45000",
    });
    expect(fn).toEqual(expect.objectContaining({ function_name: "cells-alpha-standby", handler: "index.handler", timeout: 60, tracing_config: { mode: "Active" } }));
    expect(synthAwsCellStack({ standby: { leaseSeconds: 600 }, timeoutSeconds: 29 }).json.resource.aws_lambda_function).toEqual(
      expect.objectContaining({ [named(aws.json, "aws_lambda_function", "standby_function").name]: expect.objectContaining({ environment: { variables: expect.objectContaining({ [STANDBY_TIMING_ENV.leaseMs]: "600000", [STANDBY_TIMING_ENV.guardMs]: "34000" }) } }) }),
    );
  });

  test("may read the table and put ownership items only: no record, answer or outbox item, no delete", () => {
    const statements = policyStatements(standbyOf("aws_iam_role_policy", "table-access").policy)!;
    const table = refTo(aws.json, "aws_dynamodb_table", "records", "arn");
    expect(statements.map((s) => [s.sid, s.actions, s.resources])).toEqual([
      ["ReadOwnershipAndOutbox", ["dynamodb:GetItem", "dynamodb:Query"], [table, `${table}/index/ownership`]],
      ["WriteOwnershipOnly", ["dynamodb:PutItem"], [table]],
    ]);
    expect(JSON.parse(standbyOf("aws_iam_role_policy", "table-access").policy).Statement[1].Condition).toEqual({ "ForAllValues:StringEquals": { "dynamodb:Attributes": [...OWNERSHIP_ITEM_ATTRIBUTES] } });
    for (const recordAttribute of ["recordId", "version", "data", "event", "fingerprint", "deleted"]) expect(OWNERSHIP_ITEM_ATTRIBUTES).not.toContain(recordAttribute);
  });

  test("bundles to a small Lambda (the AWS SDK comes from the runtime)", () => {
    const code = bundle(AWS_STANDBY_BUNDLE);
    expect(code.bytes).toBeLessThan(150 * 1024);
  });
});

describe("the Azure standby consumer", () => {
  test("has its own lease container and the trigger's identity connection, schedule and timing in the app settings", () => {
    expect(resourcesOf(azure, "azurerm_cosmosdb_sql_container").map(([, c]) => [c.name, c.partition_key_paths])).toContainEqual([AZURE_STANDBY_LEASE_CONTAINER, ["/id"]]);
    const settings = azureApp().app_settings;
    expect(settings).toEqual(
      expect.objectContaining({
        [AZURE_STANDBY_ENV.leaseContainer]: expect.stringMatching(/azurerm_cosmosdb_sql_container\.cell_standby_leases_[A-Za-z0-9]+\.name/),
        [identityConnectionEndpointSetting(AZURE_STANDBY_ENV.cosmosConnection)]: expect.stringMatching(/azurerm_cosmosdb_account\..*\.endpoint/),
        [AZURE_STANDBY_ENV.sweepSchedule]: "*/30 * * * * *",
        [STANDBY_TIMING_ENV.leaseMs]: "90000",
        [STANDBY_TIMING_ENV.guardMs]: "30000",
      }),
    );
    expect(settings[AZURE_STANDBY_ENV.cosmosConnection]).toBeUndefined();
    expect([sweepSchedule(30), sweepSchedule(5), sweepSchedule(120)]).toEqual(["*/30 * * * * *", "*/5 * * * * *", "0 */2 * * * *"]);
  });
});

test("every policy rule passes both cells with standby replication", () => {
  expect(evaluatePolicies(aws.synth, ALL_RULES)).toEqual([]);
  expect(evaluatePolicies(azure, ALL_RULES)).toEqual([]);
});

test("snapshots: the AWS and the Azure cell stack with standby replication", () => {
  expect(forSnapshot(aws.synth)).toMatchSnapshot();
  expect(forSnapshot(azure)).toMatchSnapshot();
});
