import type { App } from "cdktf";
import { EDGE_STACK_NAME, cellStackName, type Topology } from "../topology";
import { loadTopology } from "../topology-schema";
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

// Stack names are the topology's (the deploy command reads them there too).
export { EDGE_STACK_NAME, cellStackName } from "../topology";

/**
 * Turns a topology into stacks: one per cell (its own failure domain and state) and one edge stack
 * that takes every cell as an `ICell`. Checks the whole topology first (`loadTopology`), so a bad
 * entry throws a `TopologyError` naming every problem before any construct exists.
 */
export function defineStacks(app: App, topology: Topology, options: AppOptions): AppStacks {
  const cells = loadTopology(topology).cells.map((spec) => {
    const id = cellStackName(spec.cellId);
    // The construct takes its own props only: the cloud picks the construct, wave and capacity are the topology's.
    if (spec.cloud === "aws") {
      const { cloud: _cloud, wave: _wave, capacity: _capacity, ...cell } = spec;
      return new AwsCellStack(app, id, { cell, backend: options.backend });
    }
    const { cloud: _cloud, wave: _wave, capacity: _capacity, ...cell } = spec;
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
