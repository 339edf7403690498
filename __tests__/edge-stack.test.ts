import "./setup/cdktf-matchers";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { bundle } from "../constructs/bundling";
import { validateEdgeRouterProps } from "../constructs/edge-router";
import { ROUTER_BUNDLE, ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { TOPOLOGY, type Topology } from "../topology";
import { synthApp } from "./support/app";
import { forSnapshot } from "./support/synth";

const app = synthApp();
const edge = app.stacks.edge;
const kvEntries = () => Object.values<any>(edge.resource.cloudflare_workers_kv);
const entry = (key: string) => kvEntries().find((e) => e.key_name === key);
const script = () => Object.values<any>(edge.resource.cloudflare_workers_script)[0];
const remoteOutput = (cell: string) => new RegExp(`\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-cell-${cell}\\.outputs\\.cross-stack-output-[^}]+\\}`);

describe("edge stack", () => {
  test("writes a registry entry per cell, wired to that cell stack's endpoint output", () => {
    const alpha = entry("cell:alpha");
    const beta = entry("cell:beta");
    expect(alpha.value).toMatch(remoteOutput("alpha"));
    expect(alpha.value).toMatch(/api_endpoint\}/);
    expect(beta.value).toMatch(/"url":"https:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-cell-beta\.outputs\.[^}]+default_hostname\}"/);
    // Everything but the url is a literal the router's parser accepts.
    const literal = JSON.parse(alpha.value.replace(/\$\{[^}]+\}/, "abc.execute-api.us-east-1.amazonaws.com"));
    expect(literal).toEqual({ v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "abc.execute-api.us-east-1.amazonaws.com", status: "active" });
    expect(JSON.parse(beta.value.replace(/\$\{[^}]+\}/, "x"))).toEqual(expect.objectContaining({ cellId: "beta", cloud: "azure", region: "eastus" }));
  });

  test("writes the initial tenants and leaves later moves to operations", () => {
    expect(JSON.parse(entry("tenant:T-100").value)).toEqual({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 });
    expect(JSON.parse(entry("tenant:T-200").value)).toEqual({ v: 1, tenantId: "T-200", cellId: "beta", status: "active", epoch: 1 });
    expect(entry("tenant:T-100").lifecycle).toEqual({ ignore_changes: ["value"] });
    expect(entry("cell:alpha").lifecycle).toBeUndefined();
    expect(kvEntries().map((e) => e.key_name).sort()).toEqual(["cell:alpha", "cell:beta", "tenant:T-100", "tenant:T-200"]);
  });

  test("tenant entries can be handed to Terraform for good", () => {
    const managed = synthApp(TOPOLOGY, { router: { tenantEntriesManagedByTerraform: true } }).stacks.edge;
    for (const e of Object.values<any>(managed.resource.cloudflare_workers_kv)) expect(e.lifecycle).toBeUndefined();
  });

  test("every KV entry lives in the stack's namespace and account", () => {
    const namespace = Object.keys(edge.resource.cloudflare_workers_kv_namespace)[0];
    for (const e of kvEntries()) {
      expect(e.namespace_id).toBe(`\${cloudflare_workers_kv_namespace.${namespace}.id}`);
      expect(e.account_id).toBe("${var.cloudflare_account_id}");
    }
  });

  test("deploys the tested Worker bundle as an ES module with the tested compatibility date", () => {
    const s = script();
    const deployed = app.readFromStack("edge", s.content_file);
    const tested = readFileSync(bundle(ROUTER_BUNDLE).file);
    expect(deployed.equals(tested)).toBe(true);
    expect(s.content_sha256).toBe(createHash("sha256").update(tested).digest("hex"));
    expect(s.main_module).toBe("worker.js");
    expect(s.content_file).toMatch(/\/worker\.js$/);
    expect(s.compatibility_date).toBe(ROUTER_COMPATIBILITY_DATE);
    expect(s.observability).toEqual({ enabled: true });
  });

  test("binds the registry, one secret key per cell from the cell stacks, and cloud-mode settings", () => {
    const bindings: any[] = script().bindings;
    expect(bindings.map((b) => [b.type, b.name])).toEqual([
      ["kv_namespace", "REGISTRY"],
      ["secret_text", "CELL_KEY_ALPHA"],
      ["secret_text", "CELL_KEY_BETA"],
      ["plain_text", "ROUTER_MODE"],
      ["plain_text", "CELL_TIMEOUT_MS"],
      ["plain_text", "REGISTRY_CACHE_TTL_MS"],
    ]);
    const alphaKey = bindings.find((b) => b.name === "CELL_KEY_ALPHA");
    expect(alphaKey.text).toMatch(/^\$\{jsonencode\(\{"keyId" = "alpha-v1", "secret" = data\.terraform_remote_state\.cross-stack-reference-input-cell-alpha\.outputs\.cross-stack-output-random_password[^}]*\}\)\}$/);
    expect(bindings.find((b) => b.name === "ROUTER_MODE").text).toBe("cloud");
  });

  test("the signing secrets leave the cell stacks only as sensitive outputs", () => {
    for (const name of ["cell-alpha", "cell-beta"]) {
      const outputs = Object.values<any>(app.stacks[name].output);
      const secret = outputs.filter((o) => /random_password/.test(o.value));
      expect(secret).toHaveLength(1);
      expect(secret[0].sensitive).toBe(true);
    }
    expect(JSON.stringify(edge.output)).not.toMatch(/random_password|secret/);
  });

  test("exposes the router on workers.dev and outputs its URL", () => {
    expect(Object.values<any>(edge.resource.cloudflare_workers_script_subdomain)[0]).toEqual(expect.objectContaining({ enabled: true, previews_enabled: false }));
    expect(edge.output["router-url"].value).toBe("https://cells-edge-router.${var.workers_dev_subdomain}.workers.dev");
  });

  test("depends on the cell stacks, and no cell stack depends on anything", () => {
    expect(app.manifest.stacks.edge.dependencies.sort()).toEqual(["cell-alpha", "cell-beta"]);
    expect(app.manifest.stacks["cell-alpha"].dependencies).toEqual([]);
    expect(app.manifest.stacks["cell-beta"].dependencies).toEqual([]);
  });

  test("needs no account at synth: account values are Terraform variables", () => {
    expect(Object.keys(edge.variable).sort()).toEqual(["cloudflare_account_id", "workers_dev_subdomain"]);
    expect(edge.provider.cloudflare).toEqual([{}]);
  });

  test("snapshot", () => {
    expect(forSnapshot(app.raw.edge!)).toMatchSnapshot();
  });
});

