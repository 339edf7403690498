import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AzureCell, type AzureCellProps } from "../constructs/azure-cell";
import { adminKeyOutput } from "./admin-key-output";
import { configureBackend, type BackendConfig } from "./backend";
import { requireTerraformVersion } from "./terraform-version";

export interface AzureCellStackProps {
  /** The cell this stack deploys. */
  readonly cell: AzureCellProps;
  /** Where the stack keeps its state; one state key per stack. */
  readonly backend: BackendConfig;
}

/**
 * One deployable Azure cell (`cdktf deploy cell-<cellId>`): its own provider configuration, state
 * and failure domain. Outputs the cell's non-secret handles and, as the sensitive output `admin-key`,
 * the operator's admin key; the signing secret leaves the stack only through `cell.signingSecret`,
 * which CDKTF turns into a sensitive cross-stack output when the edge stack reads it.
 *
 * The subscription is not part of the code: the azurerm provider reads `ARM_SUBSCRIPTION_ID` (and
 * the usual `ARM_*` credentials or an Azure CLI login) at plan time, so synth needs no account.
 */
export class AzureCellStack extends TerraformStack {
  readonly cell: AzureCell;

  constructor(scope: Construct, id: string, props: AzureCellStackProps) {
    super(scope, id);
    new AzurermProvider(this, "azurerm", {
      // The block is required by azurerm although the binding types it as optional.
      features: [
        {
          // Purge protection forbids purging; a re-created cell recovers its soft-deleted vault and secret.
          keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true, recoverSoftDeletedSecrets: true }],
        },
      ],
      // Data-plane calls (the package blob) with Entra ID: the storage account has key access off.
      storageUseAzuread: true,
    });
    new RandomProvider(this, "random");
    // time_sleep: the waits for role assignments to propagate (see RBAC_PROPAGATION_WAIT).
    new TimeProvider(this, "time");
    configureBackend(this, id, props.backend);
    requireTerraformVersion(this);

    this.cell = new AzureCell(this, "cell", props.cell);

    new TerraformOutput(this, "endpoint-url", { value: this.cell.endpointUrl, description: "Base URL of the cell's HTTP API" });
    new TerraformOutput(this, "function-app-name", { value: this.cell.functionApp.name, description: "Function App serving the cell's API" });
    new TerraformOutput(this, "cosmos-account-name", { value: this.cell.cosmosAccount.name, description: "Cosmos DB account holding the cell's records" });
    if (this.cell.lake) {
      new TerraformOutput(this, "lake-container-url", {
        value: this.cell.lake.containerUrl,
        description: "Landing container the cell's change events land in (npm run report -- --lake az://<account>.blob.core.windows.net/lake)",
      });
    }
    adminKeyOutput(this, this.cell);
  }
}
