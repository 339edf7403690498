import "./setup/cdktf-matchers";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { AZURE_CELL_ENV, AZURE_LAKE_ENV } from "../cells/azure/config";
import { AzureCell, azureCellNames, validateAzureCellProps, type AzureCellProps } from "../constructs/azure-cell";
import { AZURE_LAKE_DEFAULTS, AZURE_LAKE_DIAGNOSTIC_LOGS, AZURE_LAKE_RECOVERY_DAYS, AZURE_LAKE_WRITER_ROLE, azureLakeNames } from "../constructs/azure-lake";
import { AzureCellStack } from "../stacks/azure-cell-stack";
import { forSnapshot, resourcesOf } from "./support/synth";

/** The Azure cell's reporting lake (`lake` prop): landing account and container, lease container, trigger settings and role. */

function synthCell(props: Partial<AzureCellProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new AzurermProvider(stack, "azurerm", { features: [{}], storageUseAzuread: true });
  new RandomProvider(stack, "random");
  new TimeProvider(stack, "time");
  new AzureCell(stack, "cell", { cellId: "alpha", location: "eastus", ...props });
  const synth = Testing.synth(stack);
  return { synth, json: JSON.parse(synth) };
}

/** The cell stack as the app builds it, with the lake's defaults; one more synth below with every lake-related choice changed. */
const stackSynth = Testing.synth(new AzureCellStack(Testing.app(), "cell-alpha", { cell: { cellId: "alpha", location: "eastus", lake: {} }, backend: { kind: "local" } }));
const synth = stackSynth;
const tuned = synthCell({ lake: { retentionDays: 90, coolAfterDays: 7 }, hostingPlan: "Consumption", cosmosCapacity: "Provisioned" }).synth;
/** The lake's resource of `type` with construct id `id` (Terraform name `cell_lake_<id>_<hash>`), as [name, config]. */
const lake = (type: string, id: string): [string, any] => {
  const matches = resourcesOf(synth, type).filter(([name]) => name.startsWith(`cell_lake_${id}_`));
  expect(matches).toHaveLength(1);
  return matches[0]!;
};
const ref = (type: string, id: string, attribute: string) => `\${${type}.${lake(type, id)[0]}.${attribute}}`;
const cellRef = (type: string, id: string, attribute: string) => {
  const [name] = resourcesOf(synth, type).find(([n]) => n.startsWith(`cell_${id}_`))!;
  return `\${${type}.${name}.${attribute}}`;
};
const app = () => resourcesOf(synth, "azurerm_function_app_flex_consumption")[0]![1];

describe("the lake prop", () => {
  test("is off by default: no lake account, no lease container, no trigger settings", () => {
    const plain = synthCell();
    expect(resourcesOf(plain.synth, "azurerm_storage_account")).toHaveLength(1);
    expect(resourcesOf(plain.synth, "azurerm_storage_management_policy")).toEqual([]);
    expect(resourcesOf(plain.synth, "azurerm_cosmosdb_sql_container")).toHaveLength(1);
    const settings = resourcesOf(plain.synth, "azurerm_function_app_flex_consumption")[0]![1].app_settings;
    expect(Object.keys(settings).filter((k) => k.startsWith("LAKE_"))).toEqual([]);
  });

  test.each<[string, object, RegExp]>([
    ["retentionDays is 0", { retentionDays: 0 }, /lake.retentionDays: must be an integer from 1 to 3650, got 0/],
    ["coolAfterDays is not below retentionDays", { retentionDays: 30, coolAfterDays: 30 }, /lake.coolAfterDays: must be an integer of at least 0 and below lake.retentionDays \(30\), got 30/],
    ["coolAfterDays is negative", { coolAfterDays: -1 }, /lake.coolAfterDays: must be/],
  ])("fails when %s, naming the field", (_case, lakeProps, message) => {
    expect(() => validateAzureCellProps({ cellId: "alpha", location: "eastus", lake: lakeProps })).toThrow(message);
  });
});

