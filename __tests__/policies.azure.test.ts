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
import { FUNCTION_APP_TYPES } from "../policies/rules/azure/function-app-types";
import { keyVaultRbacPurgeProtection } from "../policies/rules/azure/key-vault-rbac-purge-protection";
import { storageContainerPrivate } from "../policies/rules/azure/storage-container-private";
import { storageHttpsOnly } from "../policies/rules/azure/storage-https-only";
import { storageMinTls } from "../policies/rules/azure/storage-min-tls";
import { storageNoPublicBlobs } from "../policies/rules/azure/storage-no-public-blobs";
import { storageSharedKeyDisabled } from "../policies/rules/azure/storage-shared-key-disabled";
import { AzureCellStack } from "../stacks/azure-cell-stack";

/** Evaluates `rules` against one resource of `type`; returns the violation messages. */
const violations = (rules: PolicyRule | readonly PolicyRule[], type: string, resource: Record<string, unknown>): string[] =>
  evaluatePolicies({ resource: { [type]: { fixture: resource } } }, Array.isArray(rules) ? rules : [rules as PolicyRule]).map((v) => v.message);

const KV_REFERENCE = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.s.versionless_id})";

/** A Function App of `type` that passes every Function App rule (Terraform JSON, snake_case). */
const goodApp = (type: string): Record<string, unknown> => ({
  https_only: true,
  webdeploy_publish_basic_authentication_enabled: false,
  ...(type === "azurerm_function_app_flex_consumption" ? {} : { ftp_publish_basic_authentication_enabled: false }),
  identity: { type: "SystemAssigned" },
  site_config: { minimum_tls_version: "1.2", scm_minimum_tls_version: "1.2", ...(type === "azurerm_function_app_flex_consumption" ? {} : { ftps_state: "Disabled" }) },
  app_settings: { CELL_ID: "alpha", SIGNING_KEY_ID: "alpha-v1", SIGNING_SECRET: KV_REFERENCE, AzureWebJobsStorage: "", AzureWebJobsStorage__accountName: "${azurerm_storage_account.s.name}" },
});

describe.each(FUNCTION_APP_TYPES)("Function App rules on %s", (type) => {
  const good = goodApp(type);

  test("a compliant app passes every Function App rule", () => {
    expect(violations(AZURE_RULES, type, good)).toEqual([]);
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
  const good = { min_tls_version: "TLS1_2", https_traffic_only_enabled: true, allow_nested_items_to_be_public: false, shared_access_key_enabled: false };

  test("a compliant account passes every storage rule", () => {
    expect(violations(AZURE_RULES, type, good)).toEqual([]);
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

describe("Cosmos DB rules", () => {
  const type = "azurerm_cosmosdb_account";
  const good = { local_authentication_disabled: true, backup: { type: "Continuous", tier: "Continuous7Days" } };

  test("a compliant account passes every Cosmos DB rule", () => {
    expect(violations(AZURE_RULES, type, good)).toEqual([]);
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

describe("Key Vault rule", () => {
  const type = "azurerm_key_vault";

  test("AZ-KV-1 passes RBAC with purge protection and fails access policies or no purge protection", () => {
    expect(violations(keyVaultRbacPurgeProtection, type, { rbac_authorization_enabled: true, purge_protection_enabled: true })).toEqual([]);
    expect(violations(keyVaultRbacPurgeProtection, type, { purge_protection_enabled: true })).toEqual([expect.stringMatching(/rbac_authorization_enabled must be true/)]);
    expect(violations(keyVaultRbacPurgeProtection, type, { rbac_authorization_enabled: true, purge_protection_enabled: false })).toEqual([
      expect.stringMatching(/purge_protection_enabled must be true/),
    ]);
  });
});

describe("the real AzureCellStack", () => {
  test.each([["FlexConsumption"], ["Consumption"]] as const)("has zero violations with hostingPlan %s", (hostingPlan) => {
    const stack = new AzureCellStack(Testing.app(), "cell-alpha", { cell: { cellId: "alpha", location: "eastus", hostingPlan }, backend: { kind: "local" } });
    expect(evaluatePolicies(Testing.synth(stack), AZURE_RULES)).toEqual([]);
  });

  test("the rule set covers every resource type the cell's security defaults live on", () => {
    const covered = new Set(AZURE_RULES.map((r) => r.resourceType));
    for (const type of ["azurerm_function_app_flex_consumption", "azurerm_linux_function_app", "azurerm_storage_account", "azurerm_storage_container", "azurerm_cosmosdb_account", "azurerm_key_vault"]) {
      expect(covered).toContain(type);
    }
  });
});
