import { z } from "zod";
import { cellIdField, integerAtLeast, integerFrom, nonEmpty, numberWith, oneOf, oneOfNumbers } from "./fields";
import { AWS_LAKE_PROPS } from "./lake-props";
import { AWS_STANDBY_PROPS } from "./standby-props";
import { AWS_PLACE, placeProblems } from "./places";
import type { PropsRules } from "./problems";

/**
 * The rules of `AwsCellProps` (documented on the interface in `constructs/aws-cell.ts`): one zod
 * field per prop, and the region rule. `AwsCell` checks its props with them; the topology check
 * (`topology-schema.ts`) checks every AWS cell with the same rules before any construct exists.
 * Pure data and zod only, so the operator CLI can load it without cdktf's providers.
 */

/** Node.js Lambda runtimes a cell may run on (both still in AWS's support window). */
export const AWS_CELL_LAMBDA_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;
/** One of `AWS_CELL_LAMBDA_RUNTIMES`. */
export type AwsCellLambdaRuntime = (typeof AWS_CELL_LAMBDA_RUNTIMES)[number];

/** Instruction sets Lambda offers. */
export const AWS_CELL_ARCHITECTURES = ["arm64", "x86_64"] as const;
/** One of `AWS_CELL_ARCHITECTURES`. */
export type AwsCellArchitecture = (typeof AWS_CELL_ARCHITECTURES)[number];

/** The values CloudWatch Logs accepts for `retention_in_days` (0, "never expire", is deliberately left out). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** API Gateway ends every integration after 30 s; the function must finish before that. */
export const AWS_CELL_MAX_TIMEOUT_SECONDS = 29;

/** Account-level API Gateway defaults: 10,000 requests per second, bursts of 5,000. A stage cannot exceed them. */
export const AWS_CELL_MAX_THROTTLING_RATE_LIMIT = 10_000;
/** See `AWS_CELL_MAX_THROTTLING_RATE_LIMIT`. */
export const AWS_CELL_MAX_THROTTLING_BURST_LIMIT = 5_000;

export const AWS_CELL_PROPS = {
  construct: "AwsCell",
  shape: {
    cellId: cellIdField(),
    region: nonEmpty(AWS_PLACE.example),
    allowUnlistedRegion: z.boolean().optional(),
    lambdaRuntime: oneOf(AWS_CELL_LAMBDA_RUNTIMES).optional(),
    architecture: oneOf(AWS_CELL_ARCHITECTURES).optional(),
    memorySizeMiB: integerFrom(128, 10_240).optional(),
    timeoutSeconds: integerFrom(1, AWS_CELL_MAX_TIMEOUT_SECONDS).optional(),
    logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).optional(),
    throttlingRateLimit: numberWith((rate) =>
      rate > 0 && rate <= AWS_CELL_MAX_THROTTLING_RATE_LIMIT ? undefined : `must be a number above 0 and at most ${AWS_CELL_MAX_THROTTLING_RATE_LIMIT}, got ${rate}`,
    ).optional(),
    throttlingBurstLimit: integerFrom(1, AWS_CELL_MAX_THROTTLING_BURST_LIMIT).optional(),
    reservedConcurrency: integerAtLeast(1, "0 would stop the cell").optional(),
    signingKeyVersion: integerAtLeast(1).optional(),
    adminKeyVersion: integerAtLeast(1).optional(),
    tableDeletionProtection: z.boolean().optional(),
    lake: AWS_LAKE_PROPS.optional(),
    standby: AWS_STANDBY_PROPS.optional(),
  },
  crossField: (props) => placeProblems(AWS_PLACE, props),
  aliases: { location: "region" },
  requiredHints: { cellId: "e.g. 'alpha'", region: "e.g. 'eu-west-1'" },
} satisfies PropsRules;
