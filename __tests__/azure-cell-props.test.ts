import "./setup/cdktf-matchers";
import { TerraformStack, Testing, Token } from "cdktf";
import { AZURE_CELL_DEFAULTS, AzureCell, resolveAzureCellProps, validateAzureCellProps, type AzureCellProps } from "../constructs/azure-cell";
import { AZURE_CELL_PROPS } from "../constructs/props/azure-cell-props";
import type { ShapeCoversProps } from "../constructs/props/problems";

const valid: AzureCellProps = { cellId: "alpha", location: "eastus" };
/** Validates `valid` with `overrides`; a test expects it to throw. */
const check = (overrides: Record<string, unknown>) => () => validateAzureCellProps({ ...valid, ...overrides } as AzureCellProps);

describe("validateAzureCellProps", () => {
  test("every prop of AzureCellProps has a rule, and every rule a prop (checked by tsc)", () => {
    const covered: ShapeCoversProps<typeof AZURE_CELL_PROPS.shape, AzureCellProps> = true;
    expect(covered).toBe(true);
  });

  test("accepts the minimal props", () => {
    expect(check({})).not.toThrow();
  });

  test("fails when cellId has upper-case letters", () => {
    expect(check({ cellId: "Alpha" })).toThrow(/cellId: must match .*, got 'Alpha'/);
  });

  test("the constructor validates before creating anything", () => {
    const stack = new TerraformStack(Testing.app(), "test");
    expect(() => new AzureCell(stack, "cell", { ...valid, cellId: "Alpha" })).toThrow(/cellId: must match/);
    expect(stack.node.findAll().length).toBe(1);
  });

  test("fails when location is missing", () => {
    expect(check({ location: "" })).toThrow(/location: is required, e.g. 'eastus'/);
  });

  test("fails when location is a display name instead of the ARM name", () => {
    expect(check({ location: "East US" })).toThrow(/location: 'East US' is not an Azure location; did you mean 'eastus'\?/);
  });

  test("fails when location is misspelled or an AWS region", () => {
    expect(check({ location: "eastuss" })).toThrow(/location: 'eastuss' is not an Azure location; did you mean 'eastus'\?/);
    expect(check({ location: "eu-west-1" })).toThrow(/location: 'eu-west-1' is an AWS region, not an Azure location; Azure locations look like 'eastus'/);
  });

  test("the escape hatch accepts a well-formed location newer than the list, and only that", () => {
    expect(check({ location: "marsnorth", allowUnlistedLocation: true })).not.toThrow();
    expect(check({ location: "marsnorth" })).toThrow(/location: 'marsnorth' is not an Azure location; e.g. 'eastus' \(a newer one: .*allowUnlistedLocation: true\)/);
    expect(check({ location: "Mars North", allowUnlistedLocation: true })).toThrow(/location: 'Mars North' does not look like an Azure location/);
  });

  test("fails on the AWS name of the location, pointing at the Azure one", () => {
    expect(check({ region: "eastus" })).toThrow(/region: unknown field; did you mean 'location'\?/);
  });

  test("fails on a misspelled prop", () => {
    expect(check({ cosmosConsistancy: "Session" })).toThrow(/cosmosConsistancy: unknown field; did you mean 'cosmosConsistency'\?/);
  });

  test("treats an omitted cosmosCapacity as the default, which is serverless", () => {
    expect(AZURE_CELL_DEFAULTS.cosmosCapacity).toBe("Serverless");
    expect(check({ cosmosCapacity: "Serverless", cosmosThroughputRu: 400 })).toThrow(/cosmosThroughputRu: applies to cosmosCapacity 'Provisioned' only/);
  });

  test("fails when namePrefix is too long or not lower-case alphanumeric", () => {
    expect(check({ namePrefix: "contoso-corp" })).toThrow(/namePrefix: must match .*, got 'contoso-corp'/);
  });

  test("fails when hostingPlan is not Flex Consumption or Consumption", () => {
    expect(check({ hostingPlan: "Premium" })).toThrow("hostingPlan: must be one of 'FlexConsumption', 'Consumption', got 'Premium'");
  });

  test("fails when nodeVersion is not supported", () => {
    expect(check({ nodeVersion: "18" })).toThrow("nodeVersion: must be one of '20', '22', got '18'");
  });

  test("fails when instanceMemoryMiB is not a Flex instance size", () => {
    expect(check({ instanceMemoryMiB: 512 })).toThrow("instanceMemoryMiB: must be one of '2048', '4096', got '512'");
  });

  test("fails when a Flex-only setting is given with the Consumption plan", () => {
    expect(check({ hostingPlan: "Consumption", instanceMemoryMiB: 2048 })).toThrow(/instanceMemoryMiB: applies to hostingPlan 'FlexConsumption' only/);
    expect(check({ hostingPlan: "Consumption", maximumInstanceCount: 100 })).toThrow(/maximumInstanceCount: applies to hostingPlan 'FlexConsumption' only/);
  });

  test("fails when maximumInstanceCount is outside 40..1000", () => {
    expect(check({ maximumInstanceCount: 39 })).toThrow("maximumInstanceCount: must be an integer from 40 to 1000, got 39");
    expect(check({ maximumInstanceCount: 1001 })).toThrow(/maximumInstanceCount: must be an integer from 40 to 1000, got 1001/);
  });

  test("fails when cosmosConsistency is unknown", () => {
    expect(check({ cosmosConsistency: "Linearizable" })).toThrow(/cosmosConsistency: must be one of 'Session', 'Eventual', 'ConsistentPrefix', 'BoundedStaleness', 'Strong', got 'Linearizable'/);
  });

  test("fails when cosmosCapacity is unknown", () => {
    expect(check({ cosmosCapacity: "Autoscale" })).toThrow("cosmosCapacity: must be one of 'Serverless', 'Provisioned', got 'Autoscale'");
  });

  test("fails when cosmosThroughputRu is given with a serverless account (the default)", () => {
    expect(check({ cosmosThroughputRu: 400 })).toThrow(/cosmosThroughputRu: applies to cosmosCapacity 'Provisioned' only/);
  });

  test("fails when cosmosThroughputRu is out of range or not a multiple of 100", () => {
    for (const throughput of [300, 1_000_100, 450, 400.5]) {
      expect(check({ cosmosCapacity: "Provisioned", cosmosThroughputRu: throughput })).toThrow(
        `cosmosThroughputRu: must be an integer from 400 to 1000000 and a multiple of 100, got ${throughput}`,
      );
    }
  });

  test("fails when continuousBackupTier is unknown", () => {
    expect(check({ continuousBackupTier: "Periodic" })).toThrow("continuousBackupTier: must be one of 'Continuous7Days', 'Continuous30Days', got 'Periodic'");
  });

  test("fails when logRetentionDays is not a value Application Insights accepts", () => {
    expect(check({ logRetentionDays: 45 })).toThrow(/logRetentionDays: must be one of '30', '60', '90', .*'730', got '45'/);
    expect(check({ logRetentionDays: 7 })).toThrow(/logRetentionDays: must be one of/);
  });

  test("fails when signingKeyVersion is below 1 or not an integer", () => {
    expect(check({ signingKeyVersion: 0 })).toThrow("signingKeyVersion: must be an integer of at least 1, got 0");
    expect(check({ signingKeyVersion: 1.5 })).toThrow("signingKeyVersion: must be an integer of at least 1, got 1.5");
  });

  test("fails when adminKeyVersion is below 1 or not an integer", () => {
    expect(check({ adminKeyVersion: 0 })).toThrow("adminKeyVersion: must be an integer of at least 1, got 0");
    expect(check({ adminKeyVersion: 2.5 })).toThrow("adminKeyVersion: must be an integer of at least 1, got 2.5");
  });

  test("reports every problem at once", () => {
    expect(check({ cellId: "Alpha", hostingPlan: "Premium", logRetentionDays: 1 })).toThrow(/Invalid AzureCell props:\n- cellId[^]*\n- hostingPlan[^]*\n- logRetentionDays/);
  });

  test("skips values that are unresolved tokens", () => {
    expect(
      check({
        location: Token.asString({ Ref: "location" }),
        maximumInstanceCount: Token.asNumber({ Ref: "max" }),
        instanceMemoryMiB: Token.asNumber({ Ref: "memory" }),
        logRetentionDays: Token.asNumber({ Ref: "days" }),
        signingKeyVersion: Token.asNumber({ Ref: "version" }),
        adminKeyVersion: Token.asNumber({ Ref: "admin-version" }),
      }),
    ).not.toThrow();
  });
});

