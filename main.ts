import "./main-preload"; // first: turns source maps off before anything else loads
import { App } from "cdktf";
import { PropsError } from "./constructs/props/problems";
import { defineStacks } from "./stacks/app";
import { backendFromEnv } from "./stacks/backend";
import { formatSynthSummary, readSynthSummary } from "./stacks/synth-summary";
import { TOPOLOGY, type Topology } from "./topology";
import { TopologyError, formatTopologyProblem } from "./topology-schema";

/**
 * The app: the topology in `topology.ts` as stacks (`cell-alpha`, `cell-beta`, ..., `edge`).
 * The only place that reads environment variables (the state backend choice; see README).
 *
 *     npm run synth [-- --debug]
 *
 * Checks the topology first and prints every problem, one per line, on stderr (exit 1); then
 * synthesizes and prints a summary of the stacks on stdout. `--debug` adds stack traces to errors.
 */

export interface SynthRun {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly debug: boolean;
  /** Where the stacks go. @default cdktf's (`CDKTF_OUTDIR` or `cdktf.out`) */
  readonly outdir?: string;
  readonly stdout: (text: string) => void;
  /** One line per call. */
  readonly stderr: (line: string) => void;
}

/**
 * Synthesizes `topology` and reports; returns the exit code (0, or 1 with every problem on stderr).
 * `defineStacks` checks the topology first, so a bad one is a `TopologyError` before any construct.
 */
export function runSynth(topology: Topology, run: SynthRun): number {
  try {
    const app = new App({ outdir: run.outdir });
    defineStacks(app, topology, { backend: backendFromEnv(run.env) });
    app.synth();
    run.stdout(formatSynthSummary(readSynthSummary(app.outdir, topology)));
    return 0;
  } catch (error) {
    if (error instanceof TopologyError) {
      for (const problem of error.problems) run.stderr(`topology.ts: ${formatTopologyProblem(problem)}`);
      run.stderr(`Synth stopped: ${error.problems.length} problem${error.problems.length === 1 ? "" : "s"} in topology.ts; no stack was synthesized.`);
    } else if (error instanceof PropsError) {
      for (const problem of error.problems) run.stderr(`${error.construct}: ${problem}`);
    } else {
      run.stderr(`Synth failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (run.debug && error instanceof Error && error.stack) run.stderr(error.stack);
    else if (!(error instanceof TopologyError)) run.stderr("(npm run synth -- --debug shows the stack trace)");
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = runSynth(TOPOLOGY, {
    env: process.env,
    debug: process.argv.includes("--debug"),
    stdout: (text) => process.stdout.write(text),
    stderr: (line) => process.stderr.write(`${line}\n`),
  });
}
