import { Token } from "cdktf/lib/tokens/token";
import type { Problem } from "./problems";
import { AWS_REGIONS, AWS_REGION_PATTERN, AZURE_LOCATIONS, AZURE_LOCATION_PATTERN } from "./regions";
import { didYouMean } from "./suggest";

/**
 * The region rule both clouds share: the name must be one of the cloud's listed places, or, with the
 * escape hatch set, at least look like one (see `regions.ts`).
 */

interface PlaceKind {
  /** The field's name in the props: `region`, `location`. */
  readonly field: string;
  /** The escape hatch's field: `allowUnlistedRegion`. */
  readonly hatch: string;
  /** `an AWS region`. */
  readonly noun: string;
  readonly list: readonly string[];
  readonly pattern: RegExp;
  readonly example: string;
  /** The other cloud's list and noun, to say "that is an Azure location" to a mixed-up name. */
  readonly other: { readonly list: readonly string[]; readonly noun: string };
}

export const AWS_PLACE: PlaceKind = {
  field: "region",
  hatch: "allowUnlistedRegion",
  noun: "an AWS region",
  list: AWS_REGIONS,
  pattern: AWS_REGION_PATTERN,
  example: "eu-west-1",
  other: { list: AZURE_LOCATIONS, noun: "an Azure location" },
};

export const AZURE_PLACE: PlaceKind = {
  field: "location",
  hatch: "allowUnlistedLocation",
  noun: "an Azure location",
  list: AZURE_LOCATIONS,
  pattern: AZURE_LOCATION_PATTERN,
  example: "eastus",
  other: { list: AWS_REGIONS, noun: "an AWS region" },
};

/**
 * Checks the place field of `props` (which passed its type rule, so it is a non-empty string, a token
 * or absent). Listed names pass; unlisted ones pass only with the escape hatch and the cloud's pattern.
 */
export function placeProblems(kind: PlaceKind, props: Readonly<Record<string, unknown>>): Problem[] {
  const value = props[kind.field];
  if (typeof value !== "string" || value === "" || Token.isUnresolved(value) || kind.list.includes(value)) return [];
  const path = [kind.field];
  if (props[kind.hatch] === true) {
    return kind.pattern.test(value) ? [] : [{ path, message: `'${value}' does not look like ${kind.noun} (${kind.pattern}), even with ${kind.hatch}` }];
  }
  if (kind.other.list.includes(value)) {
    return [{ path, message: `'${value}' is ${kind.other.noun}, not ${kind.noun}; ${kind.noun.replace(/^an? /, "")}s look like '${kind.example}'` }];
  }
  const hint = didYouMean(value, kind.list) || `; e.g. '${kind.example}' (a newer one: add it to constructs/props/regions.ts, or set ${kind.hatch}: true)`;
  return [{ path, message: `'${value}' is not ${kind.noun}${hint}` }];
}
