import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { describeValue, formatProblem, schemaProblems } from "../../constructs/props/problems";
import { didYouMean } from "../../topology-schema";

/**
 * What `cellctl watch` may do, and within which guard rails: a typed policy, built in (`--policy
 * evacuate`) or a JSON file (`--policy ./ops/watch.json`), checked field by field before the loop
 * starts. Every field but the two reactions has a default, so a file says only what differs:
 *
 *     { "onDegraded": "evacuate", "onDown": "failover", "limits": { "maxMovesPerHour": 4 } }
 */

/** What the loop does about a degraded cell. */
export const DEGRADED_ACTIONS = ["none", "drain", "evacuate"] as const;
/** What the loop does about a cell that is down. `failover` moves tenants with a standby to it. */
export const DOWN_ACTIONS = ["none", "drain", "evacuate", "failover"] as const;
/**
 * What the loop does once a cell it acted on is healthy again: nothing, put it back into placement
 * (only if the loop itself drained it), or that and move back the tenants it moved off it (each after
 * its cooldown).
 */
export const RECOVERED_ACTIONS = ["none", "activate", "return"] as const;

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(", ");

/** A string that must be one of `values`; the message lists them and the likeliest one. */
const choice = <T extends string>(values: readonly T[]) =>
  z.string().check((ctx) => {
    if (!(values as readonly string[]).includes(ctx.value)) ctx.issues.push({ code: "custom", input: ctx.value, message: `must be one of ${list(values)}, got '${ctx.value}'${didYouMean(ctx.value, values)}` });
  }) as unknown as z.ZodType<T>;

const integer = (min: number, max: number, unit = "") =>
  z.number().check((ctx) => {
    if (!(Number.isInteger(ctx.value) && ctx.value >= min && ctx.value <= max)) ctx.issues.push({ code: "custom", input: ctx.value, message: `must be an integer from ${min} to ${max}${unit}, got ${describeValue(ctx.value)}` });
  });

const share = (what: string) =>
  z.number().check((ctx) => {
    if (!(ctx.value >= 0 && ctx.value <= 1)) ctx.issues.push({ code: "custom", input: ctx.value, message: `must be a number from 0 to 1 (${what}), got ${describeValue(ctx.value)}` });
  });

export const POLICY_SCHEMA = z.strictObject({
  /** A name for the logs. @default the file's name or the built-in's */
  name: z.string().min(1).optional(),
  /** Seconds between two looks at the cells; each look judges the last `intervalSeconds` of figures. */
  intervalSeconds: integer(1, 3600, " s").default(10),
  /** When one window's signals count as bad. */
  thresholds: z
    .strictObject({
      /** The store probe's write + read above this is a degraded window. */
      probeLatencyMs: integer(1, 60_000, " ms").default(1_000),
      /** A share of failed requests (at the cell or the edge) above this is a degraded window. */
      errorRate: share("the share of failed requests").default(0.05),
      /** A p99 latency (at the cell or the edge) above this is a degraded window. */
      p99LatencyMs: integer(1, 600_000, " ms").default(5_000),
      /** Error shares and p99s count only over at least this many requests in the window. */
      minRequests: integer(1, 1_000_000).default(10),
    })
    .default({ probeLatencyMs: 1_000, errorRate: 0.05, p99LatencyMs: 5_000, minRequests: 10 }),
  /** Consecutive windows before the condition changes: hysteresis, so a single bad window moves nothing. */
  hysteresis: z
    .strictObject({
      /** Bad windows (degraded or down) in a row before a healthy cell is degraded. */
      degradedAfter: integer(1, 1_000).default(3),
      /** Down windows in a row (unreachable, or its store probe failing) before a cell is down. */
      downAfter: integer(1, 1_000).default(3),
      /** Good windows in a row before a degraded or down cell is healthy again. */
      healthyAfter: integer(1, 1_000).default(5),
    })
    .default({ degradedAfter: 3, downAfter: 3, healthyAfter: 5 }),
  onDegraded: choice(DEGRADED_ACTIONS),
  onDown: choice(DOWN_ACTIONS),
  onRecovered: choice(RECOVERED_ACTIONS).default("activate"),
  limits: z
    .strictObject({
      /** Tenant moves running at once, at most. */
      maxInFlight: integer(1, 32).default(1),
      /** Tenant moves started in any hour, at most (resuming a stopped one does not count again). */
      maxMovesPerHour: integer(0, 10_000).default(10),
      /** A tenant this loop moved is not moved again by it for this long, whatever happens to its new cell. */
      tenantCooldownMinutes: integer(0, 7 * 24 * 60, " min").default(60),
    })
    .default({ maxInFlight: 1, maxMovesPerHour: 10, tenantCooldownMinutes: 60 }),
  targets: z
    .strictObject({
      /** A cell takes a tenant only while it stays at or below this share of its capacity afterwards. */
      maxUtilisation: share("of the target's capacity").default(0.8),
    })
    .default({ maxUtilisation: 0.8 }),
  /** A plan moving more tenants than this, or a larger share of all tenants, waits for `cellctl approve <plan>`. */
  approval: z
    .strictObject({
      aboveTenants: integer(0, 1_000_000).default(5),
      aboveShare: share("of all tenants").default(0.5),
    })
    .default({ aboveTenants: 5, aboveShare: 0.5 }),
});

export type WatchPolicy = z.infer<typeof POLICY_SCHEMA> & { readonly name: string };

/** The built-in policies, `--policy <name>`; each is a policy file's content. */
export const BUILT_IN_POLICIES = {
  /** Watch and log only. */
  observe: { onDegraded: "none", onDown: "none", onRecovered: "none" },
  /** Take a failing cell out of placement; its tenants stay. */
  drain: { onDegraded: "drain", onDown: "drain" },
  /** Drain a failing cell and move its tenants to healthy cells with room. */
  evacuate: { onDegraded: "evacuate", onDown: "evacuate", intervalSeconds: 5 },
  /** Drain a degraded cell; fail a down cell's tenants over to their standbys. */
  failover: { onDegraded: "drain", onDown: "failover" },
} as const satisfies Record<string, Record<string, unknown>>;

export type BuiltInPolicy = keyof typeof BUILT_IN_POLICIES;

/** A policy that failed its check: every problem, one per line, naming the field and what is allowed. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid watch policy:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Checks a policy's content; `source` names it in messages. */
export function parsePolicy(raw: unknown, source: string, name: string): WatchPolicy {
  const problems = schemaProblems(POLICY_SCHEMA, raw, { owner: "policy" });
  if (problems.length > 0) throw new PolicyError(source, problems.map((p) => formatProblem(p)));
  const parsed = POLICY_SCHEMA.parse(raw);
  return { ...parsed, name: parsed.name ?? name };
}

/** `--policy <name|file>`: a built-in policy by name, else a JSON file (relative to `cwd`). */
export function loadPolicy(nameOrFile: string, cwd: string): WatchPolicy {
  if (Object.hasOwn(BUILT_IN_POLICIES, nameOrFile)) return parsePolicy(BUILT_IN_POLICIES[nameOrFile as BuiltInPolicy], `built-in policy '${nameOrFile}'`, nameOrFile);
  const file = path.resolve(cwd, nameOrFile);
  if (!existsSync(file)) {
    const names = Object.keys(BUILT_IN_POLICIES);
    throw new PolicyError(`--policy '${nameOrFile}'`, [`is neither a built-in policy (${list(names)})${didYouMean(nameOrFile, names)} nor a file`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new PolicyError(file, [`is not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parsePolicy(raw, file, path.basename(file, path.extname(file)));
}
