import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import * as path from "node:path";
import { formatTopologyProblem, validateTopology } from "../../topology-schema";
import { cdktfRunner, type CdktfRunner } from "./cdktf";
import { probeHealth } from "./health";
import { deployMatrix } from "./matrix";
import { DEFAULT_SETTINGS, runDeploy, type DeploySettings } from "./orchestrator";
import { planDeploy } from "./plan";
import { formatPlan, formatReport } from "./report";
import { UsageError } from "./usage-error";

/**
 * `npm run deploy` (later also `cellctl deploy`): the topology's stacks in waves, health-gated.
 * Data (the plan of a dry run, the matrix, the final report) on stdout; progress and cdktf's own
 * output on stderr. Exit 0 when everything asked for is deployed and healthy, 1 when the rollout
 * stopped (with what to do next), 2 on a usage error.
 */

export interface DeployCliContext {
  /** The topology to deploy (plain data; checked like synth checks it). */
  readonly topology: unknown;
  /** `CELLS_CDKTF` names the cdktf executable (default: the project's `node_modules/.bin/cdktf`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The project root, where cdktf runs. */
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  /** One line per call. */
  readonly stderr: (line: string) => void;
  /** Aborted on SIGINT/SIGTERM: the rollout stops after what is running. */
  readonly signal?: AbortSignal;
}

const integer = (min: number) => (raw: string): number => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min) throw new InvalidArgumentError(`must be a whole number of at least ${min}, got '${raw}'`);
  return value;
};

const secondsArg = (min: number) => (raw: string): number => {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min) throw new InvalidArgumentError(`must be a number of seconds of at least ${min}, got '${raw}'`);
  return value;
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface DeployOptions {
  dryRun?: boolean;
  printMatrix?: boolean;
  fromWave?: number;
  wave?: number;
  only?: string[];
  edgeFirst?: boolean;
  parallel: number;
  bakeSeconds: number;
  healthTimeoutSeconds: number;
  healthIntervalSeconds: number;
  debug?: boolean;
  // cdktf's own flags
  autoApprove?: boolean;
  terraformParallelism?: number;
  refreshOnly?: boolean;
  color: boolean;
  migrateState?: boolean;
  var?: string[];
  varFile?: string[];
  skipProviderLock?: boolean;
  skipSynth?: boolean;
}

/** cdktf's flags as the user gave them, for every `cdktf deploy`. */
function cdktfFlags(o: DeployOptions, afterDoubleDash: readonly string[]): string[] {
  return [
    ...(o.autoApprove ? ["--auto-approve"] : []),
    ...(o.terraformParallelism !== undefined ? ["--terraform-parallelism", String(o.terraformParallelism)] : []),
    ...(o.refreshOnly ? ["--refresh-only"] : []),
    ...(o.color ? [] : ["--no-color"]),
    ...(o.migrateState ? ["--migrate-state"] : []),
    ...(o.var ?? []).flatMap((v) => ["--var", v]),
    ...(o.varFile ?? []).flatMap((f) => ["--var-file", f]),
    ...(o.skipProviderLock ? ["--skip-provider-lock"] : []),
    ...afterDoubleDash,
  ];
}