describe("the landing account", () => {
  test("is an ADLS Gen2 account of its own, named from the cell's account with the same hash", () => {
    const [, account] = lake("azurerm_storage_account", "storage");
    const cellAccount = azureCellNames({ cellId: "alpha", location: "eastus" }).storageAccount;
    expect(account.name).toBe(azureLakeNames(cellAccount).storageAccount);
    expect(account.name).toMatch(/^stlkalpha[0-9a-f]{6}$/);
    expect(account.name.slice(-6)).toBe(cellAccount.slice(-6));
    expect(account).toEqual(
      expect.objectContaining({
        is_hns_enabled: true,
        account_kind: "StorageV2",
        min_tls_version: "TLS1_2",
        https_traffic_only_enabled: true,
        allow_nested_items_to_be_public: false,
        shared_access_key_enabled: false,
        default_to_oauth_authentication: true,
        cross_tenant_replication_enabled: false,
        blob_properties: { delete_retention_policy: { days: AZURE_LAKE_RECOVERY_DAYS }, container_delete_retention_policy: { days: AZURE_LAKE_RECOVERY_DAYS } },
      }),
    );
  });

  test("long cell ids and prefixes still give a valid, distinct account name", () => {
    for (const cellId of ["a23456789012345678901", "averylongcellname-one"]) {
      const names = azureCellNames({ cellId, location: "southeastasia", namePrefix: "abcdefgh" });
      const lakeName = azureLakeNames(names.storageAccount).storageAccount;
      expect(lakeName).toMatch(/^[a-z0-9]{3,24}$/);
      expect(lakeName).not.toBe(names.storageAccount);
    }
  });

  test("holds a private landing container and logs blob reads, writes and deletes to the cell's workspace", () => {
    expect(lake("azurerm_storage_container", "container")[1]).toEqual({ name: "lake", storage_account_id: ref("azurerm_storage_account", "storage", "id"), container_access_type: "private" });
    expect(lake("azurerm_monitor_diagnostic_setting", "blob-diagnostics")[1]).toEqual({
      name: "cell-logs",
      target_resource_id: `${ref("azurerm_storage_account", "storage", "id")}/blobServices/default`,
      log_analytics_workspace_id: cellRef("azurerm_log_analytics_workspace", "logs", "id"),
      enabled_log: AZURE_LAKE_DIAGNOSTIC_LOGS.map((category) => ({ category })),
    });
  });

  test("a lifecycle rule moves files to Cool and deletes them after retentionDays", () => {
    expect(lake("azurerm_storage_management_policy", "lifecycle")[1]).toEqual({
      storage_account_id: ref("azurerm_storage_account", "storage", "id"),
      rule: [
        {
          name: "lake-retention",
          enabled: true,
          filters: { blob_types: ["blockBlob"], prefix_match: ["lake/"] },
          actions: { base_blob: { tier_to_cool_after_days_since_modification_greater_than: AZURE_LAKE_DEFAULTS.coolAfterDays, delete_after_days_since_modification_greater_than: AZURE_LAKE_DEFAULTS.retentionDays } },
        },
      ],
    });
    const [, policy] = resourcesOf(tuned, "azurerm_storage_management_policy")[0]!;
    expect(policy.rule[0].actions.base_blob).toEqual({ tier_to_cool_after_days_since_modification_greater_than: 7, delete_after_days_since_modification_greater_than: 90 });
  });
});