describe("resolveAzureCellProps", () => {
  test("fills in the documented defaults", () => {
    expect(resolveAzureCellProps(valid)).toEqual({
      cellId: "alpha",
      location: "eastus",
      namePrefix: undefined,
      hostingPlan: "FlexConsumption",
      nodeVersion: "22",
      instanceMemoryMiB: 2048,
      maximumInstanceCount: 100,
      cosmosConsistency: "Session",
      cosmosCapacity: "Serverless",
      cosmosThroughputRu: undefined,
      continuousBackupTier: "Continuous7Days",
      logRetentionDays: 30,
      signingKeyVersion: 1,
      adminKeyVersion: 1,
    });
  });

  test("keeps every explicit value of the caller", () => {
    const explicit: Required<Omit<AzureCellProps, "allowUnlistedLocation">> = {
      cellId: "beta",
      location: "westeurope",
      namePrefix: "contoso",
      hostingPlan: "FlexConsumption",
      nodeVersion: "20",
      instanceMemoryMiB: 4096,
      maximumInstanceCount: 40,
      cosmosConsistency: "Strong",
      cosmosCapacity: "Provisioned",
      cosmosThroughputRu: 1_000_000,
      continuousBackupTier: "Continuous30Days",
      logRetentionDays: 730,
      signingKeyVersion: 7,
      adminKeyVersion: 3,
      lake: { retentionDays: 90, coolAfterDays: 0 },
      standby: { leaseSeconds: 300, sweepSeconds: 120 },
    };
    expect(resolveAzureCellProps(explicit)).toEqual(explicit);
  });

  test("the explicit choice of every default's alternative survives (no `||` fallbacks)", () => {
    const resolved = resolveAzureCellProps({ ...valid, hostingPlan: "Consumption", cosmosCapacity: "Provisioned" });
    expect(resolved.hostingPlan).toBe("Consumption");
    expect(resolved.cosmosCapacity).toBe("Provisioned");
    expect(resolved.cosmosThroughputRu).toBe(AZURE_CELL_DEFAULTS.provisionedThroughputRu);
  });
});
