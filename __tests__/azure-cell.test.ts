import "./setup/cdktf-matchers";
import { ApplicationInsights } from "@cdktf/provider-azurerm/lib/application-insights";
import { CosmosdbAccount } from "@cdktf/provider-azurerm/lib/cosmosdb-account";
import { CosmosdbSqlContainer } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-container";
import { CosmosdbSqlDatabase } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-database";
import { CosmosdbSqlRoleAssignment } from "@cdktf/provider-azurerm/lib/cosmosdb-sql-role-assignment";
import { FunctionAppFlexConsumption } from "@cdktf/provider-azurerm/lib/function-app-flex-consumption";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { LinuxFunctionApp } from "@cdktf/provider-azurerm/lib/linux-function-app";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { ServicePlan } from "@cdktf/provider-azurerm/lib/service-plan";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { Password } from "@cdktf/provider-random/lib/password";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import type { TerraformResource } from "cdktf";
import type { ICell } from "../constructs/cell";
import { AZURE_CELL_ENV, CONTAINER_SCHEMA } from "../cells/azure/config";
import {
  AzureCell,
  azureCellNames,
  AZURE_CELL_DIAGNOSTIC_LOGS,
  AZURE_GLOBAL_NAME_RULES,
  FLEX_PACKAGE_BLOB_NAME,
  ONE_DEPLOY_RETRY,
  PACKAGE_HASH_SETTING,
  RBAC_PROPAGATION_WAIT,
  stagedPackageBlobName,
  STORAGE_SOFT_DELETE_RETENTION_DAYS,
  type AzureCellProps,
} from "../constructs/azure-cell";
import { AZAPI_PROVIDER } from "../constructs/azapi";
import { resourcesOf } from "./support/synth";

/** A bare stack with the providers the construct needs, so these tests see the construct alone. */
function synthCell(props: Partial<AzureCellProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new AzurermProvider(stack, "azurerm", { features: [{}], storageUseAzuread: true });
  new RandomProvider(stack, "random");
  new TimeProvider(stack, "time");
  const cell = new AzureCell(stack, "cell", { cellId: "alpha", location: "eastus", ...props });
  return { cell, stack, synth: Testing.synth(stack) };
}

