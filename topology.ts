import type { TenantPlacement } from "./contract";
import type { AwsCellProps } from "./constructs/aws-cell";
import type { AzureCellProps } from "./constructs/azure-cell";

/** One cell: its cloud and that cloud's construct props. */
export type CellSpec = ({ readonly cloud: "aws" } & AwsCellProps) | ({ readonly cloud: "azure" } & AzureCellProps);

/** The whole system: which cells exist, where, and which tenants start on which cell. */
export interface Topology {
  readonly cells: readonly CellSpec[];
  readonly tenants: readonly TenantPlacement[];
}

/**
 * The deployed topology. `main.ts` synthesizes one stack per cell plus the edge stack from it, and
 * `npm start` runs the same topology locally. Adding a cell is one entry in `cells`; placing a
 * tenant on it is one entry in `tenants`.
 */
export const TOPOLOGY: Topology = {
  cells: [
    // `lake: {}`: every committed change also lands in the cell's own reporting lake (npm run report).
    { cloud: "aws", cellId: "alpha", region: "us-east-1", lake: {} },
    { cloud: "azure", cellId: "beta", location: "eastus", lake: {} },
  ],
  tenants: [
    { tenantId: "T-100", cellId: "alpha" },
    { tenantId: "T-200", cellId: "beta" },
  ],
};

/** A cell's region whatever its cloud calls it. */
export const regionOf = (cell: CellSpec): string => (cell.cloud === "aws" ? cell.region : cell.location);
