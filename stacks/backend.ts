import { AzurermBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";

/**
 * Where a stack keeps its Terraform state. Local by default, so synth and tests need no account.
 * Remote backends keep one state key per stack (`<prefix>/<stack>.tfstate`), so each stack deploys,
 * locks and fails on its own. Cross-stack references read the producer's state from the same backend.
 */
export type BackendConfig =
  | { readonly kind: "local" }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly region: string;
      readonly keyPrefix?: string;
      /** S3-compatible endpoint (e.g. Cloudflare R2); omit for AWS S3. */
      readonly endpoint?: string;
    }
  | {
      readonly kind: "azurerm";
      readonly resourceGroupName: string;
      readonly storageAccountName: string;
      readonly containerName: string;
      readonly keyPrefix?: string;
    };

export const LOCAL_BACKEND: BackendConfig = { kind: "local" };

const stateKey = (prefix: string | undefined, stackName: string) => `${prefix ?? "cells"}/${stackName}.tfstate`;

export function configureBackend(stack: TerraformStack, stackName: string, config: BackendConfig): void {
  switch (config.kind) {
    case "local":
      // Relative to the stack's working directory (cdktf.out/stacks/<name>): every stack resolves it to the
      // repository root, so cross-stack remote state finds its producer, and no absolute path enters the JSON.
      new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
      return;
    case "s3": {
      new S3Backend(stack, {
        bucket: config.bucket,
        key: stateKey(config.keyPrefix, stackName),
        region: config.region,
        encrypt: true,
        ...(config.endpoint
          ? { endpoints: { s3: config.endpoint }, skipCredentialsValidation: true, skipRegionValidation: true, skipRequestingAccountId: true, usePathStyle: true, skipS3Checksum: true }
          : {}),
      });
      // S3 native state locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no typed prop for it.
      stack.addOverride("terraform.backend.s3.use_lockfile", true);
      return;
    }
    case "azurerm":
      new AzurermBackend(stack, {
        resourceGroupName: config.resourceGroupName,
        storageAccountName: config.storageAccountName,
        containerName: config.containerName,
        key: stateKey(config.keyPrefix, stackName),
        useAzureadAuth: true,
      });
      return;
  }
}

/**
 * Reads the backend choice from environment variables (called from main.ts only):
 * `CELLS_BACKEND=local|s3|azurerm`, then for s3 `CELLS_STATE_BUCKET`, `CELLS_STATE_REGION`,
 * optional `CELLS_STATE_ENDPOINT`; for azurerm `CELLS_STATE_RESOURCE_GROUP`,
 * `CELLS_STATE_STORAGE_ACCOUNT`, `CELLS_STATE_CONTAINER`; optional `CELLS_STATE_PREFIX` for both.
 */
export function backendFromEnv(env: Readonly<Record<string, string | undefined>>): BackendConfig {
  const kind = env.CELLS_BACKEND ?? "local";
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`CELLS_BACKEND=${kind} needs ${name} to be set`);
    return value;
  };
  switch (kind) {
    case "local":
      return LOCAL_BACKEND;
    case "s3":
      return { kind, bucket: need("CELLS_STATE_BUCKET"), region: need("CELLS_STATE_REGION"), keyPrefix: env.CELLS_STATE_PREFIX, endpoint: env.CELLS_STATE_ENDPOINT };
    case "azurerm":
      return {
        kind,
        resourceGroupName: need("CELLS_STATE_RESOURCE_GROUP"),
        storageAccountName: need("CELLS_STATE_STORAGE_ACCOUNT"),
        containerName: need("CELLS_STATE_CONTAINER"),
        keyPrefix: env.CELLS_STATE_PREFIX,
      };
    default:
      throw new Error(`CELLS_BACKEND must be one of 'local', 's3', 'azurerm', got '${kind}'`);
  }
}
