import type { TenantPlacement } from "./contract";
import type { AwsCellProps } from "./constructs/aws-cell";
import type { AzureCellProps } from "./constructs/azure-cell";

/** What the topology says about a cell beyond its construct props: when it deploys and how full it may get. */
export interface CellTopologyFields {
  /**
   * Deployment wave: `npm run deploy` deploys wave 0 (the canary wave) first and each next wave only
   * once the previous one is healthy. Wave 0 holds at least one cell; waves are contiguous (0, 1, 2...).
   */
  readonly wave: number;
  /**
   * How many tenants the cell may hold; the control plane places no tenant beyond it.
   * @default DEFAULT_CELL_CAPACITY (100)
   */
  readonly capacity?: number;
}

/** One cell: its cloud, that cloud's construct props, and its wave and capacity. */
export type CellSpec = ({ readonly cloud: "aws" } & AwsCellProps & CellTopologyFields) | ({ readonly cloud: "azure" } & AzureCellProps & CellTopologyFields);

/** The whole system: which cells exist, where, and which tenants start on which cell. */
export interface Topology {
  readonly cells: readonly CellSpec[];
  readonly tenants: readonly TenantPlacement[];
}

/**
 * The deployed topology. `main.ts` synthesizes one stack per cell plus the edge stack from it, and
 * `npm start` runs the same topology locally; both check it first (`topology-schema.ts`). Adding a
 * cell is one entry in `cells`; placing a tenant on it is one entry in `tenants`.
 */
export const TOPOLOGY: Topology = {
  cells: [
    // `lake: {}`: every committed change also lands in the cell's own reporting lake (npm run report).
    // `standby: {}`: the cell can keep standbys of its tenants on other cells (cellctl standby / failover).
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0, lake: {}, standby: {} },
    { cloud: "azure", cellId: "beta", location: "eastus", wave: 1, lake: {}, standby: {} },
  ],
  tenants: [
    { tenantId: "T-100", cellId: "alpha" },
    { tenantId: "T-200", cellId: "beta" },
  ],
};

/** The stack name of a cell: `cdktf deploy cell-<cellId>` deploys that cell and nothing else. */
export const cellStackName = (cellId: string): string => `cell-${cellId}`;
/** The stack holding the edge router, its registry and the cells' key bindings. */
export const EDGE_STACK_NAME = "edge";

/** How many tenants a cell holds when its entry does not say. */
export const DEFAULT_CELL_CAPACITY = 100;

/** A cell's region whatever its cloud calls it. */
export const regionOf = (cell: CellSpec): string => (cell.cloud === "aws" ? cell.region : cell.location);

/** How many tenants a cell may hold. */
export const capacityOf = (cell: CellSpec): number => cell.capacity ?? DEFAULT_CELL_CAPACITY;

/** The cells of each wave, wave 0 first, each wave in topology order. */
export function wavesOf(topology: Pick<Topology, "cells">): CellSpec[][] {
  const waves: CellSpec[][] = [];
  for (const cell of topology.cells) (waves[cell.wave] ??= []).push(cell);
  return waves.filter((wave) => wave !== undefined);
}
