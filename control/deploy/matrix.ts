import type { Topology } from "../../topology";
import { targetsByWave } from "./plan";

/**
 * `npm run deploy -- --print-matrix`: the waves as a GitHub Actions matrix (`strategy.matrix:
 * ${{ fromJSON(...) }}`), one entry per wave, canary first. A workflow runs one job per entry with
 * `max-parallel: 1` (waves in order) and an environment per wave (an approval between waves); each
 * job runs `npm run deploy -- --wave <wave>`, and a last job deploys the edge (README, "Deploy").
 */
export interface MatrixEntry {
  readonly wave: number;
  /** True for wave 0. */
  readonly canary: boolean;
  /** The wave's stacks, space-separated (for job names and `--only`). */
  readonly stacks: string;
  /** The wave's cell ids, comma-separated. */
  readonly cells: string;
  /** A GitHub environment name for the wave, where an approval rule can sit. */
  readonly environment: string;
}

export function deployMatrix(topology: Topology): { include: MatrixEntry[] } {
  return {
    include: targetsByWave(topology).map((cells, wave) => ({
      wave,
      canary: wave === 0,
      stacks: cells.map((c) => c.stack).join(" "),
      cells: cells.map((c) => c.cellId).join(","),
      environment: `cells-wave-${wave}`,
    })),
  };
}
