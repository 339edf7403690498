import "./setup/cdktf-matchers";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { bundle } from "../constructs/bundling";
import { validateEdgeRouterProps } from "../constructs/edge-router";
import { ROUTER_BUNDLE, ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { ROUTER_SETTINGS, SettingBindings } from "../router/setting-definitions";
import { parseSettings } from "../router/settings";
import { TOPOLOGY, type Topology } from "../topology";
import { evaluatePolicies } from "../policies/engine";
import { workerNoAdminKey } from "../policies/rules/cloudflare/worker-no-admin-key";
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
    expect(bindings.slice(0, 3).map((b) => [b.type, b.name])).toEqual([
      ["kv_namespace", "REGISTRY"],
      ["secret_text", "CELL_KEY_ALPHA"],
      ["secret_text", "CELL_KEY_BETA"],
    ]);
    const alphaKey = bindings.find((b) => b.name === "CELL_KEY_ALPHA");
    expect(alphaKey.text).toMatch(/^\$\{jsonencode\(\{"keyId" = "alpha-v1", "secret" = data\.terraform_remote_state\.cross-stack-reference-input-cell-alpha\.outputs\.cross-stack-output-random_password[^}]*\}\)\}$/);
    expect(bindings.find((b) => b.name === "ROUTER_MODE").text).toBe("cloud");
  });

  test("writes every router setting out, each one the Worker's parser accepts", () => {
    const bindings: any[] = script().bindings;
    const settings = Object.fromEntries(bindings.filter((b) => b.type === "plain_text" && (Object.values(SettingBindings) as string[]).includes(b.name)).map((b) => [b.name, b.text]));
    const integers = Object.values(ROUTER_SETTINGS).filter((d) => d.kind === "integer" && !d.binding.startsWith("AUTH_"));
    for (const d of integers) expect(settings[d.binding]).toBe(String((d as { default: number }).default));
    // Auth is jwt by default, its issuer, audience and key set URL are the stack's variables.
    expect(settings).toEqual(
      expect.objectContaining({ AUTH_MODE: "jwt", AUTH_ISSUER: "${var.auth_issuer}", AUTH_AUDIENCE: "${var.auth_audience}", AUTH_JWKS_URL: "${var.auth_jwks_url}", AUTH_TENANT_CLAIM: "tenant_id" }),
    );
    const resolved = { ...settings, AUTH_ISSUER: "https://auth.example.com/", AUTH_AUDIENCE: "cells", AUTH_JWKS_URL: "https://auth.example.com/jwks.json" };
    expect(parseSettings(resolved)).toEqual({ ok: true, value: expect.objectContaining({ mode: "cloud", auth: expect.objectContaining({ mode: "jwt" }) }) });
  });

  test("declares the Analytics Engine dataset the router writes its health figures to", () => {
    expect(script().bindings.find((b: any) => b.name === "EDGE_HEALTH")).toEqual({ type: "analytics_engine", name: "EDGE_HEALTH", dataset: "cells_edge_router_health" });
  });

  test("the auth variables are checked at plan time", () => {
    expect(edge.variable.auth_jwks_url.validation).toEqual([{ condition: 'startswith(var.auth_jwks_url, "https://")', error_message: "auth_jwks_url must be an https:// URL." }]);
    expect(edge.variable.auth_issuer.validation).toHaveLength(1);
    expect(edge.variable.auth_audience.validation).toHaveLength(1);
  });

  test("auth off is explicit and writes no auth settings", () => {
    const open = synthApp(TOPOLOGY, { router: { auth: { mode: "none" } } }).stacks.edge;
    const bindings: any[] = Object.values<any>(open.resource.cloudflare_workers_script)[0].bindings;
    expect(bindings.filter((b) => b.name.startsWith("AUTH_")).map((b) => [b.name, b.text])).toEqual([["AUTH_MODE", "none"]]);
    expect(Object.keys(open.variable).sort()).toEqual(["cloudflare_account_id", "workers_dev_subdomain"]);
  });

  test("the cell keys leave the cell stacks only as sensitive outputs: the signing key for the edge, the admin key for the operator", () => {
    for (const name of ["cell-alpha", "cell-beta"]) {
      const outputs = Object.entries<any>(app.stacks[name].output);
      const secret = outputs.filter(([, o]) => /random_password/.test(JSON.stringify(o.value)));
      expect(secret.map(([key]) => key).sort()).toEqual(["admin-key", expect.stringMatching(/^cross-stack-output-random_passwordcell_signing-key_/)]);
      expect(secret.every(([, o]) => o.sensitive === true)).toBe(true);
    }
    expect(JSON.stringify(edge.output)).not.toMatch(/random_password|secret/);
  });

  test("the Worker never gets an admin key: no binding names one, and the edge reads only endpoints and signing keys from the cells", () => {
    const bindings: any[] = script().bindings;
    expect(bindings.filter((b) => /admin/i.test(`${b.name} ${b.text ?? ""}`))).toEqual([]);
    const remoteOutputs = [...JSON.stringify(edge.resource).matchAll(/outputs\.(cross-stack-output-[A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
    expect(remoteOutputs.length).toBeGreaterThan(0);
    for (const output of remoteOutputs) expect(output).toMatch(/(api_endpoint|default_hostname|signing-key_[0-9A-F]+result)$/);
    expect(evaluatePolicies(edge, [workerNoAdminKey])).toEqual([]);
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
    expect(Object.keys(edge.variable).sort()).toEqual(["auth_audience", "auth_issuer", "auth_jwks_url", "cloudflare_account_id", "workers_dev_subdomain"]);
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
  const base = { accountId: "acc", cells, tenants: [], workersDevSubdomain: "me", auth: { mode: "none" } as const };

  test("a tenant on a cell that does not exist fails at synth, naming the cells", () => {
    expect(() => validateEdgeRouterProps({ ...base, tenants: [{ tenantId: "T-1", cellId: "omega" }] })).toThrow(/'T-1' is placed on cell 'omega', which is not one of: alpha/);
  });

  test("two cells with one id fail", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [...cells, ...cells] })).toThrow(/duplicate cellId 'alpha'/);
  });

  test("a script name outside the allowed pattern fails", () => {
    expect(() => validateEdgeRouterProps({ ...base, scriptName: "Edge_Router" })).toThrow(/scriptName: must match/);
  });

  test("a health dataset name outside the allowed pattern fails", () => {
    expect(() => validateEdgeRouterProps({ ...base, healthDataset: "edge-health" })).toThrow(/healthDataset: must match/);
  });

  test("a router with no address fails", () => {
    expect(() => validateEdgeRouterProps({ ...base, workersDevSubdomain: undefined })).toThrow(/workersDevSubdomain or customDomain/);
  });

  test("settings are checked with the Worker's own parser: a timeout it would refuse fails at synth", () => {
    expect(() => validateEdgeRouterProps({ ...base, cellTimeoutMs: 120_000 })).toThrow(/cellTimeoutMs must be an integer from 1 to 60000, got "120000"/);
    expect(() => validateEdgeRouterProps({ ...base, registryCacheTtlMs: 1000, registryNegativeTtlMs: 5000 })).toThrow(/registryNegativeTtlMs must be an integer from 0 to 1000/);
    expect(() => validateEdgeRouterProps({ ...base, cellTimeoutMs: 60_000 })).not.toThrow();
  });

  test("auth must be given; jwt auth needs its issuer, audience and an https key set URL", () => {
    const { auth: _auth, ...noAuth } = base;
    expect(() => validateEdgeRouterProps(noAuth as never)).toThrow(/auth: is required/);
    expect(() => validateEdgeRouterProps({ ...base, auth: { mode: "jwt", issuer: "", audience: "a", jwksUrl: "https://i/keys" } })).toThrow(/auth\.issuer is required/);
    expect(() => validateEdgeRouterProps({ ...base, auth: { mode: "jwt", issuer: "https://i/", audience: "a", jwksUrl: "http://i/keys" } })).toThrow(/auth\.jwksUrl must use https/);
    expect(() => validateEdgeRouterProps({ ...base, auth: { mode: "jwt", issuer: "https://i/", audience: "a", jwksUrl: "https://i/keys", clockToleranceSeconds: 900 } })).toThrow(
      /auth\.clockToleranceSeconds must be an integer from 0 to 300/,
    );
    expect(() => validateEdgeRouterProps({ ...base, auth: { mode: "jwt", issuer: "https://i/", audience: ["a", "b"], jwksUrl: "https://i/keys" } })).not.toThrow();
  });

  test("no cells and an unknown prop fail, each named", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [], cellTimeoutMS: 500 } as never)).toThrow(
      /Invalid EdgeRouter props:\n- cells: must name at least one cell\n- cellTimeoutMS: unknown field; did you mean 'cellTimeoutMs'\?/,
    );
  });

  test("a cell without an id fails, naming the cell's index", () => {
    expect(() => validateEdgeRouterProps({ ...base, cells: [{ ...cells[0]!, cellId: undefined as never }] })).toThrow(/cells\[0\]\.cellId: is required/);
  });

  test("timeouts outside the Worker's range fail with the range", () => {
    expect(() => validateEdgeRouterProps({ ...base, cellTimeoutMs: 0 })).toThrow(/cellTimeoutMs must be an integer from 1 to 60000, got "0"/);
  });
});
