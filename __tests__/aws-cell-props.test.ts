import "./setup/cdktf-matchers";
import { Lazy, TerraformStack, Testing, Token } from "cdktf";
import { AWS_CELL_DEFAULTS, AwsCell, resolveAwsCellProps, validateAwsCellProps, type AwsCellProps } from "../constructs/aws-cell";
import { AWS_CELL_PROPS } from "../constructs/props/aws-cell-props";
import type { ShapeCoversProps } from "../constructs/props/problems";
import { awsCellProps } from "./support/aws-cell";

const validate = (overrides: Partial<AwsCellProps>) => () => validateAwsCellProps(awsCellProps(overrides));

describe("AwsCell props validation", () => {
  test("every prop of AwsCellProps has a rule, and every rule a prop (checked by tsc)", () => {
    const covered: ShapeCoversProps<typeof AWS_CELL_PROPS.shape, AwsCellProps> = true;
    expect(covered).toBe(true);
  });

  test.each<[string, Partial<AwsCellProps>, RegExp]>([
    ["cellId has upper-case letters", { cellId: "Alpha" }, /cellId: must match \/\^\[a-z\]\[a-z0-9-\]\{1,20\}\$\/, got 'Alpha'/],
    ["cellId is one character", { cellId: "a" }, /cellId: must match/],
    ["cellId is longer than 21 characters", { cellId: "a".repeat(22) }, /cellId: must match/],
    ["cellId starts with a digit", { cellId: "1alpha" }, /cellId: must match/],
    ["region is empty", { region: "" }, /region: is required/],
    ["region is an Azure location", { region: "westeurope" }, /region: 'westeurope' is an Azure location, not an AWS region; AWS regions look like 'eu-west-1'/],
    ["region has upper-case letters", { region: "EU-WEST-1" }, /region: 'EU-WEST-1' is not an AWS region; did you mean 'eu-west-1'\?/],
    ["region lacks its number", { region: "eu-west" }, /region: 'eu-west' is not an AWS region; did you mean 'eu-west-1'\?/],
    ["region is like no AWS region", { region: "zz-nowhere-5" }, /region: 'zz-nowhere-5' is not an AWS region; e.g. 'eu-west-1' \(a newer one: add it to constructs\/props\/regions.ts, or set allowUnlistedRegion: true\)/],
    ["region is well-formed but not an AWS region", { region: "us-east-9" }, /region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'\?/],
    ["region is unlisted and malformed even with the escape hatch", { region: "mars-1", allowUnlistedRegion: true }, /region: 'mars-1' does not look like an AWS region \(.*\), even with allowUnlistedRegion/],
    ["region is not a string", { region: 1 as never }, /region: must be a string, got 1/],
    ["cellId is missing", { cellId: undefined }, /cellId: is required/],
    ["lambdaRuntime is out of support", { lambdaRuntime: "nodejs18.x" as never }, /lambdaRuntime: must be one of 'nodejs22.x', 'nodejs24.x', got 'nodejs18.x'/],
    ["architecture is unknown", { architecture: "arm" as never }, /architecture: must be one of 'arm64', 'x86_64', got 'arm'/],
    ["memorySizeMiB is below 128", { memorySizeMiB: 64 }, /memorySizeMiB: must be an integer from 128 to 10240, got 64/],
    ["memorySizeMiB is above 10240", { memorySizeMiB: 10_241 }, /memorySizeMiB: must be an integer from 128 to 10240/],
    ["memorySizeMiB is not an integer", { memorySizeMiB: 512.5 }, /memorySizeMiB: must be an integer/],
    ["timeoutSeconds is 0", { timeoutSeconds: 0 }, /timeoutSeconds: must be an integer from 1 to 29, got 0/],
    ["timeoutSeconds reaches API Gateway's 30 s limit", { timeoutSeconds: 30 }, /timeoutSeconds: must be an integer from 1 to 29, got 30/],
    ["logRetentionDays is not a CloudWatch value", { logRetentionDays: 31 }, /logRetentionDays: must be one of '1', '3', .*'3653', got '31'/],
    ["logRetentionDays is 0 (never expire)", { logRetentionDays: 0 }, /logRetentionDays: must be one of/],
    ["throttlingRateLimit is 0", { throttlingRateLimit: 0 }, /throttlingRateLimit: must be a number above 0 and at most 10000, got 0/],
    ["throttlingRateLimit is above the account limit", { throttlingRateLimit: 20_000 }, /throttlingRateLimit: must be a number above 0/],
    ["throttlingRateLimit is NaN", { throttlingRateLimit: Number.NaN }, /throttlingRateLimit: must be a number, got NaN/],
    ["memorySizeMiB is a string", { memorySizeMiB: "512" as never }, /memorySizeMiB: must be a number, got '512'/],
    ["tableDeletionProtection is a string", { tableDeletionProtection: "false" as never }, /tableDeletionProtection: must be a boolean, got 'false'/],
    ["lambdaRuntime is misspelled", { lambdaRuntime: "nodejs22" as never }, /lambdaRuntime: must be one of 'nodejs22.x', 'nodejs24.x', got 'nodejs22'; did you mean 'nodejs22.x'\?/],
    ["throttlingBurstLimit is 0", { throttlingBurstLimit: 0 }, /throttlingBurstLimit: must be an integer from 1 to 5000, got 0/],
    ["throttlingBurstLimit is not an integer", { throttlingBurstLimit: 1.5 }, /throttlingBurstLimit: must be an integer/],
    ["throttlingBurstLimit is above the account limit", { throttlingBurstLimit: 6000 }, /throttlingBurstLimit: must be an integer from 1 to 5000/],
    ["reservedConcurrency is 0", { reservedConcurrency: 0 }, /reservedConcurrency: must be an integer of at least 1 \(0 would stop the cell\), got 0/],
    ["reservedConcurrency is not an integer", { reservedConcurrency: 2.5 }, /reservedConcurrency: must be an integer of at least 1/],
    ["signingKeyVersion is 0", { signingKeyVersion: 0 }, /signingKeyVersion: must be an integer of at least 1, got 0/],
    ["signingKeyVersion is not an integer", { signingKeyVersion: 1.5 }, /signingKeyVersion: must be an integer of at least 1/],
    ["adminKeyVersion is 0", { adminKeyVersion: 0 }, /adminKeyVersion: must be an integer of at least 1, got 0/],
    ["adminKeyVersion is not an integer", { adminKeyVersion: 2.5 }, /adminKeyVersion: must be an integer of at least 1, got 2.5/],
  ])("fails when %s", (_case, overrides, message) => {
    expect(validate(overrides)).toThrow(message);
  });

  test("fails on an unknown prop, naming the closest known one", () => {
    expect(validate({ memorySizeMb: 1024 } as never)).toThrow(/memorySizeMb: unknown field; did you mean 'memorySizeMiB'\?/);
  });

  test("fails on the Azure name of the region, pointing at the AWS one", () => {
    expect(validate({ location: "eastus" } as never)).toThrow(/location: unknown field; did you mean 'region'\?/);
  });

  test("fails on an unknown prop with no close match, listing the known ones", () => {
    expect(validate({ colour: "blue" } as never)).toThrow(/colour: unknown field; AwsCell fields are cellId, region, allowUnlistedRegion, lambdaRuntime, .*tableDeletionProtection, lake, standby$/m);
  });

  test("the escape hatch accepts a well-formed region newer than the list", () => {
    expect(validate({ region: "eu-east-7", allowUnlistedRegion: true })).not.toThrow();
    expect(validate({ region: "eu-east-7" })).toThrow(/region: 'eu-east-7' is not an AWS region/);
  });

  test("a field with a type error gets that one message, not the region rule's too", () => {
    const thrown = (() => {
      try {
        validate({ region: 7 as never })();
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(thrown.split("\n")).toEqual(["Invalid AwsCell props:", "- region: must be a string, got 7"]);
  });

  test("lists every problem in one error", () => {
    expect(validate({ cellId: "Alpha", memorySizeMiB: 1, timeoutSeconds: 60 })).toThrow(
      /Invalid AwsCell props:\n- cellId: must match .*\n- memorySizeMiB: must be .*\n- timeoutSeconds: must be .*/,
    );
  });

  test("the constructor validates before creating anything", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    expect(() => new AwsCell(stack, "cell", awsCellProps({ cellId: "Alpha" }))).toThrow(/cellId: must match/);
    expect(stack.node.findAll().length).toBe(1);
  });

  test.each<[string, Partial<AwsCellProps>]>([
    ["the smallest values", { memorySizeMiB: 128, timeoutSeconds: 1, logRetentionDays: 1, throttlingRateLimit: 0.5, throttlingBurstLimit: 1, reservedConcurrency: 1 }],
    ["the largest values", { memorySizeMiB: 10_240, timeoutSeconds: 29, logRetentionDays: 3653, throttlingRateLimit: 10_000, throttlingBurstLimit: 5000 }],
    ["a GovCloud region and the other runtime and architecture", { region: "us-gov-west-1", lambdaRuntime: "nodejs24.x", architecture: "x86_64" }],
    ["a 21-character cell id with digits and dashes", { cellId: "cell-2-" + "x".repeat(14) }],
  ])("accepts %s", (_case, overrides) => {
    expect(validate(overrides)).not.toThrow();
  });

  test("skips values that are tokens (known only at apply time)", () => {
    const region = Lazy.stringValue({ produce: () => "eu-west-9" });
    const days = Lazy.numberValue({ produce: () => 30 });
    expect(Token.isUnresolved(region) && Token.isUnresolved(days)).toBe(true);
    expect(validate({ region, memorySizeMiB: days, timeoutSeconds: days, logRetentionDays: days, reservedConcurrency: days })).not.toThrow();
  });
});

describe("AwsCell props defaults", () => {
  test("fills in every default when only cellId and region are given", () => {
    expect(resolveAwsCellProps({ cellId: "alpha", region: "eu-west-1" })).toEqual({
      cellId: "alpha",
      region: "eu-west-1",
      lambdaRuntime: "nodejs22.x",
      architecture: "arm64",
      memorySizeMiB: 512,
      timeoutSeconds: 10,
      logRetentionDays: 30,
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      reservedConcurrency: undefined,
      signingKeyVersion: 1,
      adminKeyVersion: 1,
      tableDeletionProtection: true,
    });
  });

  test("a caller's tableDeletionProtection: false is kept, not replaced by the default true", () => {
    expect(AWS_CELL_DEFAULTS.tableDeletionProtection).toBe(true);
    expect(resolveAwsCellProps(awsCellProps({ tableDeletionProtection: false })).tableDeletionProtection).toBe(false);
  });

  test("a caller's values win over every default", () => {
    const given = {
      lambdaRuntime: "nodejs24.x",
      architecture: "x86_64",
      memorySizeMiB: 2048,
      timeoutSeconds: 29,
      logRetentionDays: 7,
      throttlingRateLimit: 5,
      throttlingBurstLimit: 10,
      reservedConcurrency: 3,
      signingKeyVersion: 4,
      adminKeyVersion: 2,
      tableDeletionProtection: false,
    } as const;
    expect(resolveAwsCellProps(awsCellProps(given))).toMatchObject(given);
  });

  test("resolving validates too", () => {
    expect(() => resolveAwsCellProps(awsCellProps({ signingKeyVersion: -1 }))).toThrow(/signingKeyVersion: must be/);
  });
});
