import { z } from "zod";
import { CLOUDS } from "../../contract";
import { integerFrom, matching } from "./fields";
import type { Problem, PropsRules } from "./problems";

/**
 * The rules of `EdgeRouterProps` (documented on the interface in `constructs/edge-router.ts`). The
 * registry's own rules (duplicate ids, tenants on unknown cells) stay with the contract's
 * `buildRegistryEntries`, which the construct runs next.
 */

/** Worker script names: also the workers.dev host name. */
export const SCRIPT_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** What the router needs of each `ICell` (its other attributes are tokens, checked by Terraform). */
const cellShape = z.looseObject({ cellId: z.string(), cloud: z.enum(CLOUDS), region: z.string() });

function addressProblems(props: Readonly<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  if (Array.isArray(props.cells) && props.cells.length === 0) problems.push({ path: ["cells"], message: "must name at least one cell" });
  if (props.workersDevSubdomain === undefined && props.customDomain === undefined) {
    problems.push({ path: ["workersDevSubdomain"], message: "give workersDevSubdomain or customDomain (or both), or the router has no address" });
  }
  return problems;
}

export const EDGE_ROUTER_PROPS = {
  construct: "EdgeRouter",
  shape: {
    accountId: z.string(),
    cells: z.array(cellShape),
    tenants: z.array(z.unknown()),
    scriptName: matching(SCRIPT_NAME_PATTERN).optional(),
    workersDevSubdomain: z.string().optional(),
    customDomain: z.strictObject({ zoneId: z.string(), hostname: z.string() }).optional(),
    cellTimeoutMs: integerFrom(100, 120_000).optional(),
    registryCacheTtlMs: integerFrom(0, 300_000).optional(),
    tenantEntriesManagedByTerraform: z.boolean().optional(),
  },
  crossField: addressProblems,
} satisfies PropsRules;
