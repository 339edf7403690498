import type { App } from "cdktf";
import type { Topology } from "../topology";
import { AwsCellStack } from "./aws-cell-stack";
import { AzureCellStack } from "./azure-cell-stack";
import type { BackendConfig } from "./backend";
import { EdgeStack, type EdgeStackProps } from "./edge-stack";

export interface AppOptions {
  readonly backend: BackendConfig;
  readonly router?: EdgeStackProps["router"];
}

export interface AppStacks {
  readonly cells: ReadonlyArray<AwsCellStack | AzureCellStack>;
  readonly edge: EdgeStack;
}

/** The stack name of a cell: `cdktf deploy cell-<cellId>` deploys that cell and nothing else. */
export const cellStackName = (cellId: string): string => `cell-${cellId}`;
export const EDGE_STACK_NAME = "edge";

/**
 * Turns a topology into stacks: one per cell (its own failure domain and state) and one edge stack
 * that takes every cell as an `ICell`.
 */
export function defineStacks(app: App, topology: Topology, options: AppOptions): AppStacks {
  const cells = topology.cells.map((spec) => {
    const id = cellStackName(spec.cellId);
    if (spec.cloud === "aws") {
      const { cloud: _cloud, ...cell } = spec;
      return new AwsCellStack(app, id, { cell, backend: options.backend });
    }
    const { cloud: _cloud, ...cell } = spec;
    return new AzureCellStack(app, id, { cell, backend: options.backend });
  });
  const edge = new EdgeStack(app, EDGE_STACK_NAME, {
    cells: cells.map((stack) => stack.cell),
    tenants: topology.tenants,
    backend: options.backend,
    router: options.router,
  });
  return { cells, edge };
}
