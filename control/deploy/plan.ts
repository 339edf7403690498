import type { Cloud } from "../../contract";
import { EDGE_STACK_NAME, cellStackName, wavesOf, type Topology } from "../../topology";
import { didYouMean } from "../../topology-schema";
import { UsageError } from "./usage-error";

/**
 * What `npm run deploy` will do, in order, before anything runs: one synth, the cells wave by wave
 * (wave 0, the canary, first), and the edge stack last. Pure: the dry run prints it, the
 * orchestrator runs it, `--print-matrix` turns its waves into a CI matrix.
 *
 * The edge goes last by default because it reads every cell's outputs (URL and signing key) through
 * cross-stack references: a new cell must exist before the router can route to it, and a changed
 * cell is rolled out to its canary before the router relies on it. `--edge-first` also deploys it
 * before wave 0, for the changes where the router must move first: it must understand something the
 * new cells will start to send (a new answer such as `tenant-moved`, a new header or signature
 * version the cells will require). Such a rollout may not add cells in the same run (the edge would
 * reference outputs that do not exist yet); the edge then runs again at the end, which is a no-op
 * when nothing else changed.
 */

export interface CellTarget {
  readonly stack: string;
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly wave: number;
}

export type PlanStep =
  | { readonly kind: "synth" }
  | { readonly kind: "wave"; readonly wave: number; readonly cells: readonly CellTarget[] }
  | { readonly kind: "edge"; readonly when: "first" | "last" };

export interface DeployPlan {
  /** How the stacks were chosen, so a stopped run can say how to resume: the whole rollout, one wave, or --only. */
  readonly mode: "rollout" | "wave" | "only";
  readonly steps: readonly PlanStep[];
  /** Stacks this run leaves alone (earlier waves on a resume, the rest with --only or --wave). */
  readonly skipped: readonly string[];
}

export interface PlanOptions {
  /** Resume: skip the waves before this one (and the edge-first step). */
  readonly fromWave?: number;
  /** Only this wave's cells (one CI matrix job). */
  readonly wave?: number;
  /** Only these stacks, in wave order, the edge last. */
  readonly only?: readonly string[];
  /** Deploy the edge before wave 0 as well as after the last wave. */
  readonly edgeFirst?: boolean;
  /** The synthesized output is already current (cdktf's own --skip-synth). */
  readonly skipSynth?: boolean;
}

/** The cells of the topology as deploy targets, by wave. */
export function targetsByWave(topology: Topology): CellTarget[][] {
  return wavesOf(topology).map((cells) => cells.map((c) => ({ stack: cellStackName(c.cellId), cellId: c.cellId, cloud: c.cloud, wave: c.wave })));
}

/** Every stack name, in deploy order. */
export const stackNames = (topology: Topology): string[] => [...targetsByWave(topology).flat().map((t) => t.stack), EDGE_STACK_NAME];

function checkWave(flag: string, wave: number, last: number): void {
  if (!Number.isSafeInteger(wave) || wave < 0 || wave > last) throw new UsageError(`${flag} must be a wave of this topology, 0 to ${last}, got ${wave}`);
}

/** The plan for `topology` under `options`; a `UsageError` for options that name no wave or stack, or clash. */
export function planDeploy(topology: Topology, options: PlanOptions = {}): DeployPlan {
  const waves = targetsByWave(topology);
  const last = waves.length - 1;
  const all = stackNames(topology);
  const chosen = [options.only !== undefined && "--only", options.wave !== undefined && "--wave", options.fromWave !== undefined && "--from-wave"].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(" and ")} pick stacks in different ways; use one of them`);
  if (options.edgeFirst && (options.only !== undefined || options.wave !== undefined)) {
    throw new UsageError("--edge-first belongs to a whole rollout; with --only or --wave, deploy the edge on its own: --only edge");
  }

  let selected: CellTarget[][];
  let edge: Array<"first" | "last">;
  if (options.only !== undefined) {
    for (const stack of options.only) {
      if (!all.includes(stack)) throw new UsageError(`--only: no stack '${stack}'${didYouMean(stack, all)} (stacks: ${all.join(", ")})`);
    }
    selected = waves.map((cells) => cells.filter((c) => options.only!.includes(c.stack)));
    edge = options.only.includes(EDGE_STACK_NAME) ? ["last"] : [];
  } else if (options.wave !== undefined) {
    checkWave("--wave", options.wave, last);
    selected = waves.map((cells, wave) => (wave === options.wave ? cells : []));
    edge = [];
  } else {
    const from = options.fromWave ?? 0;
    checkWave("--from-wave", from, last);
    selected = waves.map((cells, wave) => (wave >= from ? cells : []));
    edge = options.edgeFirst && from === 0 ? ["first", "last"] : ["last"];
  }

  const steps: PlanStep[] = options.skipSynth ? [] : [{ kind: "synth" }];
  if (edge.includes("first")) steps.push({ kind: "edge", when: "first" });
  selected.forEach((cells, wave) => cells.length > 0 && steps.push({ kind: "wave", wave, cells }));
  if (edge.includes("last")) steps.push({ kind: "edge", when: "last" });

  const planned = new Set(steps.flatMap((s) => (s.kind === "wave" ? s.cells.map((c) => c.stack) : s.kind === "edge" ? [EDGE_STACK_NAME] : [])));
  const mode = options.only !== undefined ? "only" : options.wave !== undefined ? "wave" : "rollout";
  return { mode, steps, skipped: all.filter((stack) => !planned.has(stack)) };
}
