import { CloudflareProvider } from "@cdktf/provider-cloudflare/lib/provider";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { TenantPlacement } from "../contract";
import type { ICell } from "../constructs/cell";
import { EdgeRouter, type EdgeRouterProps } from "../constructs/edge-router";
import type { EdgeJwtAuth } from "../constructs/edge-router-settings";
import { configureBackend, type BackendConfig } from "./backend";
import { requireTerraformVersion } from "./terraform-version";

export interface EdgeStackProps {
  /** Every cell the router may route to, on any cloud. */
  readonly cells: readonly ICell[];
  readonly tenants: readonly TenantPlacement[];
  readonly backend: BackendConfig;
  /**
   * Router options beyond the cells and tenants (timeouts, custom domain, auth, ...).
   * @default - `auth` is bearer JWTs with the issuer, audience and key set URL taken from the
   *   Terraform variables `auth_issuer`, `auth_audience` and `auth_jwks_url`
   */
  readonly router?: Omit<EdgeRouterProps, "accountId" | "cells" | "tenants" | "workersDevSubdomain" | "auth"> & { readonly auth?: EdgeRouterProps["auth"] };
}

/**
 * The edge (`cdktf deploy edge`): the Cloudflare Worker, its KV registry and the cells' key bindings.
 * Hosted on neither AWS nor Azure, so an outage of one cloud leaves the router up. It depends on the
 * cell stacks through their outputs (cross-stack references), never the other way round: a cell
 * deploys, and fails, on its own.
 *
 * Account-specific values are Terraform variables, so synth needs no account:
 * `TF_VAR_cloudflare_account_id`, `TF_VAR_workers_dev_subdomain`, and for client authentication
 * `TF_VAR_auth_issuer`, `TF_VAR_auth_audience`, `TF_VAR_auth_jwks_url` (checked by the variables'
 * validation at plan time, since their values are unknown at synth); the provider reads
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
      auth: props.router?.auth ?? jwtAuthFromVariables(this),
      accountId: accountId.stringValue,
      workersDevSubdomain: subdomain.stringValue,
      cells: props.cells,
      tenants: props.tenants,
    });

    new TerraformOutput(this, "router-url", { value: this.router.url, description: "Public base URL of the edge router" });
    new TerraformOutput(this, "registry-namespace-id", { value: this.router.namespace.id, description: "Workers KV namespace holding the registry" });
  }
}

/** Bearer JWT auth whose issuer, audience and key set URL are Terraform variables, checked at plan time. */
function jwtAuthFromVariables(stack: TerraformStack): EdgeJwtAuth {
  const issuer = new TerraformVariable(stack, "auth_issuer", {
    type: "string",
    description: "Issuer (iss) of the client tokens the edge router accepts, e.g. https://auth.example.com/",
    validation: [{ condition: 'length(trimspace(var.auth_issuer)) > 0', errorMessage: "auth_issuer must not be empty." }],
  });
  const audience = new TerraformVariable(stack, "auth_audience", {
    type: "string",
    description: "Accepted audience (aud) of the client tokens; several values comma-separated",
    validation: [{ condition: 'length(trimspace(var.auth_audience)) > 0', errorMessage: "auth_audience must not be empty." }],
  });
  const jwksUrl = new TerraformVariable(stack, "auth_jwks_url", {
    type: "string",
    description: "Where the issuer publishes its JSON Web Key Set (https)",
    validation: [{ condition: 'startswith(var.auth_jwks_url, "https://")', errorMessage: "auth_jwks_url must be an https:// URL." }],
  });
  return { mode: "jwt", issuer: issuer.stringValue, audience: audience.stringValue, jwksUrl: jwksUrl.stringValue };
}
