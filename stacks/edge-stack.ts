import { CloudflareProvider } from "@cdktf/provider-cloudflare/lib/provider";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { TenantPlacement } from "../contract";
import type { ICell } from "../constructs/cell";
import { EdgeRouter, type EdgeRouterProps } from "../constructs/edge-router";
import { configureBackend, type BackendConfig } from "./backend";
import { requireTerraformVersion } from "./terraform-version";

export interface EdgeStackProps {
  /** Every cell the router may route to, on any cloud. */
  readonly cells: readonly ICell[];
  readonly tenants: readonly TenantPlacement[];
  readonly backend: BackendConfig;
  /** Router options beyond the cells and tenants (timeouts, custom domain, ...). */
  readonly router?: Omit<EdgeRouterProps, "accountId" | "cells" | "tenants" | "workersDevSubdomain">;
}

/**
 * The edge (`cdktf deploy edge`): the Cloudflare Worker, its KV registry and the cells' key bindings.
 * Hosted on neither AWS nor Azure, so an outage of one cloud leaves the router up. It depends on the
 * cell stacks through their outputs (cross-stack references), never the other way round: a cell
 * deploys, and fails, on its own.
 *
 * Account-specific values are Terraform variables, so synth needs no account:
 * `TF_VAR_cloudflare_account_id`, `TF_VAR_workers_dev_subdomain`; the provider reads
 * `CLOUDFLARE_API_TOKEN` at plan time.
 */
export class EdgeStack extends TerraformStack {
  readonly router: EdgeRouter;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id);
    new CloudflareProvider(this, "cloudflare", {});
    configureBackend(this, id, props.backend);
    requireTerraformVersion(this);

    const accountId = new TerraformVariable(this, "cloudflare_account_id", {
      type: "string",
      description: "Cloudflare account that hosts the edge router",
    });
    const subdomain = new TerraformVariable(this, "workers_dev_subdomain", {
      type: "string",
      description: "The account's workers.dev subdomain (<subdomain>.workers.dev)",
    });

    this.router = new EdgeRouter(this, "router", {
      ...props.router,
      accountId: accountId.stringValue,
      workersDevSubdomain: subdomain.stringValue,
      cells: props.cells,
      tenants: props.tenants,
    });

    new TerraformOutput(this, "router-url", { value: this.router.url, description: "Public base URL of the edge router" });
    new TerraformOutput(this, "registry-namespace-id", { value: this.router.namespace.id, description: "Workers KV namespace holding the registry" });
  }
}
