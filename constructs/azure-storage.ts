import type { StorageAccountConfig } from "@cdktf/provider-azurerm/lib/storage-account";

/**
 * The settings every storage account of a cell shares (its host and package storage, its lake): TLS 1.2
 * and HTTPS only, nothing public, Entra ID for every client (no shared keys, OAuth by default in the
 * portal), no replication to other tenants, and blobs and containers recoverable for `recoveryDays`
 * after a delete. Policy rules AZ-ST-* hold each of these.
 */
export function entraOnlyStorageAccount(recoveryDays: number) {
  return {
    accountKind: "StorageV2",
    accountTier: "Standard",
    accountReplicationType: "LRS",
    minTlsVersion: "TLS1_2",
    httpsTrafficOnlyEnabled: true,
    allowNestedItemsToBePublic: false,
    sharedAccessKeyEnabled: false,
    defaultToOauthAuthentication: true,
    crossTenantReplicationEnabled: false,
    publicNetworkAccessEnabled: true,
    blobProperties: {
      deleteRetentionPolicy: { days: recoveryDays },
      containerDeleteRetentionPolicy: { days: recoveryDays },
    },
  } satisfies Partial<StorageAccountConfig>;
}