describe("the trigger's wiring", () => {
  test("a lease container in the cell's database, partitioned on /id as the change feed processor needs", () => {
    expect(lake("azurerm_cosmosdb_sql_container", "leases")[1]).toEqual({
      name: "leases",
      resource_group_name: cellRef("azurerm_resource_group", "resource-group", "name"),
      account_name: cellRef("azurerm_cosmosdb_account", "cosmos", "name"),
      database_name: cellRef("azurerm_cosmosdb_sql_database", "cosmos-database", "name"),
      partition_key_paths: ["/id"],
      partition_key_version: 2,
    });
    const leases = resourcesOf(tuned, "azurerm_cosmosdb_sql_container").find(([name]) => name.startsWith("cell_lake_leases_"))!;
    expect(leases[1].throughput).toBe(400);
  });

  test("app settings: the landing container URL, the lease container and the identity-based Cosmos DB connection, no key", () => {
    const settings = app().app_settings;
    expect(settings).toEqual(
      expect.objectContaining({
        [AZURE_LAKE_ENV.containerUrl]: `${ref("azurerm_storage_account", "storage", "primary_blob_endpoint")}${ref("azurerm_storage_container", "container", "name")}`,
        [AZURE_LAKE_ENV.leaseContainer]: ref("azurerm_cosmosdb_sql_container", "leases", "name"),
        [`${AZURE_LAKE_ENV.cosmosConnection}__accountEndpoint`]: cellRef("azurerm_cosmosdb_account", "cosmos", "endpoint"),
      }),
    );
    expect(settings[AZURE_LAKE_ENV.cosmosConnection]).toBeUndefined();
    // The same settings reach the app through the azapi rewrite that replaces its settings.
    const rewrite = resourcesOf(synth, "azapi_update_resource")[0]![1].body.properties;
    for (const name of [AZURE_LAKE_ENV.containerUrl, AZURE_LAKE_ENV.leaseContainer, `${AZURE_LAKE_ENV.cosmosConnection}__accountEndpoint`, AZURE_CELL_ENV.cosmosDatabase]) {
      expect(rewrite[name]).toBe(settings[name]);
    }
  });

  test("the app's identity may write lake files in the landing container only, and One Deploy waits for that role too", () => {
    const [name, writer] = lake("azurerm_role_assignment", "writer");
    expect(writer).toEqual(
      expect.objectContaining({
        role_definition_name: AZURE_LAKE_WRITER_ROLE,
        scope: ref("azurerm_storage_container", "container", "resource_manager_id"),
        principal_id: `\${${"azurerm_function_app_flex_consumption"}.${resourcesOf(synth, "azurerm_function_app_flex_consumption")[0]![0]}.identity[0].principal_id}`,
        principal_type: "ServicePrincipal",
      }),
    );
    const lakeRoles = resourcesOf(synth, "azurerm_role_assignment").filter(([, r]) => String(r.scope).includes("cell_lake_"));
    expect(lakeRoles).toHaveLength(1);
    const wait = resourcesOf(synth, "time_sleep").find(([n]) => n.startsWith("cell_app-rbac-propagation_"))![1];
    expect(wait.depends_on).toContain(`azurerm_role_assignment.${name}`);
  });

  test("works on Linux Consumption too: the settings go into its app_settings", () => {
    const settings = resourcesOf(tuned, "azurerm_linux_function_app")[0]![1].app_settings;
    expect(Object.keys(settings)).toEqual(expect.arrayContaining([AZURE_LAKE_ENV.containerUrl, AZURE_LAKE_ENV.leaseContainer, `${AZURE_LAKE_ENV.cosmosConnection}__accountEndpoint`]));
  });
});

describe("the AzureCellStack with a lake", () => {
  const stackJson = JSON.parse(stackSynth);

  test("outputs the landing container's URL", () => {
    expect(stackJson.output["lake-container-url"].value).toMatch(/primary_blob_endpoint\}\$\{azurerm_storage_container\.cell_lake_container_[0-9A-F]{8}\.name\}$/);
  });

  test("the landing account and the lease container keep their Terraform addresses (a rename would destroy them)", () => {
    expect(Object.keys(stackJson.resource.azurerm_storage_account).filter((n) => n.startsWith("cell_lake_"))).toEqual(["cell_lake_storage_7F25A514"]);
    expect(Object.keys(stackJson.resource.azurerm_cosmosdb_sql_container).filter((n) => n.startsWith("cell_lake_"))).toEqual(["cell_lake_leases_A9944E17"]);
  });

  test("snapshot of the lake's resources", () => {
    const lakeOnly = Object.fromEntries(
      Object.entries(stackJson.resource as Record<string, Record<string, unknown>>)
        .map(([type, resources]) => [type, Object.fromEntries(Object.entries(resources).filter(([name]) => name.startsWith("cell_lake_")))])
        .filter(([, resources]) => Object.keys(resources as object).length > 0),
    );
    expect(forSnapshot(JSON.stringify(lakeOnly))).toMatchSnapshot();
  });
});
