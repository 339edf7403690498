import { z } from "zod";
import { CLOUDS } from "../../contract";
import { ROUTER_SETTINGS, type SettingKey } from "../../router/setting-definitions";
import { checkEdgeRouterSettings, edgeRouterSettingBindings, type EdgeAuth } from "../edge-router-settings";
import { matching } from "./fields";
import type { Problem, PropsRules } from "./problems";

/**
 * The rules of `EdgeRouterProps` (documented on the interface in `constructs/edge-router.ts`). The
 * registry's own rules (duplicate ids, tenants on unknown cells) stay with the contract's
 * `buildRegistryEntries`, which the construct runs next.
 */

/** Worker script names: also the workers.dev host name. */
export const SCRIPT_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Workers Analytics Engine dataset names. */
export const DATASET_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Every integer router setting is a prop under its setting key. Their ranges are not repeated here:
 * the Worker's own parser checks them (see `settingProblems`), so the construct and the Worker can
 * never disagree about what is valid.
 */
const settingProps = Object.fromEntries(
  (Object.keys(ROUTER_SETTINGS) as SettingKey[]).filter((key) => ROUTER_SETTINGS[key].kind === "integer" && !key.startsWith("auth")).map((key) => [key, z.number().optional()]),
);

/** `auth` must be written out; its fields, and every router setting, go through the Worker's parser. */
function settingProblems(props: Readonly<Record<string, unknown>>): Problem[] {
  if (props.auth === undefined) return [{ path: ["auth"], message: `is required: { mode: "jwt", issuer, audience, jwksUrl } or, explicitly, { mode: "none" }` }];
  const complaint = checkEdgeRouterSettings(edgeRouterSettingBindings(props as never as { auth: EdgeAuth }));
  return complaint === undefined ? [] : [{ path: [], message: complaint }];
}

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
    auth: z.looseObject({ mode: z.enum(["jwt", "none"]) }).optional(),
    healthDataset: matching(DATASET_PATTERN).optional(),
    tenantEntriesManagedByTerraform: z.boolean().optional(),
    ...settingProps,
  },
  crossField: (props) => [...addressProblems(props), ...settingProblems(props)],
} satisfies PropsRules;
