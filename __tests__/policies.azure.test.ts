import "./setup/cdktf-matchers";
import { Testing } from "cdktf";
import { evaluatePolicies, type PolicyRule } from "../policies/engine";
import { AZURE_RULES } from "../policies/rules/azure";
import { cosmosContinuousBackup } from "../policies/rules/azure/cosmos-continuous-backup";
import { cosmosLocalAuthDisabled } from "../policies/rules/azure/cosmos-local-auth-disabled";
import { functionAppBasicAuthOff } from "../policies/rules/azure/function-app-basic-auth-off";
import { functionAppHttpsOnly } from "../policies/rules/azure/function-app-https-only";
import { functionAppManagedIdentity } from "../policies/rules/azure/function-app-managed-identity";
import { functionAppMinTls } from "../policies/rules/azure/function-app-min-tls";
import { functionAppSettingsNoSecrets } from "../policies/rules/azure/function-app-settings-no-secrets";
import { functionAppSecretsReadAtRunTime } from "../policies/rules/azure/function-app-secrets-read-at-run-time";
import { flexHostStorageIdentity } from "../policies/rules/azure/flex-host-storage-identity";
import { flexOneDeploy } from "../policies/rules/azure/flex-one-deploy";
import { dataPlaneWaitsForRbac } from "../policies/rules/azure/data-plane-waits-for-rbac";
import { blobStorageLogs, cosmosRequestLogs, keyVaultAuditLogs } from "../policies/rules/azure/diagnostic-settings";
import { storageSoftDelete } from "../policies/rules/azure/storage-soft-delete";
import { FUNCTION_APP_TYPES } from "../policies/rules/azure/function-app-types";
import { keyVaultRbacPurgeProtection } from "../policies/rules/azure/key-vault-rbac-purge-protection";
import { storageContainerPrivate } from "../policies/rules/azure/storage-container-private";
import { storageHttpsOnly } from "../policies/rules/azure/storage-https-only";
import { storageMinTls } from "../policies/rules/azure/storage-min-tls";
import { storageNoPublicBlobs } from "../policies/rules/azure/storage-no-public-blobs";
import { storageSharedKeyDisabled } from "../policies/rules/azure/storage-shared-key-disabled";
import { storageLakeLifecycle } from "../policies/rules/azure/storage-lake-lifecycle";
import { blobContributorContainerScope } from "../policies/rules/azure/blob-contributor-container-scope";
import { functionAppFeedTriggers } from "../policies/rules/azure/function-app-feed-triggers";
import { functionAppIdentityConnections } from "../policies/rules/azure/function-app-identity-connections";
import { AzureCellStack } from "../stacks/azure-cell-stack";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/**
 * Evaluates `rules` against one resource of `type` named `fixture`, in a stack that also holds
 * `others` (the resources some rules look up: diagnostic settings, azapi resources, time_sleeps);
 * returns the violation messages.
 */
const violations = (rules: PolicyRule | readonly PolicyRule[], type: string, resource: Record<string, unknown>, others: Resources = {}): string[] =>
  evaluatePolicies({ resource: { ...others, [type]: { fixture: resource } } }, Array.isArray(rules) ? rules : [rules as PolicyRule]).map((v) => v.message);

const KV_REFERENCE = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.s.versionless_id})";
const FLEX = "azurerm_function_app_flex_consumption";