describe("adding a cell is one topology entry", () => {
  const withGamma: Topology = {
    cells: [...TOPOLOGY.cells, { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 1 }],
    tenants: [...TOPOLOGY.tenants, { tenantId: "T-300", cellId: "gamma" }],
  };
  const bigger = synthApp(withGamma);

  test("adds its stack, its registry entry and its key binding", () => {
    expect(Object.keys(bigger.stacks).sort()).toEqual(["cell-alpha", "cell-beta", "cell-gamma", "edge"]);
    const keys = Object.values<any>(bigger.stacks.edge.resource.cloudflare_workers_kv).map((e) => e.key_name);
    expect(keys).toEqual(expect.arrayContaining(["cell:gamma", "tenant:T-300"]));
    const gamma = Object.values<any>(bigger.stacks.edge.resource.cloudflare_workers_kv).find((e) => e.key_name === "cell:gamma");
    expect(gamma.value).toMatch(remoteOutput("gamma"));
    expect(Object.values<any>(bigger.stacks.edge.resource.cloudflare_workers_script)[0].bindings.map((b: any) => b.name)).toContain("CELL_KEY_GAMMA");
    expect(bigger.manifest.stacks.edge.dependencies.sort()).toEqual(["cell-alpha", "cell-beta", "cell-gamma"]);
  });

  test("leaves the existing cell stacks byte-for-byte unchanged", () => {
    expect(bigger.raw["cell-alpha"]).toBe(app.raw["cell-alpha"]);
    expect(bigger.raw["cell-beta"]).toBe(app.raw["cell-beta"]);
  });
});

describe("edge validation", () => {
  const cells = [{ cellId: "alpha", cloud: "aws" as const, region: "us-east-1", endpointUrl: "https://a", signingKeyId: "alpha-v1", signingSecret: "s" }];
  const base = { accountId: "acc", cells, tenants: [], workersDevSubdomain: "me" };

  test("a tenant on a cell that does not exist fails at synth, naming the cells", () => {
    expect(() => validateEdgeRouterProps({ ...base, tenants: [{ tenantId: "T-1", cellId: "omega" }] })).toThrow(/'T-1' is placed on cell 'omega', which is not one of: alpha/);
  });

  test("two cells with one id fail", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [...cells, ...cells] })).toThrow(/duplicate cellId 'alpha'/);
  });

  test("a script name outside the allowed pattern fails", () => {
    expect(() => validateEdgeRouterProps({ ...base, scriptName: "Edge_Router" })).toThrow(/scriptName: must match/);
  });

  test("a router with no address fails", () => {
    expect(() => validateEdgeRouterProps({ ...base, workersDevSubdomain: undefined })).toThrow(/workersDevSubdomain or customDomain/);
  });

  test("no cells and an unknown prop fail, each named", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [], cellTimeoutMS: 500 } as never)).toThrow(
      /Invalid EdgeRouter props:\n- cells: must name at least one cell\n- cellTimeoutMS: unknown field; did you mean 'cellTimeoutMs'\?/,
    );
  });

  test("a cell without an id fails, naming the cell's index", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [{ ...cells[0]!, cellId: undefined as never }] })).toThrow(/cells\[0\]\.cellId: is required/);
  });

  test("timeouts outside their range fail with the range", () => {
    expect(() => validateEdgeRouterProps({ ...base, cellTimeoutMs: 50 })).toThrow(/cellTimeoutMs: must be an integer from 100 to 120000, got 50/);
  });
});
