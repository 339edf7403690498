import { z } from "zod";
import { CLOUDS, TENANT_ID_PATTERN, TENANT_STATUSES } from "./contract";
import { AWS_CELL_PROPS } from "./constructs/props/aws-cell-props";
import { AZURE_CELL_PROPS } from "./constructs/props/azure-cell-props";
import { integerAtLeast, matching, oneOf } from "./constructs/props/fields";
import { describeValue, formatPath, propsProblems, schemaProblems, type Problem, type PropsRules } from "./constructs/props/problems";
import { didYouMean } from "./constructs/props/suggest";
import { DEFAULT_CELL_CAPACITY, TOPOLOGY, type Topology } from "./topology";

/**
 * The topology check shared by `main.ts` (synth), the sandbox (`npm start`), `npm run deploy` and the
 * operator CLI: every cell's props with its construct's own rules (constructs/props/), the cell's wave
 * and capacity, then what only the whole list can tell (duplicate ids, waves, tenants on cells that
 * exist and fit). Every problem at once, each naming the cell and the field:
 *
 *     cells[2] (gamma).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?
 */

export { didYouMean } from "./constructs/props/suggest";

/** One problem: where (`cells[2] (gamma).region`) and what. */
export interface TopologyProblem {
  readonly path: string;
  readonly message: string;
}

export type TopologyResult = { readonly ok: true; readonly value: Topology } | { readonly ok: false; readonly problems: readonly TopologyProblem[] };

/** A topology that failed the check; `problems` one per line, as the commands print them. */
export class TopologyError extends Error {
  constructor(readonly problems: readonly TopologyProblem[]) {
    super(`Invalid topology (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map(formatTopologyProblem).join("\n")}`);
    this.name = "TopologyError";
  }
}

/** `cells[2] (gamma).region: 'us-east-9' is not an AWS region; did you mean 'us-east-1'?` */
export const formatTopologyProblem = (problem: TopologyProblem): string => (problem.path ? `${problem.path}: ${problem.message}` : problem.message);

/** The fields every cell has on top of its construct's props (`CellTopologyFields`). */
const CELL_TOPOLOGY_SHAPE = {
  wave: integerAtLeast(0, "wave 0 is the canary wave"),
  capacity: integerAtLeast(1, "the number of tenants the cell may hold").optional(),
};

const CELL_TOPOLOGY_HINTS = { wave: "the cell's deploy wave: 0 for the canary, then 1, 2, ..." };

type Cloud = (typeof CLOUDS)[number];

const RULES_BY_CLOUD: Readonly<Record<Cloud, PropsRules>> = { aws: AWS_CELL_PROPS, azure: AZURE_CELL_PROPS };

/** A cloud's cell schema: `cloud`, the construct's props, the topology fields; strict. */
const cellSchema = (cloud: Cloud) => z.strictObject({ cloud: z.literal(cloud), ...RULES_BY_CLOUD[cloud].shape, ...CELL_TOPOLOGY_SHAPE });
const CELL_SCHEMAS: Readonly<Record<Cloud, z.ZodObject>> = { aws: cellSchema("aws"), azure: cellSchema("azure") };

const TENANT_SCHEMA = z.strictObject({
  tenantId: matching(TENANT_ID_PATTERN),
  cellId: z.string(),
  status: oneOf(TENANT_STATUSES).optional(),
  epoch: integerAtLeast(0).optional(),
});

const TOPOLOGY_SCHEMA = z.strictObject({ cells: z.array(z.unknown()), tenants: z.array(z.unknown()) });

type Fields = Readonly<Record<string, unknown>>;
const isRecord = (value: unknown): value is Fields => typeof value === "object" && value !== null && !Array.isArray(value);
const at = (prefix: ReadonlyArray<string | number>, problems: readonly Problem[]): Problem[] => problems.map((p) => ({ path: [...prefix, ...p.path], message: p.message }));

/** One cell's own problems: its cloud, then its props and topology fields. */
function cellProblems(cell: unknown): Problem[] {
  if (!isRecord(cell)) return [{ path: [], message: `must be a cell object ({ cloud, cellId, ... }), got ${describeValue(cell)}` }];
  const cloud = cell.cloud;
  if (!(CLOUDS as readonly unknown[]).includes(cloud)) {
    const hint = typeof cloud === "string" ? didYouMean(cloud, CLOUDS) : "";
    const got = cloud === undefined ? "it is missing" : `got ${describeValue(cloud)}`;
    return [{ path: ["cloud"], message: `must be ${CLOUDS.map((c) => `'${c}'`).join(" or ")} (the clouds this repo deploys cells to), ${got}${hint}` }];
  }
  const rules = RULES_BY_CLOUD[cloud as Cloud];
  const wording = { ...rules, construct: `${String(cloud)} cell`, requiredHints: { ...rules.requiredHints, ...CELL_TOPOLOGY_HINTS } };
  return propsProblems(wording, cell, CELL_SCHEMAS[cloud as Cloud]);
}