/** A Function App of `type` that passes every Function App rule (Terraform JSON, snake_case). */
const goodApp = (type: string): Record<string, unknown> => ({
  https_only: true,
  webdeploy_publish_basic_authentication_enabled: false,
  ...(type === FLEX ? { lifecycle: { ignore_changes: ["app_settings"] } } : { ftp_publish_basic_authentication_enabled: false }),
  identity: { type: "SystemAssigned" },
  site_config: { minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2", ...(type === FLEX ? {} : { ftps_state: "Disabled" }) },
  app_settings: {
    CELL_ID: "alpha",
    SIGNING_KEY_ID: "alpha-v1",
    KEY_VAULT_URL: "${azurerm_key_vault.kv.vault_uri}",
    SIGNING_SECRET_NAME: "${azurerm_key_vault_secret.s.name}",
    AzureWebJobsStorage__accountName: "${azurerm_storage_account.s.name}",
  },
});

/** What a compliant Flex app named `fixture` has around it: the azapi settings rewrite and the One Deploy request. */
const flexCompanions = (overrides: { settings?: Record<string, unknown>; deploy?: Record<string, unknown> } = {}): Resources => ({
  azapi_update_resource: {
    settings: {
      type: "Microsoft.Web/sites/config@2024-04-01",
      name: "appsettings",
      parent_id: `\${${FLEX}.fixture.id}`,
      body: { properties: { CELL_ID: "alpha", AzureWebJobsStorage__accountName: "${azurerm_storage_account.s.name}" } },
      ...overrides.settings,
    },
  },
  azapi_resource_action: {
    deploy: {
      type: "Microsoft.Web/sites/extensions@2024-04-01",
      resource_id: `\${${FLEX}.fixture.id}/extensions/onedeploy`,
      method: "PUT",
      body: { properties: { packageUri: "${azurerm_storage_blob.package.url}", remoteBuild: false } },
      ...overrides.deploy,
    },
  },
});
const companionsOf = (type: string): Resources => (type === FLEX ? flexCompanions() : {});

/** A diagnostic setting sending `categories` of `target` to a workspace. */
const diagnostics = (target: string, categories: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "cell-logs",
  target_resource_id: target,
  log_analytics_workspace_id: "${azurerm_log_analytics_workspace.logs.id}",
  enabled_log: categories.map((category) => ({ category })),
  ...extra,
});

describe.each(FUNCTION_APP_TYPES)("Function App rules on %s", (type) => {
  const good = goodApp(type);

  test("a compliant app passes every Function App rule", () => {
    expect(violations(AZURE_RULES, type, good, companionsOf(type))).toEqual([]);
  });

  test("AZ-FN-1 fails without https_only", () => {
    expect(violations(functionAppHttpsOnly, type, good)).toEqual([]);
    expect(violations(functionAppHttpsOnly, type, { ...good, https_only: false })).toEqual([expect.stringMatching(/https_only must be true/)]);
  });

  test("AZ-FN-2 fails below TLS 1.2 on the app or the SCM site, or when the app's minimum is left to a default", () => {
    const site = good.site_config as Record<string, unknown>;
    expect(violations(functionAppMinTls, type, good)).toEqual([]);
    expect(violations(functionAppMinTls, type, { ...good, site_config: { ...site, minimum_tls_version: "1.1" } })).toEqual([expect.stringMatching(/minimum_tls_version must be '1.2' or '1.3', got '1.1'/)]);
    expect(violations(functionAppMinTls, type, { ...good, site_config: { ...site, scm_minimum_tls_version: "1.0" } })).toEqual([expect.stringMatching(/scm_minimum_tls_version/)]);
    expect(violations(functionAppMinTls, type, { ...good, site_config: {} })).toHaveLength(1);
  });

  test("AZ-FN-3 fails when WebDeploy basic auth is not switched off", () => {
    expect(violations(functionAppBasicAuthOff, type, good)).toEqual([]);
    const { webdeploy_publish_basic_authentication_enabled: _, ...unset } = good;
    expect(violations(functionAppBasicAuthOff, type, unset)).toEqual([expect.stringMatching(/webdeploy_publish_basic_authentication_enabled must be false/)]);
  });

  test("AZ-FN-4 fails without a managed identity", () => {
    expect(violations(functionAppManagedIdentity, type, good)).toEqual([]);
    const { identity: _, ...anonymous } = good;
    expect(violations(functionAppManagedIdentity, type, anonymous)).toEqual([expect.stringMatching(/identity/)]);
  });

  test("AZ-FN-6 fails on the SIGNING_SECRET Key Vault reference the cell synthesized before, and on an ADMIN_SECRET", () => {
    const settings = good.app_settings as Record<string, string>;
    expect(violations(functionAppSecretsReadAtRunTime, type, good)).toEqual([]);
    expect(violations(functionAppSecretsReadAtRunTime, type, { ...good, app_settings: { ...settings, SIGNING_SECRET: KV_REFERENCE } })).toEqual([
      expect.stringMatching(/app settings SIGNING_SECRET must not be set; set KEY_VAULT_URL/),
    ]);
    expect(violations(functionAppSecretsReadAtRunTime, type, { ...good, app_settings: { ...settings, ADMIN_SECRET: "literal-admin-secret" } })).toEqual([
      expect.stringMatching(/ADMIN_SECRET must not be set/),
    ]);
  });

  test("AZ-FN-5 fails when SIGNING_SECRET holds the secret instead of a Key Vault reference", () => {
    const settings = good.app_settings as Record<string, string>;
    expect(violations(functionAppSettingsNoSecrets, type, good)).toEqual([]);
    expect(violations(functionAppSettingsNoSecrets, type, { ...good, app_settings: { ...settings, SIGNING_SECRET: "${random_password.key.result}" } })).toEqual([
      expect.stringMatching(/app settings SIGNING_SECRET hold secrets/),
    ]);
    expect(violations(functionAppSettingsNoSecrets, type, { ...good, app_settings: { ...settings, SIGNING_SECRET: "s3cr3t-literal" } })).toHaveLength(1);
  });
});

