import { backendFromEnv } from "../stacks/backend";
import { synthApp } from "./support/app";

describe("backendFromEnv", () => {
  test("local when nothing is set", () => {
    expect(backendFromEnv({})).toEqual({ kind: "local" });
  });

  test("s3 and azurerm read their settings", () => {
    expect(backendFromEnv({ CELLS_BACKEND: "s3", CELLS_STATE_BUCKET: "b", CELLS_STATE_REGION: "us-east-1", CELLS_STATE_PREFIX: "prod" })).toEqual({
      kind: "s3",
      bucket: "b",
      region: "us-east-1",
      keyPrefix: "prod",
      endpoint: undefined,
    });
    expect(backendFromEnv({ CELLS_BACKEND: "azurerm", CELLS_STATE_RESOURCE_GROUP: "rg", CELLS_STATE_STORAGE_ACCOUNT: "sa", CELLS_STATE_CONTAINER: "tfstate" })).toEqual(
      expect.objectContaining({ kind: "azurerm", resourceGroupName: "rg", storageAccountName: "sa", containerName: "tfstate" }),
    );
  });

  test("a missing setting or an unknown kind is a clear error", () => {
    expect(() => backendFromEnv({ CELLS_BACKEND: "s3", CELLS_STATE_REGION: "us-east-1" })).toThrow(/CELLS_BACKEND=s3 needs CELLS_STATE_BUCKET/);
    expect(() => backendFromEnv({ CELLS_BACKEND: "gcs" })).toThrow(/CELLS_BACKEND must be one of 'local', 's3', 'azurerm', got 'gcs'/);
  });
});

describe("state per stack", () => {
  test("local state: one relative file per stack, read across stacks from the same place", () => {
    const app = synthApp();
    expect(app.stacks["cell-alpha"].terraform.backend).toEqual({ local: { path: "../../../terraform.cell-alpha.tfstate" } });
    expect(app.stacks.edge.data.terraform_remote_state["cross-stack-reference-input-cell-alpha"]).toEqual(
      expect.objectContaining({ backend: "local", config: { path: "../../../terraform.cell-alpha.tfstate" } }),
    );
  });

  test("S3 state: one key per stack, native lock file, cross-stack reads from the producer's key", () => {
    const app = synthApp(undefined, { backend: { kind: "s3", bucket: "tf-state", region: "eu-west-1", keyPrefix: "prod" } });
    expect(app.stacks["cell-beta"].terraform.backend.s3).toEqual(expect.objectContaining({ bucket: "tf-state", key: "prod/cell-beta.tfstate", use_lockfile: true, encrypt: true }));
    expect(app.stacks.edge.terraform.backend.s3.key).toBe("prod/edge.tfstate");
    expect(app.stacks.edge.data.terraform_remote_state["cross-stack-reference-input-cell-beta"]).toEqual(
      expect.objectContaining({ backend: "s3", config: expect.objectContaining({ bucket: "tf-state", key: "prod/cell-beta.tfstate" }) }),
    );
  });

  test("azurerm state: one key per stack, Entra ID auth", () => {
    const app = synthApp(undefined, { backend: { kind: "azurerm", resourceGroupName: "rg", storageAccountName: "sa", containerName: "tfstate" } });
    expect(app.stacks["cell-alpha"].terraform.backend.azurerm).toEqual(expect.objectContaining({ key: "cells/cell-alpha.tfstate", use_azuread_auth: true }));
    expect(app.stacks.edge.data.terraform_remote_state["cross-stack-reference-input-cell-alpha"].backend).toBe("azurerm");
  });
});
