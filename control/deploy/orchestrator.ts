import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EDGE_STACK_NAME } from "../../topology";
import type { CdktfRunner } from "./cdktf";
import type { HealthResult } from "./health";
import type { CellTarget, DeployPlan, PlanStep } from "./plan";

/**
 * Runs a deploy plan: `cdktf synth` once, then `cdktf deploy <stack>` per stack, the cells of a wave
 * in parallel up to a limit, and after each wave a health gate: every cell of the wave answers
 * `/healthz` through its `endpoint-url` output, then stays healthy for the bake time. The first
 * failure (a deploy that fails, a cell that is not healthy) stops the rollout: what is running
 * finishes, nothing new starts, and the report says what was deployed, what was not, and what next.
 */

export interface DeploySettings {
  /** Cells of one wave deployed at once. */
  readonly parallel: number;
  /** How long a wave must stay healthy after its cells first answer, ms. */
  readonly bakeMs: number;
  /** How long a freshly deployed cell has to answer healthy, ms. */
  readonly healthTimeoutMs: number;
  /** Time between health probes, ms. */
  readonly healthIntervalMs: number;
}

export const DEFAULT_SETTINGS: DeploySettings = { parallel: 4, bakeMs: 60_000, healthTimeoutMs: 300_000, healthIntervalMs: 10_000 };

export interface DeployContext {
  readonly cdktf: CdktfRunner;
  /** One health probe of a cell at its URL. */
  readonly probe: (cell: CellTarget, endpointUrl: string) => Promise<HealthResult>;
  readonly settings: DeploySettings;
  /** Flags for every `cdktf deploy` (e.g. `--auto-approve`). */
  readonly passthrough: readonly string[];
  /** Progress, one line per call (stderr). */
  readonly log: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: nothing new starts, running deploys get SIGINT from the runner. */
  readonly signal?: AbortSignal;
}

/** What happened to one stack of the plan (the edge may appear twice: before wave 0 and last). */
export interface StackOutcome {
  readonly stack: string;
  /** The cell's wave; undefined for the edge. */
  readonly wave?: number;
  /** For the edge: the step it belongs to. */
  readonly edge?: "first" | "last";
  status: "not started" | "failed" | "deployed" | "healthy" | "unhealthy";
  detail?: string;
}

export interface DeployReport {
  readonly outcome: "done" | "failed" | "unhealthy" | "interrupted";
  /** Every stack of the plan, in plan order. */
  readonly stacks: readonly StackOutcome[];
  /** The step that stopped the rollout (`wave 0`, `edge`, `synth`). */
  readonly stoppedAt?: string;
  /** One line: what to do next. */
  readonly next?: string;
}

/** Whether `cdktf deploy` finished for the stack (healthy or not). */
export const wasDeployed = (o: StackOutcome): boolean => o.status === "deployed" || o.status === "healthy" || o.status === "unhealthy";

/** The arguments of one stack's `cdktf deploy`. */
export function deployArgs(stack: string, outputsFile: string, passthrough: readonly string[]): string[] {
  // --skip-synth: this run synthesized once, up front (parallel synths would share cdktf.out).
  // --ignore-missing-stack-dependencies: one stack per command; cdktf refuses the edge otherwise.
  return ["deploy", stack, "--skip-synth", "--ignore-missing-stack-dependencies", "--outputs-file", outputsFile, ...passthrough];
}

