import { z } from "zod";
import { cellIdField, integerAtLeast, integerFrom, matching, nonEmpty, numberWith, oneOf, oneOfNumbers } from "./fields";
import { AZURE_LAKE_PROPS } from "./lake-props";
import { AZURE_STANDBY_PROPS } from "./standby-props";
import { AZURE_PLACE, placeProblems } from "./places";
import type { Problem, PropsRules } from "./problems";

/**
 * The rules of `AzureCellProps` (documented on the interface in `constructs/azure-cell.ts`): one zod
 * field per prop, the location rule and the rules that tie a setting to the plan or capacity mode it
 * belongs to. `AzureCell` and the topology check use the same rules.
 */

/**
 * An optional organisation prefix for the globally unique names (lower-case letters and digits,
 * 2 to 8 characters, starting with a letter), e.g. `contoso`.
 */
export const AZURE_NAME_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,7}$/;

/**
 * Where the function runs. `FlexConsumption` (FC1) is the current serverless plan; `Consumption`
 * (Linux Y1) stays selectable but Microsoft retires it on 2028-09-30.
 */
export const AZURE_CELL_HOSTING_PLANS = ["FlexConsumption", "Consumption"] as const;
export type AzureCellHostingPlan = (typeof AZURE_CELL_HOSTING_PLANS)[number];

/** Node.js versions of the Functions v4 runtime the cell supports on both plans. */
export const AZURE_CELL_NODE_VERSIONS = ["20", "22"] as const;
export type AzureCellNodeVersion = (typeof AZURE_CELL_NODE_VERSIONS)[number];

/** Instance sizes of the Flex Consumption plan, in MiB. */
export const FLEX_INSTANCE_MEMORY_MIB = [2048, 4096] as const;

/** Flex Consumption scale-out limit the cell accepts (Azure allows up to 1000 per app). */
export const FLEX_MAXIMUM_INSTANCE_COUNT = { min: 40, max: 1000 } as const;

export const COSMOS_CONSISTENCY_LEVELS = ["Session", "Eventual", "ConsistentPrefix", "BoundedStaleness", "Strong"] as const;
export type CosmosConsistencyLevel = (typeof COSMOS_CONSISTENCY_LEVELS)[number];

export const COSMOS_CAPACITY_MODES = ["Serverless", "Provisioned"] as const;
export type CosmosCapacityMode = (typeof COSMOS_CAPACITY_MODES)[number];

/** Manual throughput of the records container when provisioned: 400 to 1,000,000 RU/s in steps of 100. */
export const COSMOS_THROUGHPUT_RU = { min: 400, max: 1_000_000, step: 100 } as const;

export const COSMOS_CONTINUOUS_BACKUP_TIERS = ["Continuous7Days", "Continuous30Days"] as const;
export type CosmosContinuousBackupTier = (typeof COSMOS_CONTINUOUS_BACKUP_TIERS)[number];

/**
 * Retention values Application Insights accepts (`retention_in_days`); the Log Analytics workspace
 * behind it gets the same value, so both stores of the cell's telemetry expire together.
 */
export const AZURE_LOG_RETENTION_DAYS = [30, 60, 90, 120, 180, 270, 365, 550, 730] as const;

/** Settings that exist on one hosting plan or capacity mode only, and what an omitted mode defaults to. */
function modeProblems(props: Readonly<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  for (const field of ["instanceMemoryMiB", "maximumInstanceCount"]) {
    if (props.hostingPlan === "Consumption" && props[field] !== undefined) {
      problems.push({ path: [field], message: "applies to hostingPlan 'FlexConsumption' only, got it with 'Consumption'" });
    }
  }
  // An omitted cosmosCapacity is serverless (AZURE_CELL_DEFAULTS.cosmosCapacity; a test holds the two together).
  if (props.cosmosThroughputRu !== undefined && (props.cosmosCapacity ?? "Serverless") === "Serverless") {
    problems.push({
      path: ["cosmosThroughputRu"],
      message: `applies to cosmosCapacity 'Provisioned' only (a serverless account has no provisioned throughput), got ${String(props.cosmosThroughputRu)}`,
    });
  }
  return problems;
}

const { min, max, step } = COSMOS_THROUGHPUT_RU;

export const AZURE_CELL_PROPS = {
  construct: "AzureCell",
  shape: {
    cellId: cellIdField(),
    location: nonEmpty(AZURE_PLACE.example),
    allowUnlistedLocation: z.boolean().optional(),
    namePrefix: matching(AZURE_NAME_PREFIX_PATTERN).optional(),
    hostingPlan: oneOf(AZURE_CELL_HOSTING_PLANS).optional(),
    nodeVersion: oneOf(AZURE_CELL_NODE_VERSIONS).optional(),
    instanceMemoryMiB: oneOfNumbers(FLEX_INSTANCE_MEMORY_MIB).optional(),
    maximumInstanceCount: integerFrom(FLEX_MAXIMUM_INSTANCE_COUNT.min, FLEX_MAXIMUM_INSTANCE_COUNT.max).optional(),
    cosmosConsistency: oneOf(COSMOS_CONSISTENCY_LEVELS).optional(),
    cosmosCapacity: oneOf(COSMOS_CAPACITY_MODES).optional(),
    cosmosThroughputRu: numberWith((ru) =>
      Number.isInteger(ru) && ru >= min && ru <= max && ru % step === 0 ? undefined : `must be an integer from ${min} to ${max} and a multiple of ${step}, got ${ru}`,
    ).optional(),
    continuousBackupTier: oneOf(COSMOS_CONTINUOUS_BACKUP_TIERS).optional(),
    logRetentionDays: oneOfNumbers(AZURE_LOG_RETENTION_DAYS).optional(),
    signingKeyVersion: integerAtLeast(1).optional(),
    adminKeyVersion: integerAtLeast(1).optional(),
    lake: AZURE_LAKE_PROPS.optional(),
    standby: AZURE_STANDBY_PROPS.optional(),
  },
  crossField: (props) => [...placeProblems(AZURE_PLACE, props), ...modeProblems(props)],
  aliases: { region: "location" },
  requiredHints: { cellId: "e.g. 'beta'", location: "e.g. 'eastus'" },
} satisfies PropsRules;