/** `${type.name.attribute}`: how a reference to `resource` appears in the synthesized JSON. */
const ref = (resource: TerraformResource, attribute: string): string => `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
const only = (synth: string, type: string): any => {
  const all = resourcesOf(synth, type);
  expect(all).toHaveLength(1);
  return all[0]![1];
};
/** The resource of `type` whose construct id is `id` (its Terraform name is `cell_<id>_<hash>`), as [name, config]. */
const named = (synth: string, type: string, id: string): [string, any] => {
  const matches = resourcesOf(synth, type).filter(([name]) => name.startsWith(`cell_${id}_`));
  expect(matches).toHaveLength(1);
  return matches[0]!;
};
const roleAssignment = (synth: string, role: string): any => {
  const matches = resourcesOf(synth, "azurerm_role_assignment").filter(([, r]) => r.role_definition_name === role);
  expect(matches).toHaveLength(1);
  return matches[0]![1];
};

describe("AzureCell (Flex Consumption, the default)", () => {
  const { cell, synth } = synthCell();
  const app = () => only(synth, "azurerm_function_app_flex_consumption");

  test("implements ICell with the location as region and a versioned key id", () => {
    expect(cell.cloud).toBe("azure");
    expect(cell.cellId).toBe("alpha");
    expect(cell.region).toBe("eastus");
    expect(cell.signingKeyId).toBe("alpha-v1");
    expect(cell.endpointUrl).toMatch(/^https:\/\/\$\{TfToken\[/);
  });

  test("puts every resource in the cell's own resource group", () => {
    expect(synth).toHaveResourceWithProperties(ResourceGroup, { name: "rg-cells-alpha", location: "eastus" });
    const placed = ["azurerm_storage_account", "azurerm_cosmosdb_account", "azurerm_key_vault", "azurerm_service_plan", "azurerm_function_app_flex_consumption", "azurerm_log_analytics_workspace", "azurerm_application_insights"];
    for (const type of placed) expect([type, only(synth, type).resource_group_name]).toEqual([type, ref(cell.resourceGroup, "name")]);
  });

  test("runs a Flex Consumption (FC1) Linux plan with the Node.js runtime and scale settings", () => {
    expect(synth).toHaveResourceWithProperties(ServicePlan, { os_type: "Linux", sku_name: "FC1" });
    expect(synth).toHaveResourceWithProperties(FunctionAppFlexConsumption, {
      runtime_name: "node",
      runtime_version: "22",
      instance_memory_in_mb: 2048,
      maximum_instance_count: 100,
    });
    expect(resourcesOf(synth, "azurerm_linux_function_app")).toHaveLength(0);
  });

  test("the app is HTTPS only with TLS 1.2 minimum, remote debugging off and WebDeploy basic auth off", () => {
    expect(synth).toHaveResourceWithProperties(FunctionAppFlexConsumption, {
      https_only: true,
      webdeploy_publish_basic_authentication_enabled: false,
      site_config: expect.objectContaining({ minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2", remote_debugging_enabled: false }),
    });
  });

  test("the app has a system-assigned identity and sends telemetry to Application Insights", () => {
    const insights = cell.node.findChild("insights") as TerraformResource;
    expect(synth).toHaveResourceWithProperties(FunctionAppFlexConsumption, {
      identity: { type: "SystemAssigned" },
      site_config: expect.objectContaining({ application_insights_connection_string: ref(insights, "connection_string") }),
    });
  });

  test("the app reads its deployment container with its identity, not a storage key", () => {
    expect(app()).toMatchObject({
      storage_container_type: "blobContainer",
      storage_authentication_type: "SystemAssignedIdentity",
      storage_container_endpoint: expect.stringContaining(ref(cell.storageAccount, "primary_blob_endpoint")),
    });
    expect(app().storage_access_key).toBeUndefined();
  });

  test("host storage is identity-based and no AzureWebJobsStorage setting is written, not even an empty one (provider issue #29693)", () => {
    const settings = app().app_settings;
    expect(settings).toMatchObject({ AzureWebJobsStorage__accountName: ref(cell.storageAccount, "name"), AzureWebJobsStorage__credential: "managedidentity" });
    expect(settings).not.toHaveProperty("AzureWebJobsStorage");
  });

  test("the app's settings are rewritten without the provider's key-based AzureWebJobsStorage after every change of the app, and the provider's echo is ignored", () => {
    const [, fix] = named(synth, "azapi_update_resource", "app-settings");
    expect(fix).toMatchObject({ type: "Microsoft.Web/sites/config@2024-04-01", name: "appsettings", parent_id: ref(cell.functionApp, "id") });
    // PUT config/appsettings replaces the collection: exactly the app's settings plus the App Insights
    // connection string azurerm keeps under site_config, and so no AzureWebJobsStorage.
    expect(fix.body).toEqual({ properties: { ...app().app_settings, APPLICATIONINSIGHTS_CONNECTION_STRING: app().site_config.application_insights_connection_string } });
    expect(fix.body.properties).not.toHaveProperty("AzureWebJobsStorage");
    expect(fix.lifecycle).toEqual({ replace_triggered_by: [`azurerm_function_app_flex_consumption.${cell.functionApp.friendlyUniqueId}`] });
    expect(app().lifecycle).toEqual({ ignore_changes: ["app_settings"] });
  });

  test("app settings name the vault and the secrets the app reads at run time, and hold no secret and no Key Vault reference", () => {
    const settings = app().app_settings;
    expect(settings).toEqual(
      expect.objectContaining({
        [AZURE_CELL_ENV.cellId]: "alpha",
        [AZURE_CELL_ENV.cosmosEndpoint]: ref(cell.cosmosAccount, "endpoint"),
        [AZURE_CELL_ENV.cosmosContainer]: ref(cell.cosmosContainer, "name"),
        [AZURE_CELL_ENV.signingKeyId]: "alpha-v1",
        [AZURE_CELL_ENV.adminKeyId]: "alpha-admin-v1",
        [AZURE_CELL_ENV.keyVaultUrl]: ref(cell.keyVault, "vault_uri"),
        [AZURE_CELL_ENV.signingSecretName]: ref(cell.signingSecretStore, "name"),
        [AZURE_CELL_ENV.adminSecretName]: ref(cell.adminSecretStore, "name"),
      }),
    );
    expect(settings[AZURE_CELL_ENV.cosmosDatabase]).toMatch(/^\$\{azurerm_cosmosdb_sql_database\..+\.name\}$/);
    for (const name of [AZURE_CELL_ENV.signingSecret, AZURE_CELL_ENV.adminSecret, AZURE_CELL_ENV.cosmosKey]) expect(settings).not.toHaveProperty(name);
    expect(JSON.stringify(settings)).not.toMatch(/@Microsoft\.KeyVault|random_password|primary_key|access_key|AccountKey=|\.value\}/);
  });

  test("the package is staged under a content-addressed blob name, never released-package.zip, in the private deployment container", () => {
    expect(synth).toHaveResourceWithProperties(StorageContainer, { name: "deployments", container_access_type: "private" });
    const blob = only(synth, "azurerm_storage_blob");
    expect(blob).toMatchObject({ name: stagedPackageBlobName(cell.code.hash), type: "Block", storage_account_name: ref(cell.storageAccount, "name"), lifecycle: { create_before_destroy: true } });
    expect(blob.name).not.toBe(FLEX_PACKAGE_BLOB_NAME);
    expect(blob.name).toContain(cell.code.hash);
    expect(blob.source).toMatch(new RegExp(`^assets/[^/]+/${cell.code.hash}/${cell.code.hash.slice(0, 16)}\\.zip$`));
    expect(cell.code.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("One Deploy deploys the staged package through ARM (Entra ID), keyed on the package hash, after the settings fix and the app's roles", () => {
    const [, deploy] = named(synth, "azapi_resource_action", "one-deploy");
    expect(deploy).toMatchObject({
      type: "Microsoft.Web/sites/extensions@2024-04-01",
      resource_id: `${ref(cell.functionApp, "id")}/extensions/onedeploy`,
      method: "PUT",
      body: { properties: { packageUri: ref(cell.packageBlob, "url"), remoteBuild: false } },
      timeouts: { create: "20m", update: "20m" },
    });
    expect(deploy.retry).toEqual({ error_message_regex: [...ONE_DEPLOY_RETRY.errorMessageRegex], interval_seconds: 15, max_interval_seconds: 60 });
    const [fixName] = named(synth, "azapi_update_resource", "app-settings");
    const [sleepName] = named(synth, "time_sleep", "app-rbac-propagation");
    expect(deploy.depends_on).toEqual([`azurerm_storage_blob.${cell.packageBlob.friendlyUniqueId}`, `azapi_update_resource.${fixName}`, `time_sleep.${sleepName}`]);
    // The blob's name, and so its URL, is the only package-dependent input: a code change redeploys, nothing else does.
    expect(JSON.stringify(deploy)).not.toContain(cell.code.hash);
    expect(only(synth, "azurerm_storage_blob").name).toContain(cell.code.hash);
    // No Kudu zip deploy (basic-auth publishing credentials), no app setting pretending to deploy.
    expect(app().zip_deploy_file).toBeUndefined();
    expect(app().app_settings).not.toHaveProperty("WEBSITE_RUN_FROM_PACKAGE");
    expect(app().app_settings).not.toHaveProperty(PACKAGE_HASH_SETTING);
    expect(app().depends_on).toBeUndefined();
  });

  test("One Deploy waits for the app's three role assignments to propagate, again whenever the app's identity changes", () => {
    const [, wait] = named(synth, "time_sleep", "app-rbac-propagation");
    expect(wait.create_duration).toBe(RBAC_PROPAGATION_WAIT.app);
    expect(wait.triggers).toEqual({ "principal-id": ref(cell.functionApp, "identity[0].principal_id") });
    const roles = [...resourcesOf(synth, "azurerm_role_assignment"), ...resourcesOf(synth, "azurerm_cosmosdb_sql_role_assignment")].filter(([, r]) => String(r.principal_id).includes("identity[0].principal_id"));
    expect(roles).toHaveLength(3);
    expect([...wait.depends_on].sort()).toEqual(roles.map(([name, r]) => `${r.role_definition_name ? "azurerm_role_assignment" : "azurerm_cosmosdb_sql_role_assignment"}.${name}`).sort());
  });

  test("the synthesized stack requires the azapi provider it uses, at an exact version", () => {
    expect(JSON.parse(synth).terraform.required_providers.azapi).toEqual(AZAPI_PROVIDER);
    expect(AZAPI_PROVIDER).toEqual({ source: "Azure/azapi", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  test("deleted blobs and containers stay recoverable (soft delete)", () => {
    expect(only(synth, "azurerm_storage_account").blob_properties).toEqual({
      delete_retention_policy: { days: STORAGE_SOFT_DELETE_RETENTION_DAYS },
      container_delete_retention_policy: { days: STORAGE_SOFT_DELETE_RETENTION_DAYS },
    });
  });

  test("Key Vault audit events, Cosmos DB control- and data-plane logs and blob logs go to the cell's Log Analytics workspace", () => {
    const workspace = cell.node.findChild("logs") as TerraformResource;
    const settings = resourcesOf(synth, "azurerm_monitor_diagnostic_setting").map(([, d]) => d);
    const byTarget = (target: string) => settings.find((d) => d.target_resource_id === target);
    expect(settings).toHaveLength(3);
    for (const d of settings) expect(d.log_analytics_workspace_id).toBe(ref(workspace, "id"));
    expect(byTarget(ref(cell.keyVault, "id")).enabled_log).toEqual([{ category: "AuditEvent" }]);
    expect(byTarget(ref(cell.cosmosAccount, "id"))).toMatchObject({ enabled_log: [{ category: "ControlPlaneRequests" }, { category: "DataPlaneRequests" }], log_analytics_destination_type: "Dedicated" });
    expect(byTarget(`${ref(cell.storageAccount, "id")}/blobServices/default`).enabled_log).toEqual(AZURE_CELL_DIAGNOSTIC_LOGS.blobStorage.map((category) => ({ category })));
  });

  test("the storage account: TLS 1.2, HTTPS only, no public blobs, no shared keys", () => {
    expect(synth).toHaveResourceWithProperties(StorageAccount, {
      name: azureCellNames({ cellId: "alpha", location: "eastus" }).storageAccount,
      min_tls_version: "TLS1_2",
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
    });
  });

  test("the app's identity owns blob data of its own storage account only", () => {
    expect(roleAssignment(synth, "Storage Blob Data Owner")).toEqual(
      expect.objectContaining({ scope: ref(cell.storageAccount, "id"), principal_id: ref(cell.functionApp, "identity[0].principal_id"), principal_type: "ServicePrincipal" }),
    );
  });

  test("the deployer may write blobs in the package container only, and uploads only after the role has propagated", () => {
    const writer = roleAssignment(synth, "Storage Blob Data Contributor");
    expect(writer.scope).toMatch(/^\$\{azurerm_storage_container\..+\.resource_manager_id\}$/);
    expect(writer.principal_id).toMatch(/^\$\{data\.azurerm_client_config\..+\.object_id\}$/);
    const [waitName] = named(synth, "time_sleep", "deployer-rbac-propagation");
    expect(only(synth, "azurerm_storage_blob").depends_on).toEqual([`time_sleep.${waitName}`]);
  });

  test("Terraform's data-plane writes wait for both of its role assignments to propagate", () => {
    const [, wait] = named(synth, "time_sleep", "deployer-rbac-propagation");
    const [officer] = named(synth, "azurerm_role_assignment", "deployer-secrets-officer");
    const [writer] = named(synth, "azurerm_role_assignment", "deployer-package-writer");
    expect(wait).toMatchObject({
      create_duration: RBAC_PROPAGATION_WAIT.deployer,
      depends_on: [`azurerm_role_assignment.${officer}`, `azurerm_role_assignment.${writer}`],
      triggers: { "secrets-officer": `\${azurerm_role_assignment.${officer}.id}`, "package-writer": `\${azurerm_role_assignment.${writer}.id}` },
    });
    expect(Number.parseInt(RBAC_PROPAGATION_WAIT.deployer, 10)).toBeGreaterThanOrEqual(60);
  });

  test("Cosmos DB (NoSQL): serverless, Session consistency, one region, key auth off, continuous backup, TLS 1.2", () => {
    expect(synth).toHaveResourceWithProperties(CosmosdbAccount, {
      kind: "GlobalDocumentDB",
      offer_type: "Standard",
      consistency_policy: { consistency_level: "Session" },
      geo_location: [{ location: "eastus", failover_priority: 0 }],
      capabilities: [{ name: "EnableServerless" }],
      local_authentication_disabled: true,
      access_key_metadata_writes_enabled: false,
      backup: { type: "Continuous", tier: "Continuous7Days" },
      minimal_tls_version: "Tls12",
      public_network_access_enabled: true,
      ip_range_filter: ["0.0.0.0"],
    });
  });

  test("the records container is partitioned on the tenant with per-item TTL and no provisioned throughput", () => {
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlDatabase, { name: "cells" });
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlContainer, {
      name: "records",
      partition_key_paths: [CONTAINER_SCHEMA.partitionKeyPath],
      default_ttl: CONTAINER_SCHEMA.defaultTtlSeconds,
    });
    expect(only(synth, "azurerm_cosmosdb_sql_container").throughput).toBeUndefined();
  });

  test("the app's identity gets the built-in Data Contributor role on this Cosmos DB account only", () => {
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlRoleAssignment, {
      role_definition_id: `${ref(cell.cosmosAccount, "id")}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002`,
      scope: ref(cell.cosmosAccount, "id"),
      principal_id: ref(cell.functionApp, "identity[0].principal_id"),
    });
  });

  test("the signing key: 64 random characters without specials, replaced when the key version changes", () => {
    expect(synth).toHaveResourceWithProperties(Password, { length: 64, special: false, keepers: { "signing-key-version": "1" } });
    expect(cell.signingSecret).toMatch(/TfToken/);
  });

  test("the signing and admin keys live in an RBAC Key Vault with purge protection, written after the deployer's role has propagated", () => {
    expect(synth).toHaveResourceWithProperties(KeyVault, {
      name: azureCellNames({ cellId: "alpha", location: "eastus" }).keyVault,
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      sku_name: "standard",
    });
    const [waitName] = named(synth, "time_sleep", "deployer-rbac-propagation");
    const [, signing] = named(synth, "azurerm_key_vault_secret", "signing-secret");
    const [, admin] = named(synth, "azurerm_key_vault_secret", "admin-secret");
    expect(signing).toMatchObject({ name: "signing-key", key_vault_id: ref(cell.keyVault, "id"), value: ref(cell.node.findChild("signing-key") as TerraformResource, "result") });
    expect(admin).toMatchObject({ name: "admin-key", key_vault_id: ref(cell.keyVault, "id"), value: ref(cell.node.findChild("admin-key") as TerraformResource, "result") });
    for (const secret of [signing, admin]) expect(secret.depends_on).toEqual([`time_sleep.${waitName}`]);
    const officer = roleAssignment(synth, "Key Vault Secrets Officer");
    expect(officer).toMatchObject({ scope: ref(cell.keyVault, "id"), principal_id: expect.stringMatching(/^\$\{data\.azurerm_client_config\..+\.object_id\}$/) });
  });

  test("the admin key: its own 64-character password kept by its version, id <cellId>-admin-v<n>, not part of ICell", () => {
    expect(synth).toHaveResourceWithProperties(Password, { length: 64, special: false, keepers: { "admin-key-version": "1" } });
    expect(cell.adminKeyId).toBe("alpha-admin-v1");
    expect(cell.adminSecret).toMatch(/TfToken/);
    const iCellKeys: Array<keyof ICell> = ["cellId", "cloud", "region", "endpointUrl", "signingKeyId", "signingSecret"];
    expect(iCellKeys.filter((k) => /admin/i.test(k))).toEqual([]);
  });

  test("the app's identity may read secrets of this vault only", () => {
    expect(roleAssignment(synth, "Key Vault Secrets User")).toEqual(
      expect.objectContaining({ scope: ref(cell.keyVault, "id"), principal_id: ref(cell.functionApp, "identity[0].principal_id") }),
    );
  });

  test("workspace-based Application Insights with the retention of its Log Analytics workspace", () => {
    const workspace = cell.node.findChild("logs") as TerraformResource;
    expect(synth).toHaveResourceWithProperties(LogAnalyticsWorkspace, { sku: "PerGB2018", retention_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(ApplicationInsights, { workspace_id: ref(workspace, "id"), retention_in_days: 30 });
  });

  test("creates no outputs: only stacks export values", () => {
    expect(JSON.parse(synth).output).toBeUndefined();
  });
});

describe("AzureCell (Linux Consumption)", () => {
  const { cell, synth } = synthCell({ hostingPlan: "Consumption", nodeVersion: "20" });
  const app = () => only(synth, "azurerm_linux_function_app");

  test("runs a Y1 Linux plan with a Linux Function App on Functions v4 and the chosen Node.js", () => {
    expect(synth).toHaveResourceWithProperties(ServicePlan, { os_type: "Linux", sku_name: "Y1" });
    expect(app()).toMatchObject({ functions_extension_version: "~4", site_config: { application_stack: { node_version: "20" } } });
    expect(resourcesOf(synth, "azurerm_function_app_flex_consumption")).toHaveLength(0);
  });

  test("HTTPS only, TLS 1.2, FTP(S) and both basic publishing auths off, identity, telemetry", () => {
    expect(synth).toHaveResourceWithProperties(LinuxFunctionApp, {
      https_only: true,
      ftp_publish_basic_authentication_enabled: false,
      webdeploy_publish_basic_authentication_enabled: false,
      identity: { type: "SystemAssigned" },
      site_config: expect.objectContaining({ minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2", ftps_state: "Disabled", remote_debugging_enabled: false }),
    });
    expect(app().site_config.application_insights_connection_string).toMatch(/^\$\{azurerm_application_insights\..+\.connection_string\}$/);
  });

  test("host storage through the identity (no account key, no content share)", () => {
    expect(app()).toMatchObject({ storage_uses_managed_identity: true, storage_account_name: ref(cell.storageAccount, "name") });
    expect(app().storage_account_access_key).toBeUndefined();
    expect(app().app_settings).not.toHaveProperty("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING");
  });

  test("runs from the staged package blob's URL; the blob name and an app setting carry the content hash", () => {
    const blob = only(synth, "azurerm_storage_blob");
    expect(blob.name).toBe(stagedPackageBlobName(cell.code.hash));
    expect(blob.lifecycle).toEqual({ create_before_destroy: true });
    expect(app().app_settings).toMatchObject({ WEBSITE_RUN_FROM_PACKAGE: ref(cell.packageBlob, "url"), [PACKAGE_HASH_SETTING]: cell.code.hash });
    expect(app().zip_deploy_file).toBeUndefined();
  });

  test("no One Deploy and no settings rewrite: Linux Consumption runs from the URL and azurerm writes identity-based host storage itself", () => {
    expect(resourcesOf(synth, "azapi_resource_action")).toEqual([]);
    expect(resourcesOf(synth, "azapi_update_resource")).toEqual([]);
    expect(cell.oneDeploy).toBeUndefined();
    expect(app().app_settings).not.toHaveProperty("AzureWebJobsStorage");
  });

  test("the same cell configuration as on Flex Consumption: secrets named, read at run time", () => {
    expect(app().app_settings).toMatchObject({
      [AZURE_CELL_ENV.cellId]: "alpha",
      [AZURE_CELL_ENV.signingKeyId]: "alpha-v1",
      [AZURE_CELL_ENV.adminKeyId]: "alpha-admin-v1",
      [AZURE_CELL_ENV.keyVaultUrl]: ref(cell.keyVault, "vault_uri"),
      [AZURE_CELL_ENV.signingSecretName]: ref(cell.signingSecretStore, "name"),
      [AZURE_CELL_ENV.adminSecretName]: ref(cell.adminSecretStore, "name"),
    });
    expect(app().app_settings).not.toHaveProperty(AZURE_CELL_ENV.signingSecret);
    expect(cell.endpointUrl).toMatch(/^https:\/\//);
  });

  test("the identity's rights are the same three scoped grants", () => {
    const principal = ref(cell.functionApp, "identity[0].principal_id");
    expect(roleAssignment(synth, "Storage Blob Data Owner").principal_id).toBe(principal);
    expect(roleAssignment(synth, "Key Vault Secrets User").principal_id).toBe(principal);
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlRoleAssignment, { principal_id: principal });
  });
});

describe("AzureCell props reach the resources", () => {
  test("provisioned Cosmos DB: no serverless capability, manual throughput on the container", () => {
    const { synth } = synthCell({ cosmosCapacity: "Provisioned", cosmosThroughputRu: 1000, cosmosConsistency: "Strong", continuousBackupTier: "Continuous30Days" });
    const account = only(synth, "azurerm_cosmosdb_account");
    expect(account.capabilities).toBeUndefined();
    expect(account).toMatchObject({ consistency_policy: { consistency_level: "Strong" }, backup: { type: "Continuous", tier: "Continuous30Days" } });
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlContainer, { throughput: 1000 });
  });

  test("provisioned without a throughput gets 400 RU/s", () => {
    const { synth } = synthCell({ cosmosCapacity: "Provisioned" });
    expect(synth).toHaveResourceWithProperties(CosmosdbSqlContainer, { throughput: 400 });
  });

  test("Flex scale, memory, Node.js version and retention", () => {
    const { synth } = synthCell({ instanceMemoryMiB: 4096, maximumInstanceCount: 40, nodeVersion: "20", logRetentionDays: 90 });
    expect(synth).toHaveResourceWithProperties(FunctionAppFlexConsumption, { instance_memory_in_mb: 4096, maximum_instance_count: 40, runtime_version: "20" });
    expect(synth).toHaveResourceWithProperties(LogAnalyticsWorkspace, { retention_in_days: 90 });
    expect(synth).toHaveResourceWithProperties(ApplicationInsights, { retention_in_days: 90 });
  });

  test("a new signing key version rotates the secret: new keeper, new key id", () => {
    const { cell, synth } = synthCell({ signingKeyVersion: 3 });
    expect(cell.signingKeyId).toBe("alpha-v3");
    expect(synth).toHaveResourceWithProperties(Password, { keepers: { "signing-key-version": "3" } });
    expect(only(synth, "azurerm_function_app_flex_consumption").app_settings[AZURE_CELL_ENV.signingKeyId]).toBe("alpha-v3");
  });
});

describe("azureCellNames", () => {
  test("are deterministic and use the resource-group-scoped names of the design", () => {
    const names = azureCellNames({ cellId: "alpha", location: "eastus" });
    expect(azureCellNames({ cellId: "alpha", location: "eastus" })).toEqual(names);
    expect(names).toMatchObject({ resourceGroup: "rg-cells-alpha", cosmosDatabase: "cells", cosmosContainer: "records" });
    expect(names.storageAccount).toMatch(/^stalpha[0-9a-f]{6}$/);
    expect(names.functionApp).toMatch(/^func-alpha-[0-9a-f]{6}$/);
    expect(names.cosmosAccount).toMatch(/^cosmos-alpha-[0-9a-f]{6}$/);
    expect(names.keyVault).toMatch(/^kv-alpha-[0-9a-f]{6}$/);
  });

  test("a different location or name prefix gives different global names", () => {
    const base = azureCellNames({ cellId: "alpha", location: "eastus" });
    const moved = azureCellNames({ cellId: "alpha", location: "westeurope" });
    const prefixed = azureCellNames({ cellId: "alpha", location: "eastus", namePrefix: "contoso" });
    for (const kind of ["storageAccount", "functionApp", "cosmosAccount", "keyVault"] as const) {
      expect(moved[kind]).not.toBe(base[kind]);
      expect(prefixed[kind]).not.toBe(base[kind]);
    }
    expect(prefixed.functionApp).toMatch(/^func-contoso-alpha-[0-9a-f]{6}$/);
    expect(moved.resourceGroup).toBe(base.resourceGroup);
  });

  test("the longest cell id and prefix, and awkward hyphens, still satisfy Azure's naming rules", () => {
    for (const cellId of ["a23456789012345678901", "ab-", "a--b-c---d-e-f-g-h-ij"]) {
      const names = azureCellNames({ cellId, location: "southeastasia", namePrefix: "abcdefgh" });
      for (const [kind, { pattern }] of Object.entries(AZURE_GLOBAL_NAME_RULES)) expect([kind, names[kind as keyof typeof AZURE_GLOBAL_NAME_RULES]]).toEqual([kind, expect.stringMatching(pattern)]);
      expect(names.keyVault.length).toBeLessThanOrEqual(24);
      expect(names.storageAccount.length).toBeLessThanOrEqual(24);
    }
  });

  test("refuses to derive a name that breaks Azure's rules (a cell id that skipped validation)", () => {
    expect(() => azureCellNames({ cellId: "Alpha_1", location: "eastus" })).toThrow(/derived storageAccount name 'stAlpha_1[0-9a-f]{6}' breaks Azure's rule \(3-24 lower-case letters and digits\)/);
  });

  test("shortened names of different long cell ids stay distinct (the hash covers the full id)", () => {
    const one = azureCellNames({ cellId: "averylongcellname-one", location: "eastus" });
    const two = azureCellNames({ cellId: "averylongcellname-two", location: "eastus" });
    expect(one.keyVault).not.toBe(two.keyVault);
    expect(one.storageAccount).not.toBe(two.storageAccount);
  });
});
