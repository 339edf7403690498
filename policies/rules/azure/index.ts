import type { PolicyRule } from "../../engine";
import { blobContributorContainerScope } from "./blob-contributor-container-scope";
import { cosmosContinuousBackup } from "./cosmos-continuous-backup";
import { dataPlaneWaitsForRbac } from "./data-plane-waits-for-rbac";
import { blobStorageLogs, cosmosRequestLogs, keyVaultAuditLogs } from "./diagnostic-settings";
import { flexHostStorageIdentity } from "./flex-host-storage-identity";
import { flexOneDeploy } from "./flex-one-deploy";
import { cosmosLocalAuthDisabled } from "./cosmos-local-auth-disabled";
import { functionAppBasicAuthOff } from "./function-app-basic-auth-off";
import { functionAppHttpsOnly } from "./function-app-https-only";
import { functionAppIdentityConnections } from "./function-app-identity-connections";
import { functionAppFeedTriggers } from "./function-app-feed-triggers";
import { functionAppManagedIdentity } from "./function-app-managed-identity";
import { functionAppMinTls } from "./function-app-min-tls";
import { functionAppSecretsReadAtRunTime } from "./function-app-secrets-read-at-run-time";
import { functionAppSettingsNoSecrets } from "./function-app-settings-no-secrets";
import { keyVaultRbacPurgeProtection } from "./key-vault-rbac-purge-protection";
import { storageContainerPrivate } from "./storage-container-private";
import { storageHttpsOnly } from "./storage-https-only";
import { storageLakeLifecycle } from "./storage-lake-lifecycle";
import { storageMinTls } from "./storage-min-tls";
import { storageNoPublicBlobs } from "./storage-no-public-blobs";
import { storageSharedKeyDisabled } from "./storage-shared-key-disabled";
import { storageSoftDelete } from "./storage-soft-delete";

/**
 * Rules for Azure resources, one file each in this folder. A Function App rule is one check applied
 * to every Function App resource type (`forEachFunctionAppType`), so it appears once per type here.
 */
export const AZURE_RULES: readonly PolicyRule[] = [
  ...functionAppHttpsOnly,
  ...functionAppMinTls,
  ...functionAppBasicAuthOff,
  ...functionAppManagedIdentity,
  ...functionAppSettingsNoSecrets,
  ...functionAppSecretsReadAtRunTime,
  ...functionAppIdentityConnections,
  ...functionAppFeedTriggers,
  flexHostStorageIdentity,
  flexOneDeploy,
  ...dataPlaneWaitsForRbac,
  storageMinTls,
  storageNoPublicBlobs,
  storageHttpsOnly,
  storageSharedKeyDisabled,
  storageContainerPrivate,
  storageSoftDelete,
  storageLakeLifecycle,
  blobContributorContainerScope,
  cosmosLocalAuthDisabled,
  cosmosContinuousBackup,
  keyVaultRbacPurgeProtection,
  keyVaultAuditLogs,
  cosmosRequestLogs,
  blobStorageLogs,
];