/** The `deploy` command; `done` receives the exit code when its action ends. */
export function deployCommand(ctx: DeployCliContext, afterDoubleDash: readonly string[], done: (code: number) => void): Command {
  return new Command("deploy")
    .description("Deploy the topology's stacks wave by wave (wave 0, the canary, first; the edge last), each wave health-gated.")
    .usage("[options] [-- <more cdktf deploy flags>]")
    .option("--dry-run", "print the plan and the cdktf commands; run nothing")
    .option("--print-matrix", "print the waves as a JSON matrix for CI (GitHub Actions strategy.matrix) and exit")
    .option("--from-wave <n>", "resume: skip the waves before n", integer(0))
    .option("--wave <n>", "deploy the cells of wave n only (one CI matrix job)", integer(0))
    .option("--only <stack>", "deploy only this stack (repeatable), in wave order, the edge last", collect)
    .option("--edge-first", "also deploy the edge before wave 0, for router changes the cells' new version relies on")
    .option("--parallel <n>", "cells of one wave deployed at once", integer(1), DEFAULT_SETTINGS.parallel)
    .option("--bake-seconds <s>", "how long a wave must stay healthy before the next starts", secondsArg(0), DEFAULT_SETTINGS.bakeMs / 1000)
    .option("--health-timeout-seconds <s>", "how long a deployed cell has to answer /healthz", secondsArg(0), DEFAULT_SETTINGS.healthTimeoutMs / 1000)
    .option("--health-interval-seconds <s>", "time between /healthz probes", secondsArg(0.01), DEFAULT_SETTINGS.healthIntervalMs / 1000)
    .option("--debug", "print stack traces of unexpected errors")
    .addOption(new Option("--auto-approve", "cdktf: approve each stack's plan without asking"))
    .addOption(new Option("--terraform-parallelism <n>", "cdktf: Terraform's parallelism inside a stack").argParser(integer(1)))
    .addOption(new Option("--refresh-only", "cdktf: refresh-only plans"))
    .addOption(new Option("--no-color", "cdktf: no colours in its output"))
    .addOption(new Option("--migrate-state", "cdktf: migrate state to a changed backend"))
    .addOption(new Option("--var <name=value>", "cdktf: a Terraform variable (repeatable)").argParser(collect))
    .addOption(new Option("--var-file <file>", "cdktf: a Terraform variables file (repeatable)").argParser(collect))
    .addOption(new Option("--skip-provider-lock", "cdktf: do not run terraform providers lock"))
    .addOption(new Option("--skip-synth", "cdktf: cdktf.out is current; do not synthesize first"))
    .addHelpText(
      "after",
      [
        "",
        "Every cdktf deploy also gets --skip-synth (this command synthesizes once, first) and",
        "--ignore-missing-stack-dependencies (one stack per command). Flags after -- go to cdktf as they are.",
        "CELLS_CDKTF names another cdktf executable (default: node_modules/.bin/cdktf).",
        "",
        "Examples:",
        "  npm run deploy -- --dry-run",
        "  npm run deploy -- --auto-approve",
        "  npm run deploy -- --from-wave 1 --auto-approve",
        "  npm run deploy -- --only cell-beta",
        "  npm run --silent deploy -- --print-matrix",
      ].join("\n"),
    )
    .allowExcessArguments(false)
    .action(async (options: DeployOptions) => done(await deploy(options, ctx, afterDoubleDash)));
}

async function deploy(options: DeployOptions, ctx: DeployCliContext, afterDoubleDash: readonly string[]): Promise<number> {
  try {
    const checked = validateTopology(ctx.topology);
    if (!checked.ok) {
      for (const problem of checked.problems) ctx.stderr(`topology.ts: ${formatTopologyProblem(problem)}`);
      ctx.stderr(`Nothing deployed: ${checked.problems.length} problem(s) in topology.ts (npm run synth reports the same).`);
      return 1;
    }
    const topology = checked.value;
    if (options.printMatrix) {
      ctx.stdout(`${JSON.stringify(deployMatrix(topology))}\n`);
      return 0;
    }
    const plan = planDeploy(topology, { fromWave: options.fromWave, wave: options.wave, only: options.only, edgeFirst: options.edgeFirst, skipSynth: options.skipSynth });
    const settings: DeploySettings = {
      parallel: options.parallel,
      bakeMs: options.bakeSeconds * 1000,
      healthTimeoutMs: options.healthTimeoutSeconds * 1000,
      healthIntervalMs: options.healthIntervalSeconds * 1000,
    };
    const passthrough = cdktfFlags(options, afterDoubleDash);
    if (options.dryRun) {
      ctx.stdout(formatPlan(plan, settings, passthrough));
      return 0;
    }
    const cdktf: CdktfRunner = cdktfRunner({ bin: ctx.env.CELLS_CDKTF ?? path.join(ctx.cwd, "node_modules", ".bin", "cdktf"), cwd: ctx.cwd, env: ctx.env, log: ctx.stderr, signal: ctx.signal });
    const report = await runDeploy(plan, { cdktf, probe: (cell, url) => probeHealth(cell, url), settings, passthrough, log: ctx.stderr, signal: ctx.signal });
    ctx.stdout(formatReport(report));
    if (report.outcome === "done") return 0;
    ctx.stderr(`deploy ${report.outcome === "interrupted" ? "interrupted" : "stopped"} at ${report.stoppedAt}; next: ${report.next}`);
    return 1;
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr(`error: ${error.message}`);
      return 2;
    }
    ctx.stderr(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
    if (options.debug && error instanceof Error && error.stack) ctx.stderr(error.stack);
    return 1;
  }
}

/** Parses `argv` (what follows `npm run deploy --`) and runs the command; resolves with the exit code. */
export async function runDeployCli(argv: readonly string[], ctx: DeployCliContext): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const afterDoubleDash = dash === -1 ? [] : argv.slice(dash + 1);
  let code = 0;
  const command = deployCommand(ctx, afterDoubleDash, (c) => (code = c))
    .exitOverride()
    .configureOutput({ writeOut: (text) => ctx.stdout(text), writeErr: (text) => ctx.stderr(text.replace(/\n$/, "")) });
  try {
    await command.parseAsync([...own], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.code === "commander.helpDisplayed" || error.code === "commander.help" ? 0 : 2;
    throw error;
  }
  return code;
}
