import { Token } from "cdktf/lib/tokens/token";
import { z } from "zod";
import { integerFrom } from "./fields";

/**
 * The rules of a cell's `standby` prop (the standby replication consumer: `constructs/aws-standby.ts`,
 * `constructs/azure-standby.ts`), as nested strict objects so a problem reads `standby.leaseSeconds: ...`.
 * The lease must outlast two sweeps (one lost sweep costs no write); the defaults live here too.
 */

/** AWS sweeps once a minute (an EventBridge schedule goes no finer). */
export const AWS_STANDBY_SWEEP_SECONDS = 60;
export const AWS_STANDBY_DEFAULTS = { leaseSeconds: 150, batchSize: 100, maximumRetryAttempts: 3 } as const;
export const AZURE_STANDBY_DEFAULTS = { leaseSeconds: 90, sweepSeconds: 30 } as const;

const literal = (value: unknown): value is number => typeof value === "number" && !Token.isUnresolved(value);

/** `leaseSeconds` must be more than two sweeps. */
function leaseOutlastsSweeps(fixedSweepSeconds?: number) {
  return (ctx: z.core.ParsePayload<Record<string, unknown>>) => {
    const lease = ctx.value.leaseSeconds;
    const sweep = fixedSweepSeconds ?? ctx.value.sweepSeconds ?? AZURE_STANDBY_DEFAULTS.sweepSeconds;
    if (!literal(lease) || !literal(sweep)) return;
    if (lease <= 2 * sweep) {
      ctx.issues.push({ code: "custom", input: lease, path: ["leaseSeconds"], message: `must be more than two sweeps (${2 * sweep} s${fixedSweepSeconds ? `, a sweep a minute on AWS` : ""}), got ${lease}` });
    }
  };
}

export const AWS_STANDBY_PROPS = z
  .strictObject({
    leaseSeconds: integerFrom(1, 3600).optional(),
    batchSize: integerFrom(1, 1000).optional(),
    maximumRetryAttempts: integerFrom(0, 10_000).optional(),
  })
  .check(leaseOutlastsSweeps(AWS_STANDBY_SWEEP_SECONDS));

export const AZURE_STANDBY_PROPS = z
  .strictObject({
    leaseSeconds: integerFrom(1, 3600).optional(),
    sweepSeconds: integerFrom(5, 300).optional(),
  })
  .check(leaseOutlastsSweeps());