/** Problems only the whole list shows: the same id twice, missing or gapped waves. */
function acrossCells(cells: readonly unknown[]): Problem[] {
  const problems: Problem[] = [];
  const firstIndex = new Map<string, number>();
  cells.forEach((cell, i) => {
    if (!isRecord(cell) || typeof cell.cellId !== "string") return;
    const first = firstIndex.get(cell.cellId);
    if (first === undefined) firstIndex.set(cell.cellId, i);
    else problems.push({ path: ["cells", i, "cellId"], message: `duplicate cellId '${cell.cellId}' (cells[${first}] has it too); stack names and registry keys must be unique` });
  });

  const waves = new Map<number, number>(); // wave -> first cell index
  cells.forEach((cell, i) => {
    if (isRecord(cell) && typeof cell.wave === "number" && Number.isSafeInteger(cell.wave) && cell.wave >= 0 && !waves.has(cell.wave)) waves.set(cell.wave, i);
  });
  if (waves.size > 0 && !waves.has(0)) {
    problems.push({ path: ["cells"], message: "no cell is in wave 0, the canary wave; give one cell (the canary) wave: 0" });
  }
  const inUse = [...waves.keys()].sort((a, b) => a - b);
  for (const wave of inUse) {
    if (wave > 0 && waves.has(0) && !waves.has(wave - 1)) {
      problems.push({ path: ["cells", waves.get(wave)!, "wave"], message: `wave ${wave} follows no wave ${wave - 1}; waves must be contiguous from 0 (in use: ${inUse.join(", ")})` });
    }
  }
  return problems;
}

/** Tenants' own problems, duplicates, tenants on cells that do not exist, and cells over capacity. */
function tenantProblems(tenants: readonly unknown[], cells: readonly unknown[]): Problem[] {
  const problems: Problem[] = [];
  const cellIds = [...new Set(cells.flatMap((c) => (isRecord(c) && typeof c.cellId === "string" ? [c.cellId] : [])))];
  const seen = new Map<string, number>();
  const placed = new Map<string, number>();
  tenants.forEach((tenant, i) => {
    problems.push(...at(["tenants", i], schemaProblems(TENANT_SCHEMA, tenant, { owner: "tenant" })));
    if (!isRecord(tenant)) return;
    if (typeof tenant.tenantId === "string") {
      const first = seen.get(tenant.tenantId);
      if (first === undefined) seen.set(tenant.tenantId, i);
      else problems.push({ path: ["tenants", i, "tenantId"], message: `duplicate tenantId '${tenant.tenantId}' (tenants[${first}] has it too)` });
    }
    if (typeof tenant.cellId === "string") {
      if (cellIds.includes(tenant.cellId)) placed.set(tenant.cellId, (placed.get(tenant.cellId) ?? 0) + 1);
      else problems.push({ path: ["tenants", i, "cellId"], message: `no cell '${tenant.cellId}' in cells${didYouMean(tenant.cellId, cellIds) || ` (cells: ${cellIds.join(", ")})`}` });
    }
  });
  cells.forEach((cell, i) => {
    if (!isRecord(cell) || typeof cell.cellId !== "string") return;
    const count = placed.get(cell.cellId) ?? 0;
    const capacity = typeof cell.capacity === "number" ? cell.capacity : DEFAULT_CELL_CAPACITY;
    if (count > capacity) problems.push({ path: ["cells", i, "capacity"], message: `${count} tenants are placed on '${cell.cellId}', more than its capacity of ${capacity}` });
  });
  return problems;
}

/** The label after `cells[i]` or `tenants[i]` in a path: the element's id, when it has one. */
function labeller(raw: Fields): (array: string, index: number) => string | undefined {
  return (array, index) => {
    const list = raw[array];
    const element = Array.isArray(list) ? list[index] : undefined;
    if (!isRecord(element)) return undefined;
    const id = array === "tenants" ? element.tenantId : element.cellId;
    return typeof id === "string" && id !== "" ? id : undefined;
  };
}

/**
 * Checks a topology (plain data, e.g. `TOPOLOGY` or a parsed JSON file) and returns it, or every
 * problem found. Pure: no I/O, no construct is created, nothing is thrown.
 */
export function validateTopology(raw: unknown): TopologyResult {
  if (!isRecord(raw)) return { ok: false, problems: [{ path: "", message: `a topology must be an object { cells, tenants }, got ${describeValue(raw)}` }] };
  const problems: Problem[] = schemaProblems(TOPOLOGY_SCHEMA, raw, { owner: "topology" });
  const cells = Array.isArray(raw.cells) ? raw.cells : [];
  const tenants = Array.isArray(raw.tenants) ? raw.tenants : [];
  if (Array.isArray(raw.cells) && cells.length === 0) problems.push({ path: ["cells"], message: "must name at least one cell" });
  cells.forEach((cell, i) => problems.push(...at(["cells", i], cellProblems(cell))));
  problems.push(...acrossCells(cells), ...tenantProblems(tenants, cells));
  if (problems.length === 0) return { ok: true, value: raw as unknown as Topology };
  const label = labeller(raw);
  return { ok: false, problems: problems.map((p) => ({ path: formatPath(p.path, label), message: p.message })) };
}

/** The topology if it passes the check; a `TopologyError` listing every problem otherwise. */
export function loadTopology(raw: unknown = TOPOLOGY): Topology {
  const result = validateTopology(raw);
  if (!result.ok) throw new TopologyError(result.problems);
  return result.value;
}
