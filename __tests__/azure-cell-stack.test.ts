import "./setup/cdktf-matchers";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { Testing } from "cdktf";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { FUNCTION_HOST_JSON, FUNCTION_PACKAGE_JSON } from "../cells/azure/config";
import { PROJECT_ROOT } from "../constructs/bundling";
import { AzureCellStack, type AzureCellStackProps } from "../stacks/azure-cell-stack";
import { forSnapshot, parseSynth } from "./support/synth";

const makeStack = (props: Partial<AzureCellStackProps> = {}) =>
  new AzureCellStack(Testing.app(), "cell-alpha", { cell: { cellId: "alpha", location: "eastus" }, backend: { kind: "local" }, ...props });

/** Names of the entries in a zip archive, read from its central directory. */
function zipEntryNames(zip: Buffer): string[] {
  const names: string[] = [];
  for (let offset = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])), i = 0, count = zip.readUInt16LE(offset + 10), at = zip.readUInt32LE(offset + 16); i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString("utf8", at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

describe("AzureCellStack", () => {
  const stack = makeStack();
  const synth = Testing.synth(stack);

  test("snapshot of the synthesized stack (code hashes and asset paths masked)", () => {
    expect(forSnapshot(synth)).toMatchSnapshot();
  });

  test("keeps the Terraform addresses of the stateful resources: a rename would destroy the cell's data", () => {
    const resources = parseSynth(synth).resource;
    expect(Object.keys(resources.azurerm_cosmosdb_account)).toEqual(["cell_cosmos_5682C50F"]);
    expect(Object.keys(resources.azurerm_cosmosdb_sql_container)).toEqual(["cell_cosmos-container_289F9960"]);
    expect(Object.keys(resources.azurerm_key_vault_secret).sort()).toEqual(["cell_admin-secret_5FE5F38B", "cell_signing-secret_ADF96AAF"]);
    expect(Object.keys(resources.azurerm_key_vault)).toEqual(["cell_key-vault_1540C10F"]);
    expect(Object.keys(resources.azurerm_storage_account)).toEqual(["cell_storage_F8FC2331"]);
    expect(Object.keys(resources.random_password).sort()).toEqual(["cell_admin-key_667760CB", "cell_signing-key_4F8186F6"]);
  });

  test("configures azurerm with the features block and Entra ID storage auth, and no hard-coded subscription", () => {
    expect(synth).toHaveProviderWithProperties(AzurermProvider, { features: [expect.objectContaining({})], storage_use_azuread: true });
    const [azurerm] = parseSynth(synth).provider.azurerm;
    expect(azurerm.subscription_id).toBeUndefined();
    expect(azurerm.features[0].key_vault[0]).toEqual(expect.objectContaining({ purge_soft_delete_on_destroy: false, recover_soft_deleted_key_vaults: true }));
    expect(synth).toHaveProvider(RandomProvider);
    expect(synth).toHaveProvider(TimeProvider);
  });

  test("outputs the endpoint, the Function App and the Cosmos DB account, none of them secret", () => {
    const { "admin-key": _admin, ...outputs } = parseSynth(synth).output;
    expect(Object.keys(outputs).sort()).toEqual(["cosmos-account-name", "endpoint-url", "function-app-name"]);
    for (const output of Object.values<any>(outputs)) expect(output.sensitive).toBeUndefined();
    expect(outputs["endpoint-url"].value).toMatch(/^https:\/\/\$\{azurerm_function_app_flex_consumption\..+\.default_hostname\}$/);
    expect(outputs["function-app-name"].value).toMatch(/^\$\{azurerm_function_app_flex_consumption\..+\.name\}$/);
    expect(outputs["cosmos-account-name"].value).toMatch(/^\$\{azurerm_cosmosdb_account\..+\.name\}$/);
    expect(JSON.stringify(outputs)).not.toMatch(/random_password|key_vault_secret|connection_string|primary_key/);
  });

  test("outputs the admin key for the operator as one sensitive output {keyId, secret}", () => {
    const adminKey = parseSynth(synth).output["admin-key"];
    expect(adminKey).toEqual({
      value: { keyId: "alpha-admin-v1", secret: "${random_password.cell_admin-key_667760CB.result}" },
      sensitive: true,
      description: expect.stringMatching(/router never holds it/),
    });
  });

  test("the Functions package folder holds the bundle, host.json with an empty route prefix, and package.json pointing at index.js", () => {
    const dir = stack.cell.code.dir;
    expect(readdirSync(dir).sort()).toEqual(["host.json", "index.js", "package.json"]);
    const host = JSON.parse(readFileSync(path.join(dir, "host.json"), "utf8"));
    expect(host).toEqual(FUNCTION_HOST_JSON);
    expect(host.extensions.http.routePrefix).toBe("");
    expect(host.version).toBe("2.0");
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg).toEqual(FUNCTION_PACKAGE_JSON);
    expect(pkg.main).toBe("index.js");
    expect(readFileSync(path.join(dir, "index.js"), "utf8").length).toBeGreaterThan(0);
  });

  test("the bundle requires only Node.js built-ins and the worker-provided @azure/functions-core, and embeds no build-machine path", () => {
    const code = readFileSync(stack.cell.code.file, "utf8");
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!));
    expect(required).toContain("@azure/functions-core");
    expect([...required].filter((name) => name !== "@azure/functions-core" && !builtinModules.includes(name.replace(/^node:/, "")))).toEqual([]);
    expect(code).not.toContain(PROJECT_ROOT);
  });

  test("the deployed zip (full synth) holds exactly the package folder's files at its root", () => {
    const outdir = Testing.fullSynth(makeStack());
    try {
      const blob = parseSynth(readFileSync(path.join(outdir, "stacks", "cell-alpha", "cdk.tf.json"), "utf8")).resource.azurerm_storage_blob;
      const source: string = (Object.values(blob)[0] as { source: string }).source;
      const zip = path.join(outdir, "stacks", "cell-alpha", source);
      expect(existsSync(zip)).toBe(true);
      expect(zipEntryNames(readFileSync(zip)).sort()).toEqual(["host.json", "index.js", "package.json"]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("contains no absolute path of the build machine", () => {
    expect(synth).not.toContain(PROJECT_ROOT);
    expect(synth).not.toMatch(/"\/(work|tmp|home|root|Users)\//);
    expect(synth).not.toMatch(/[A-Za-z]:\\\\/);
  });

  test("synthesizes the same JSON twice (no time or random values)", () => {
    expect(Testing.synth(makeStack())).toBe(synth);
  });

  test("keeps local state under a relative path by default", () => {
    expect(parseSynth(synth).terraform.backend).toEqual({ local: { path: "../../../terraform.cell-alpha.tfstate" } });
  });

  test("uses an azurerm backend with one state key per stack when configured", () => {
    const backend = parseSynth(
      Testing.synth(makeStack({ backend: { kind: "azurerm", resourceGroupName: "rg-state", storageAccountName: "ststate", containerName: "tfstate", keyPrefix: "prod" } })),
    ).terraform.backend;
    expect(backend).toEqual({
      azurerm: expect.objectContaining({ resource_group_name: "rg-state", storage_account_name: "ststate", container_name: "tfstate", key: "prod/cell-alpha.tfstate" }),
    });
  });
});
