import { Testing } from "cdktf";
import { AZAPI_PROVIDER } from "../constructs/azapi";
import { AzureCellStack } from "../stacks/azure-cell-stack";
import { TERRAFORM_REQUIRED_VERSION } from "../stacks/terraform-version";
import { synthApp } from "./support/app";
import { parseSynth } from "./support/synth";

/**
 * Every stack pins the Terraform it needs (`required_version`) and a version of every provider its
 * resources and data sources use, so `cdktf deploy` with an old Terraform or a surprise provider
 * upgrade stops at `init` with Terraform's own message.
 */

const app = synthApp();
const stacks: Array<[string, any]> = [
  ...Object.entries(app.stacks),
  // The other hosting plan uses other resource types (and no azapi).
  ["cell-alpha (Linux Consumption)", parseSynth(Testing.synth(new AzureCellStack(Testing.app(), "cell-alpha", { cell: { cellId: "alpha", location: "eastus", hostingPlan: "Consumption" }, backend: { kind: "local" } })))],
];

/** The provider local name a resource or data source type belongs to: its prefix before the first `_`. */
const providerOf = (type: string): string => type.slice(0, type.indexOf("_"));

/** The provider versions the pinned cdktf bindings wrap (FIELD-NOTES), and the raw azapi provider's. */
const EXPECTED_VERSIONS: Record<string, string> = {
  aws: "6.25.0",
  azurerm: "4.55.0",
  cloudflare: "5.14.0",
  random: "3.7.2",
  time: "0.13.1",
  azapi: AZAPI_PROVIDER.version,
};

describe.each(stacks)("stack %s", (_name, stack) => {
  test(`requires Terraform ${TERRAFORM_REQUIRED_VERSION}`, () => {
    expect(stack.terraform.required_version).toBe(">= 1.10.0");
  });

  test("pins every provider its resources and data sources use, with a source and an exact version", () => {
    const used = new Set<string>([
      ...Object.keys(stack.resource ?? {}).map(providerOf),
      ...Object.keys(stack.data ?? {})
        .filter((type) => type !== "terraform_remote_state") // built into Terraform
        .map(providerOf),
    ]);
    const required = stack.terraform.required_providers as Record<string, { source?: string; version?: string }>;
    expect([...used].filter((p) => !(p in required))).toEqual([]);
    for (const [name, constraint] of Object.entries(required)) {
      expect([name, constraint.source]).toEqual([name, expect.stringMatching(/^([a-z0-9-]+\/)?[a-z0-9-]+$/i)]);
      expect([name, constraint.version]).toEqual([name, EXPECTED_VERSIONS[name]]);
    }
  });
});

test("replace_triggered_by holds bare addresses, which Terraform requires (cdktf 0.21 would write \"${...}\" for a resource object)", () => {
  const entries = stacks.flatMap(([, stack]) =>
    Object.values<Record<string, any>>(stack.resource ?? {}).flatMap((byName) => Object.values<any>(byName).flatMap((r) => r.lifecycle?.replace_triggered_by ?? [])),
  );
  expect(entries.length).toBeGreaterThan(0);
  for (const entry of entries) expect(entry).toMatch(/^[a-z0-9_]+\.[A-Za-z0-9_-]+$/);
});

test("every stack of the app is covered", () => {
  expect(Object.keys(app.stacks).sort()).toEqual(["cell-alpha", "cell-beta", "edge"]);
});