/** The `endpoint-url` output of `stack` from its outputs file (cdktf writes `{ "<stack>": { "<output>": value } }`). */
function endpointUrlOf(outputsFile: string, stack: string): string | undefined {
  try {
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, Record<string, unknown>>;
    const url = outputs[stack]?.["endpoint-url"];
    return typeof url === "string" && url !== "" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `task` over `items` with at most `limit` at once; starts no new one once `stop()` is true. */
async function pool<T>(items: readonly T[], limit: number, stop: () => boolean, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

type Stop = { readonly outcome: Exclude<DeployReport["outcome"], "done">; readonly stoppedAt: string; readonly next: string };

export async function runDeploy(plan: DeployPlan, ctx: DeployContext): Promise<DeployReport> {
  const outcomes = plan.steps.flatMap((step): StackOutcome[] =>
    step.kind === "wave"
      ? step.cells.map((c) => ({ stack: c.stack, wave: c.wave, status: "not started" }))
      : step.kind === "edge"
        ? [{ stack: EDGE_STACK_NAME, edge: step.when, status: "not started" }]
        : [],
  );
  const outcomeOf = (stack: string, edge?: "first" | "last") => outcomes.find((o) => o.stack === stack && o.edge === edge)!;
  const interrupted = () => ctx.signal?.aborted === true;
  const outputsDir = mkdtempSync(path.join(tmpdir(), "cells-deploy-outputs-"));

  /** `cdktf deploy <stack>`; the outputs file on success. */
  const deploy = async (outcome: StackOutcome): Promise<string | undefined> => {
    const outputsFile = path.join(outputsDir, `${outcome.stack}.json`);
    ctx.log(`deploying ${outcome.stack}${outcome.wave === undefined ? "" : ` (wave ${outcome.wave})`}`);
    const code = await ctx.cdktf.run(deployArgs(outcome.stack, outputsFile, ctx.passthrough), outcome.stack);
    if (code !== 0) {
      Object.assign(outcome, { status: "failed", detail: `cdktf deploy exited ${code}` });
      ctx.log(`${outcome.stack}: cdktf deploy failed (exit ${code})`);
      return undefined;
    }
    outcome.status = "deployed";
    ctx.log(`${outcome.stack}: deployed`);
    return outputsFile;
  };

  const runStep = async (step: PlanStep): Promise<Stop | undefined> => {
    if (step.kind === "synth") {
      ctx.log("synthesizing every stack once (cdktf synth)");
      if ((await ctx.cdktf.run(["synth"], "synth")) === 0) return undefined;
      return { outcome: "failed", stoppedAt: "synth", next: "fix the synth error above (npm run synth shows it too), then run the same command again" };
    }
    if (step.kind === "edge") {
      if ((await deploy(outcomeOf(EDGE_STACK_NAME, step.when))) !== undefined) return undefined;
      return { outcome: "failed", stoppedAt: `edge (${step.when})`, next: "fix the error above, then deploy the edge alone: npm run deploy -- --only edge" };
    }
    const { wave, cells } = step;
    const resume = plan.mode === "rollout" ? `npm run deploy -- --from-wave ${wave}` : plan.mode === "wave" ? `npm run deploy -- --wave ${wave}` : "the same command";
    const urls = new Map<CellTarget, string | undefined>();
    let failures = 0;
    await pool(cells, ctx.settings.parallel, () => failures > 0 || interrupted(), async (cell) => {
      const file = await deploy(outcomeOf(cell.stack));
      if (file === undefined) failures += 1;
      else urls.set(cell, endpointUrlOf(file, cell.stack));
    });
    if (failures > 0) {
      return { outcome: "failed", stoppedAt: `wave ${wave}`, next: `fix the error above, then resume with: ${resume} (cells already deployed are a no-op)` };
    }
    if (interrupted()) return { outcome: "interrupted", stoppedAt: `wave ${wave}`, next: `resume with: ${resume}` };

    const health = await gate(cells, urls, ctx);
    for (const cell of cells) {
      const result = health.get(cell)!;
      Object.assign(outcomeOf(cell.stack), result.healthy ? { status: "healthy" } : { status: "unhealthy", detail: result.detail });
    }
    const sick = cells.filter((c) => !health.get(c)!.healthy).map((c) => c.stack);
    if (interrupted()) return { outcome: "interrupted", stoppedAt: `wave ${wave}`, next: `resume with: ${resume}` };
    if (sick.length === 0) return undefined;
    return {
      outcome: "unhealthy",
      stoppedAt: `wave ${wave}`,
      next:
        `${sick.join(", ")} ${sick.length === 1 ? "is" : "are"} deployed but not healthy: roll back (deploy the last good commit with ` +
        `npm run deploy -- --only ${sick.join(" --only ")}) or fix forward, then resume with: ${resume}`,
    };
  };

  let stop: Stop | undefined;
  try {
    for (const step of plan.steps) {
      if (interrupted()) {
        stop = { outcome: "interrupted", stoppedAt: step.kind === "wave" ? `wave ${step.wave}` : step.kind, next: "run the same command again (or resume with --from-wave)" };
        break;
      }
      stop = await runStep(step);
      if (stop) {
        if (interrupted() && stop.outcome !== "interrupted") stop = { ...stop, outcome: "interrupted" };
        break;
      }
    }
  } finally {
    rmSync(outputsDir, { recursive: true, force: true });
  }
  return { outcome: stop?.outcome ?? "done", stacks: outcomes, stoppedAt: stop?.stoppedAt, next: stop?.next };
}

/**
 * The health gate of one wave: each cell must answer healthy within the health timeout, then all of
 * them must stay healthy through the bake time (probed every interval). The first bad answer during
 * the bake fails the cell.
 */
async function gate(cells: readonly CellTarget[], urls: ReadonlyMap<CellTarget, string | undefined>, ctx: DeployContext): Promise<Map<CellTarget, HealthResult>> {
  const { healthTimeoutMs, healthIntervalMs, bakeMs } = ctx.settings;
  const results = new Map<CellTarget, HealthResult>();
  const wait = (ms: number) => sleep(ms, undefined, { signal: ctx.signal }).catch(() => undefined);

  await Promise.all(
    cells.map(async (cell) => {
      const url = urls.get(cell);
      if (url === undefined) {
        results.set(cell, { healthy: false, detail: `no endpoint-url output for ${cell.stack}, so its /healthz cannot be checked` });
        return;
      }
      const deadline = Date.now() + healthTimeoutMs;
      let result = await ctx.probe(cell, url);
      while (!result.healthy && Date.now() + healthIntervalMs <= deadline && !ctx.signal?.aborted) {
        await wait(healthIntervalMs);
        result = await ctx.probe(cell, url);
      }
      results.set(cell, result);
      ctx.log(`${cell.stack}: ${result.healthy ? "healthy" : `not healthy: ${result.detail}`}`);
    }),
  );

  const healthy = cells.filter((c) => results.get(c)!.healthy);
  if (healthy.length < cells.length || bakeMs <= 0) return results;
  ctx.log(`wave ${cells[0]!.wave}: baking for ${bakeMs / 1000} s`);
  const bakeEnd = Date.now() + bakeMs;
  while (Date.now() < bakeEnd && !ctx.signal?.aborted) {
    await wait(Math.min(healthIntervalMs, Math.max(0, bakeEnd - Date.now())));
    const probes = await Promise.all(healthy.map(async (cell) => [cell, await ctx.probe(cell, urls.get(cell)!)] as const));
    const sick = probes.filter(([, r]) => !r.healthy);
    for (const [cell, result] of sick) {
      results.set(cell, { healthy: false, detail: `unhealthy during the bake: ${(result as { detail: string }).detail}` });
      ctx.log(`${cell.stack}: not healthy during the bake: ${(result as { detail: string }).detail}`);
    }
    if (sick.length > 0) break;
  }
  return results;
}