describe("AZ-FN-3 on apps with an FTP endpoint", () => {
  const good = goodApp("azurerm_linux_function_app");

  test("fails when FTP basic auth stays on or FTPS is allowed", () => {
    expect(violations(functionAppBasicAuthOff, "azurerm_linux_function_app", { ...good, ftp_publish_basic_authentication_enabled: true })).toEqual([
      expect.stringMatching(/ftp_publish_basic_authentication_enabled must be false/),
    ]);
    expect(violations(functionAppBasicAuthOff, "azurerm_linux_function_app", { ...good, site_config: { minimum_tls_version: "1.2", ftps_state: "FtpsOnly" } })).toEqual([
      expect.stringMatching(/ftps_state must be 'Disabled', got 'FtpsOnly'/),
    ]);
  });

  test("does not ask a Flex Consumption app for FTP switches it does not have", () => {
    expect(violations(functionAppBasicAuthOff, "azurerm_function_app_flex_consumption", goodApp("azurerm_function_app_flex_consumption"))).toEqual([]);
  });
});

describe("AZ-FN-7 identity-based host storage on Flex Consumption (provider issue #29693)", () => {
  const good = goodApp(FLEX);

  test("passes the app with its azapi settings rewrite and the ignored echo", () => {
    expect(violations(flexHostStorageIdentity, FLEX, good, flexCompanions())).toEqual([]);
  });

  test("fails on what the cell synthesized before: an empty AzureWebJobsStorage, no rewrite, nothing ignored", () => {
    const before = { ...good, lifecycle: undefined, app_settings: { ...(good.app_settings as object), AzureWebJobsStorage: "" } };
    expect(violations(flexHostStorageIdentity, FLEX, before)).toEqual([
      "app_settings must not contain AzureWebJobsStorage (not even empty); lifecycle.ignore_changes must include app_settings (the provider reads back its own echo); one azapi_update_resource of Microsoft.Web/sites/config 'appsettings' must rewrite this app's settings",
    ]);
  });

  test("fails when the rewrite targets another app or carries AzureWebJobsStorage itself", () => {
    expect(violations(flexHostStorageIdentity, FLEX, good, flexCompanions({ settings: { parent_id: `\${${FLEX}.other.id}` } }))).toEqual([
      expect.stringMatching(/one azapi_update_resource .* must rewrite this app's settings/),
    ]);
    expect(violations(flexHostStorageIdentity, FLEX, good, flexCompanions({ settings: { body: { properties: { AzureWebJobsStorage: "" } } } }))).toEqual([
      expect.stringMatching(/azapi appsettings body must not contain AzureWebJobsStorage/),
    ]);
  });

  test("fails without identity-based host storage", () => {
    const { AzureWebJobsStorage__accountName: _, ...settings } = good.app_settings as Record<string, string>;
    expect(violations(flexHostStorageIdentity, FLEX, { ...good, app_settings: settings }, flexCompanions())).toEqual([expect.stringMatching(/AzureWebJobsStorage__accountName/)]);
  });
});

describe("AZ-FN-8 One Deploy on Flex Consumption", () => {
  const good = goodApp(FLEX);

  test("passes an app with a One Deploy PUT carrying a packageUri", () => {
    expect(violations(flexOneDeploy, FLEX, good, flexCompanions())).toEqual([]);
  });

  test("fails on what the cell synthesized before: the package written straight to released-package.zip, no One Deploy", () => {
    const before: Resources = { azurerm_storage_blob: { package: { name: "released-package.zip", type: "Block", source: "assets/x.zip" } } };
    expect(violations(flexOneDeploy, FLEX, good, before)).toEqual([
      "one azapi_resource_action must PUT this app's extensions/onedeploy with properties.packageUri; no azurerm_storage_blob may be named released-package.zip: One Deploy writes it, an upload under that name is never deployed",
    ]);
  });

  test("fails on a deploy without a packageUri, on another app, or with Kudu's zip_deploy_file", () => {
    expect(violations(flexOneDeploy, FLEX, good, flexCompanions({ deploy: { body: { properties: { remoteBuild: false } } } }))).toHaveLength(1);
    expect(violations(flexOneDeploy, FLEX, good, flexCompanions({ deploy: { resource_id: `\${${FLEX}.other.id}/extensions/onedeploy` } }))).toHaveLength(1);
    expect(violations(flexOneDeploy, FLEX, { ...good, zip_deploy_file: "app.zip" }, flexCompanions())).toEqual([expect.stringMatching(/zip_deploy_file must not be set/)]);
  });
});

describe("AZ-RBAC-1 data-plane writes wait for their role assignments", () => {
  const wait: Resources = {
    time_sleep: { rbac: { create_duration: "120s", depends_on: ["azurerm_role_assignment.writer"] } },
    azurerm_role_assignment: { writer: { role_definition_name: "Storage Blob Data Contributor" } },
  };

  test.each(["azurerm_key_vault_secret", "azurerm_storage_blob"])("passes a %s that depends on a time_sleep after the role assignment", (type) => {
    expect(violations(dataPlaneWaitsForRbac, type, { name: "x", depends_on: ["time_sleep.rbac"] }, wait)).toEqual([]);
  });

  test.each(["azurerm_key_vault_secret", "azurerm_storage_blob"])("fails on a %s that depends on the role assignment directly (what the cell synthesized before)", (type) => {
    expect(violations(dataPlaneWaitsForRbac, type, { name: "x", depends_on: ["azurerm_role_assignment.writer"] }, wait)).toEqual([expect.stringMatching(/must include a time_sleep/)]);
  });

  test("fails when the time_sleep waits for nothing or for no role assignment", () => {
    const idle: Resources = { time_sleep: { rbac: { create_duration: "120s", depends_on: ["azurerm_key_vault.kv"] }, none: { depends_on: ["azurerm_role_assignment.writer"] } } };
    expect(violations(dataPlaneWaitsForRbac, "azurerm_storage_blob", { depends_on: ["time_sleep.rbac"] }, idle)).toHaveLength(1);
    expect(violations(dataPlaneWaitsForRbac, "azurerm_storage_blob", { depends_on: ["time_sleep.none"] }, idle)).toHaveLength(1);
  });
});

describe("AZ-FN-5 secret-looking app settings", () => {
  const type = "azurerm_linux_function_app";
  const withSettings = (extra: Record<string, string>) => ({ ...goodApp(type), app_settings: { ...(goodApp(type).app_settings as object), ...extra } });

  test.each([
    ["a Cosmos DB key by name", { COSMOS_KEY: "abc==" }],
    ["a storage connection string with an account key", { AzureWebJobsStorage: "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc==" }],
    ["a reference to an account key", { STORAGE: "${azurerm_storage_account.s.primary_access_key}" }],
    ["a reference to a Key Vault secret's value", { SIGNING: "${azurerm_key_vault_secret.s.value}" }],
    ["a SAS URL", { WEBSITE_RUN_FROM_PACKAGE: "https://st.blob.core.windows.net/c/p.zip?sv=2024&sig=abc" }],
  ])("fails on %s", (_, extra) => {
    expect(violations(functionAppSettingsNoSecrets, type, withSettings(extra))).toHaveLength(1);
  });

  test("accepts ids, names, endpoints, blob URLs and Key Vault references", () => {
    expect(
      violations(
        functionAppSettingsNoSecrets,
        type,
        withSettings({
          SIGNING_KEY_ID: "alpha-v1",
          COSMOS_ENDPOINT: "${azurerm_cosmosdb_account.c.endpoint}",
          WEBSITE_RUN_FROM_PACKAGE: "${azurerm_storage_blob.b.url}",
          API_TOKEN: KV_REFERENCE,
        }),
      ),
    ).toEqual([]);
  });
});

describe("storage rules", () => {
  const type = "azurerm_storage_account";
  const good = {
    min_tls_version: "TLS1_2",
    https_traffic_only_enabled: true,
    allow_nested_items_to_be_public: false,
    shared_access_key_enabled: false,
    blob_properties: { delete_retention_policy: { days: 7 }, container_delete_retention_policy: { days: 7 } },
  };
  const blobLogs: Resources = {
    azurerm_monitor_diagnostic_setting: { blob: diagnostics("${azurerm_storage_account.fixture.id}/blobServices/default", ["StorageRead", "StorageWrite", "StorageDelete"]) },
  };

  test("a compliant account passes every storage rule", () => {
    expect(violations(AZURE_RULES, type, good, blobLogs)).toEqual([]);
  });

  test("AZ-ST-6 fails without blob or container soft delete (what the cell synthesized before), or with less than 7 days", () => {
    const { blob_properties: _, ...before } = good;
    expect(violations(storageSoftDelete, type, before)).toEqual([
      "blob_properties.delete_retention_policy.days must be at least 7, got undefined; blob_properties.container_delete_retention_policy.days must be at least 7, got undefined",
    ]);
    expect(violations(storageSoftDelete, type, { ...good, blob_properties: [{ delete_retention_policy: [{ days: 7 }], container_delete_retention_policy: [{ days: 1 }] }] })).toEqual([
      expect.stringMatching(/container_delete_retention_policy.days must be at least 7, got 1/),
    ]);
  });

  test("AZ-MON-3 fails without blob logs in a workspace (what the cell synthesized before), or with some categories missing", () => {
    expect(violations(blobStorageLogs, type, good, blobLogs)).toEqual([]);
    expect(violations(blobStorageLogs, type, good)).toEqual([
      "no azurerm_monitor_diagnostic_setting sends StorageRead, StorageWrite, StorageDelete of this resource to a Log Analytics workspace",
    ]);
    const partial: Resources = { azurerm_monitor_diagnostic_setting: { blob: diagnostics("${azurerm_storage_account.fixture.id}/blobServices/default", ["StorageWrite"]) } };
    expect(violations(blobStorageLogs, type, good, partial)).toEqual([expect.stringMatching(/sends StorageRead, StorageDelete of/)]);
    const onAccount: Resources = { azurerm_monitor_diagnostic_setting: { blob: diagnostics("${azurerm_storage_account.fixture.id}", ["StorageRead", "StorageWrite", "StorageDelete"]) } };
    expect(violations(blobStorageLogs, type, good, onAccount)).toHaveLength(1);
    const allLogs: Resources = { azurerm_monitor_diagnostic_setting: { blob: { ...diagnostics("${azurerm_storage_account.fixture.id}/blobServices/default", []), enabled_log: [{ category_group: "allLogs" }] } } };
    expect(violations(blobStorageLogs, type, good, allLogs)).toEqual([]);
  });

  test("AZ-ST-1 fails below TLS 1.2 or when left to the default", () => {
    expect(violations(storageMinTls, type, { ...good, min_tls_version: "TLS1_0" })).toEqual([expect.stringMatching(/min_tls_version must be 'TLS1_2' or later, got 'TLS1_0'/)]);
    const { min_tls_version: _, ...unset } = good;
    expect(violations(storageMinTls, type, unset)).toHaveLength(1);
  });

  test("AZ-ST-2 fails when nested items may be public (azurerm's default)", () => {
    const { allow_nested_items_to_be_public: _, ...unset } = good;
    expect(violations(storageNoPublicBlobs, type, unset)).toEqual([expect.stringMatching(/allow_nested_items_to_be_public must be false/)]);
  });

  test("AZ-ST-3 fails when HTTP is allowed", () => {
    expect(violations(storageHttpsOnly, type, { ...good, https_traffic_only_enabled: false })).toEqual([expect.stringMatching(/https_traffic_only_enabled must be true/)]);
  });

  test("AZ-ST-4 fails when shared keys stay enabled", () => {
    expect(violations(storageSharedKeyDisabled, type, { ...good, shared_access_key_enabled: true })).toEqual([expect.stringMatching(/shared_access_key_enabled must be false/)]);
  });

  test("AZ-ST-5 passes a private container and fails a public one", () => {
    expect(violations(storageContainerPrivate, "azurerm_storage_container", { name: "deployments", container_access_type: "private" })).toEqual([]);
    expect(violations(storageContainerPrivate, "azurerm_storage_container", { name: "deployments", container_access_type: "blob" })).toEqual([
      expect.stringMatching(/container_access_type must be 'private', got 'blob'/),
    ]);
  });
});

describe("AZ-ST-7 data lake accounts delete their files after a retention", () => {
  const type = "azurerm_storage_account";
  const lake = { is_hns_enabled: true, min_tls_version: "TLS1_2" };
  const policyWith = (rule: Record<string, unknown>, account = "${azurerm_storage_account.fixture.id}"): Resources => ({
    azurerm_storage_management_policy: { lifecycle: { storage_account_id: account, rule: [rule] } },
  });
  const deleting = { name: "lake-retention", enabled: true, filters: { blob_types: ["blockBlob"], prefix_match: ["lake/"] }, actions: { base_blob: { delete_after_days_since_modification_greater_than: 365 } } };

  test("passes a lake account whose enabled rule deletes base blobs", () => {
    expect(violations(storageLakeLifecycle, type, lake, policyWith(deleting))).toEqual([]);
  });

  test("fails without a policy, with a disabled rule, with a rule that only tiers, or with another account's policy", () => {
    const message = "no azurerm_storage_management_policy of this account has an enabled rule that deletes base blobs after a number of days";
    expect(violations(storageLakeLifecycle, type, lake)).toEqual([message]);
    expect(violations(storageLakeLifecycle, type, lake, policyWith({ ...deleting, enabled: false }))).toEqual([message]);
    expect(violations(storageLakeLifecycle, type, lake, policyWith({ ...deleting, actions: { base_blob: { tier_to_cool_after_days_since_modification_greater_than: 30 } } }))).toEqual([message]);
    expect(violations(storageLakeLifecycle, type, lake, policyWith(deleting, "${azurerm_storage_account.other.id}"))).toEqual([message]);
  });

  test("leaves accounts without a hierarchical namespace (the cell's host storage) alone", () => {
    expect(violations(storageLakeLifecycle, type, { min_tls_version: "TLS1_2" })).toEqual([]);
  });
});

describe("AZ-RBAC-2 blob writers are granted one container", () => {
  const type = "azurerm_role_assignment";
  const writer = { role_definition_name: "Storage Blob Data Contributor", principal_id: "${azurerm_function_app_flex_consumption.f.identity[0].principal_id}", scope: "${azurerm_storage_container.lake.resource_manager_id}" };

  test("passes a container-scoped 'Storage Blob Data Contributor'", () => {
    expect(violations(blobContributorContainerScope, type, writer)).toEqual([]);
  });

  test("fails on the account, the resource group or a literal scope, by role name or role id", () => {
    expect(violations(blobContributorContainerScope, type, { ...writer, scope: "${azurerm_storage_account.lake.id}" })).toEqual([expect.stringMatching(/scope must be .*azurerm_storage_container/)]);
    expect(violations(blobContributorContainerScope, type, { ...writer, scope: "${azurerm_resource_group.rg.id}" })).toHaveLength(1);
    const byId = { role_definition_id: "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe", scope: "/subscriptions/x" };
    expect(violations(blobContributorContainerScope, type, byId)).toHaveLength(1);
  });

  test("leaves other roles alone (the app's host storage needs 'Storage Blob Data Owner' on its account)", () => {
    expect(violations(blobContributorContainerScope, type, { ...writer, role_definition_name: "Storage Blob Data Owner", scope: "${azurerm_storage_account.s.id}" })).toEqual([]);
  });
});

describe("AZ-FN-10 change-feed triggers connect by identity", () => {
  const type = "azurerm_function_app_flex_consumption";
  const withSettings = (extra: Record<string, string>) => ({ ...goodApp(type), app_settings: { ...(goodApp(type).app_settings as object), ...extra } });

  test("passes the lake's and the standby's triggers with their identity connections", () => {
    const settings = { LAKE_LEASE_CONTAINER: "leases", LAKE_COSMOS__accountEndpoint: "${azurerm_cosmosdb_account.c.endpoint}", STANDBY_LEASE_CONTAINER: "standby-leases", STANDBY_COSMOS__accountEndpoint: "${azurerm_cosmosdb_account.c.endpoint}" };
    expect(violations(functionAppFeedTriggers, type, withSettings(settings))).toEqual([]);
  });

  test("fails a trigger with a lease container and no identity connection", () => {
    expect(violations(functionAppFeedTriggers, type, withSettings({ STANDBY_LEASE_CONTAINER: "standby-leases", STANDBY_COSMOS: "AccountEndpoint=https://c;AccountKey=k" }))).toEqual([
      "change-feed triggers STANDBY have a lease container but no identity connection (STANDBY_COSMOS__accountEndpoint)",
    ]);
  });
});

describe("AZ-FN-9 identity-based connections are not shadowed by a connection string", () => {
  const type = "azurerm_linux_function_app";
  const withSettings = (extra: Record<string, string>) => ({ ...goodApp(type), app_settings: { ...(goodApp(type).app_settings as object), ...extra } });

  test("passes the lake trigger's identity connection", () => {
    expect(violations(functionAppIdentityConnections, type, withSettings({ LAKE_COSMOS__accountEndpoint: "${azurerm_cosmosdb_account.c.endpoint}" }))).toEqual([]);
  });

  test("fails when a setting named like the connection sits beside it, even a Key Vault reference", () => {
    expect(violations(functionAppIdentityConnections, type, withSettings({ LAKE_COSMOS__accountEndpoint: "https://c.documents.azure.com:443/", LAKE_COSMOS: KV_REFERENCE }))).toEqual([
      "app settings LAKE_COSMOS hold connection strings that override their identity-based connections; remove them",
    ]);
    expect(violations(functionAppIdentityConnections, type, withSettings({ AzureWebJobsStorage: "" }))).toEqual([expect.stringMatching(/AzureWebJobsStorage/)]);
  });
});

describe("Cosmos DB rules", () => {
  const type = "azurerm_cosmosdb_account";
  const good = { local_authentication_disabled: true, backup: { type: "Continuous", tier: "Continuous7Days" } };

  const cosmosLogs: Resources = { azurerm_monitor_diagnostic_setting: { cosmos: diagnostics("${azurerm_cosmosdb_account.fixture.id}", ["ControlPlaneRequests", "DataPlaneRequests"], { log_analytics_destination_type: "Dedicated" }) } };

  test("a compliant account passes every Cosmos DB rule", () => {
    expect(violations(AZURE_RULES, type, good, cosmosLogs)).toEqual([]);
  });

  test("AZ-MON-2 fails without control- and data-plane logs in a workspace (what the cell synthesized before), or with one of them", () => {
    expect(violations(cosmosRequestLogs, type, good)).toEqual([
      "no azurerm_monitor_diagnostic_setting sends ControlPlaneRequests, DataPlaneRequests of this resource to a Log Analytics workspace",
    ]);
    const dataOnly: Resources = { azurerm_monitor_diagnostic_setting: { cosmos: diagnostics("${azurerm_cosmosdb_account.fixture.id}", ["DataPlaneRequests"]) } };
    expect(violations(cosmosRequestLogs, type, good, dataOnly)).toEqual([expect.stringMatching(/sends ControlPlaneRequests of/)]);
    const noWorkspace: Resources = { azurerm_monitor_diagnostic_setting: { cosmos: { ...diagnostics("${azurerm_cosmosdb_account.fixture.id}", ["ControlPlaneRequests", "DataPlaneRequests"]), log_analytics_workspace_id: undefined, storage_account_id: "${azurerm_storage_account.s.id}" } } };
    expect(violations(cosmosRequestLogs, type, good, noWorkspace)).toHaveLength(1);
  });

  test("AZ-COS-1 fails while key authentication is on", () => {
    expect(violations(cosmosLocalAuthDisabled, type, { ...good, local_authentication_disabled: false })).toEqual([expect.stringMatching(/local_authentication_disabled must be true/)]);
  });

  test("AZ-COS-2 fails with periodic backup", () => {
    expect(violations(cosmosContinuousBackup, type, { ...good, backup: [{ type: "Periodic", interval_in_minutes: 240 }] })).toEqual([
      expect.stringMatching(/backup.type must be 'Continuous', got 'Periodic'/),
    ]);
  });
});

describe("Key Vault rules", () => {
  const type = "azurerm_key_vault";

  test("AZ-MON-1 passes audit events sent to a workspace (by category or the audit group) and fails without them (what the cell synthesized before)", () => {
    const audit = (log: Record<string, unknown>): Resources => ({ azurerm_monitor_diagnostic_setting: { kv: { ...diagnostics("${azurerm_key_vault.fixture.id}", []), enabled_log: [log] } } });
    expect(violations(keyVaultAuditLogs, type, {}, audit({ category: "AuditEvent" }))).toEqual([]);
    expect(violations(keyVaultAuditLogs, type, {}, audit({ category_group: "audit" }))).toEqual([]);
    expect(violations(keyVaultAuditLogs, type, {})).toEqual(["no azurerm_monitor_diagnostic_setting sends AuditEvent of this resource to a Log Analytics workspace"]);
    expect(violations(keyVaultAuditLogs, type, {}, audit({ category: "AzurePolicyEvaluationDetails" }))).toHaveLength(1);
  });

  test("AZ-KV-1 passes RBAC with purge protection and fails access policies or no purge protection", () => {
    expect(violations(keyVaultRbacPurgeProtection, type, { rbac_authorization_enabled: true, purge_protection_enabled: true })).toEqual([]);
    expect(violations(keyVaultRbacPurgeProtection, type, { purge_protection_enabled: true })).toEqual([expect.stringMatching(/rbac_authorization_enabled must be true/)]);
    expect(violations(keyVaultRbacPurgeProtection, type, { rbac_authorization_enabled: true, purge_protection_enabled: false })).toEqual([
      expect.stringMatching(/purge_protection_enabled must be true/),
    ]);
  });
});

describe("the real AzureCellStack", () => {
  test.each([["FlexConsumption"], ["Consumption"]] as const)("has zero violations with hostingPlan %s, lake included", (hostingPlan) => {
    const stack = new AzureCellStack(Testing.app(), "cell-alpha", { cell: { cellId: "alpha", location: "eastus", hostingPlan, lake: {} }, backend: { kind: "local" } });
    expect(evaluatePolicies(Testing.synth(stack), AZURE_RULES)).toEqual([]);
  });

  test("the rule set covers every resource type the cell's security defaults live on", () => {
    const covered = new Set(AZURE_RULES.map((r) => r.resourceType));
    for (const type of [
      "azurerm_function_app_flex_consumption",
      "azurerm_linux_function_app",
      "azurerm_storage_account",
      "azurerm_storage_container",
      "azurerm_storage_blob",
      "azurerm_key_vault_secret",
      "azurerm_cosmosdb_account",
      "azurerm_key_vault",
      "azurerm_role_assignment",
    ]) {
      expect(covered).toContain(type);
    }
  });
});
