import { Token } from "cdktf/lib/tokens/token";
import { z } from "zod";
import { integerFrom } from "./fields";

/**
 * The rules of a cell's `lake` prop (the reporting lake: `constructs/aws-lake.ts`,
 * `constructs/azure-lake.ts`), as nested strict objects so a problem reads `lake.batchSize: ...`.
 * The defaults live here too: the rule "below lake.retentionDays" compares with the default when
 * `retentionDays` is left out.
 */

export const AWS_LAKE_DEFAULTS = { retentionDays: 365, batchSize: 100, batchWindowSeconds: 1, maximumRetryAttempts: 10 } as const;
export const AZURE_LAKE_DEFAULTS = { retentionDays: 365, coolAfterDays: 30 } as const;

/** Days a lake file may be kept: 1 to 10 years. */
const retentionDays = () => integerFrom(1, 3650).optional();

const literal = (value: unknown): value is number => typeof value === "number" && !Token.isUnresolved(value);

/** `field` must be an integer of at least `min` and below the lake's retention. */
function belowRetention(field: string, min: number, minWhy: string, defaultRetention: number) {
  return (ctx: z.core.ParsePayload<Record<string, unknown>>) => {
    const value = ctx.value[field];
    if (!literal(value)) return;
    const retention = ctx.value.retentionDays ?? defaultRetention;
    if (!Number.isInteger(value) || value < min || (literal(retention) && value >= retention)) {
      ctx.issues.push({ code: "custom", input: value, path: [field], message: `must be an integer of at least ${min}${minWhy} and below lake.retentionDays (${String(retention)}), got ${value}` });
    }
  };
}

export const AWS_LAKE_PROPS = z
  .strictObject({
    retentionDays: retentionDays(),
    infrequentAccessAfterDays: z.number().optional(),
    batchSize: integerFrom(1, 10_000).optional(),
    batchWindowSeconds: integerFrom(0, 300).optional(),
    maximumRetryAttempts: integerFrom(0, 10_000).optional(),
  })
  .check(belowRetention("infrequentAccessAfterDays", 30, " (S3's minimum for Standard-IA)", AWS_LAKE_DEFAULTS.retentionDays));

export const AZURE_LAKE_PROPS = z
  .strictObject({
    retentionDays: retentionDays(),
    coolAfterDays: z.number().optional(),
  })
  .check(belowRetention("coolAfterDays", 0, "", AZURE_LAKE_DEFAULTS.retentionDays));
