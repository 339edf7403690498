import { TOPOLOGY, type CellSpec, type Topology } from "../topology";

/** Regions the generated AWS cells cycle through (all in `AWS_REGIONS`). */
const AWS_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"] as const;
/** Locations the generated Azure cells cycle through (all in `AZURE_LOCATIONS`). */
const AZURE_LOCATIONS = ["eastus", "westeurope", "australiaeast", "westus2"] as const;

/**
 * A synthetic topology of `count` cells for the synth benchmark: `c001`, `c002`, ... alternating AWS
 * (odd) and Azure (even), regions cycling through a few valid ones, c001 in wave 0 and the rest in
 * wave 1, one tenant per cell (`T-001` on `c001`, ...). Every cell uses its construct's defaults, like the cells in `TOPOLOGY`.
 */
export function generatedTopology(count: number): Topology {
  if (!Number.isSafeInteger(count) || count < 1 || count > 999) throw new Error(`cell count must be an integer from 1 to 999, got ${count}`);
  const cells: CellSpec[] = [];
  for (let i = 1; i <= count; i++) {
    const cellId = `c${String(i).padStart(3, "0")}`;
    const k = Math.floor((i - 1) / 2);
    const wave = i === 1 ? 0 : 1; // c001 is the canary
    cells.push(
      i % 2 === 1
        ? { cloud: "aws", cellId, region: AWS_REGIONS[k % AWS_REGIONS.length]!, wave }
        : { cloud: "azure", cellId, location: AZURE_LOCATIONS[k % AZURE_LOCATIONS.length]!, wave },
    );
  }
  return { cells, tenants: cells.map((c, i) => ({ tenantId: `T-${String(i + 1).padStart(3, "0")}`, cellId: c.cellId })) };
}

/** `"real"` is the app's own `TOPOLOGY`; a number is `generatedTopology(n)`. */
export type TopologyChoice = "real" | number;

export const topologyFor = (choice: TopologyChoice): Topology => (choice === "real" ? TOPOLOGY : generatedTopology(choice));

/** The choice as a child-process argument and back. */
export const topologyArg = (choice: TopologyChoice): string => String(choice);
export function parseTopologyArg(arg: string | undefined): TopologyChoice {
  if (arg === "real") return "real";
  const n = Number(arg);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`topology must be 'real' or a cell count, got '${arg}'`);
  return n;
}
