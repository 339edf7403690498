import { TerraformResource, TerraformStack, type ITerraformDependable, type TerraformResourceLifecycle } from "cdktf";
import type { Construct } from "constructs";

/**
 * Raw `azapi` resources, written with cdktf's escape hatches: no prebuilt cdktf binding of the
 * Azure/azapi provider exists, and generating one would add a provider download to every build. The
 * classes below synthesize exactly the Terraform JSON of the provider's documented arguments
 * (attribute names in snake_case, ARM request bodies as given), and each adds the provider to the
 * stack's `required_providers`, as a bound provider class would.
 */

/** The azapi provider every stack with an azapi resource requires (source and exact version, like the bound providers). */
export const AZAPI_PROVIDER = { source: "Azure/azapi", version: "2.9.0" } as const;

/** The `retry` argument: retry the request while the error message matches one of the patterns. */
export interface AzapiRetry {
  /** Go regular expressions matched against the error message. */
  readonly errorMessageRegex: readonly string[];
  /** Base wait between attempts in seconds (1 to 120). */
  readonly intervalSeconds?: number;
  /** Longest wait between attempts in seconds (1 to 300). */
  readonly maxIntervalSeconds?: number;
}

/** Meta-arguments shared by the azapi resources. */
export interface AzapiMeta {
  readonly dependsOn?: ITerraformDependable[];
  readonly lifecycle?: TerraformResourceLifecycle;
}

abstract class AzapiResourceBase extends TerraformResource {
  protected constructor(scope: Construct, id: string, terraformResourceType: string, meta: AzapiMeta) {
    // No generator metadata: cdktf would then demand a provider construct, and there is no binding to
    // make one from. Terraform configures the provider with its defaults (the same ARM_* variables and
    // Azure CLI login azurerm uses).
    super(scope, id, { terraformResourceType, dependsOn: meta.dependsOn, lifecycle: meta.lifecycle });
    TerraformStack.of(this).addOverride("terraform.required_providers.azapi", { ...AZAPI_PROVIDER });
  }

  /** The resource's `id` attribute (a token). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected static retryToTerraform(retry: AzapiRetry | undefined): Record<string, unknown> | undefined {
    return retry === undefined
      ? undefined
      : { error_message_regex: [...retry.errorMessageRegex], interval_seconds: retry.intervalSeconds, max_interval_seconds: retry.maxIntervalSeconds };
  }
}

export interface AzapiResourceActionConfig extends AzapiMeta {
  /** `<resource type>@<api version>` of the resource the request goes to. */
  readonly type: string;
  /** ARM id the request goes to. */
  readonly resourceId: string;
  /** HTTP method: `POST` (the default), `PATCH`, `PUT` or `DELETE`. */
  readonly method?: "POST" | "PATCH" | "PUT" | "DELETE";
  /** The action's name, appended to the resource id; leave out to send the request to the resource id itself. */
  readonly action?: string;
  /** The request body (an ARM body; keys as ARM spells them). */
  readonly body?: Record<string, unknown>;
  readonly retry?: AzapiRetry;
  /** Create/update timeout, e.g. `20m`. */
  readonly timeout?: string;
}

/**
 * `azapi_resource_action`: one ARM request, sent on create and again whenever an argument changes.
 * Destroying it sends nothing (unlike `azapi_resource`, whose destroy sends a DELETE).
 */
export class AzapiResourceAction extends AzapiResourceBase {
  constructor(scope: Construct, id: string, private readonly config: AzapiResourceActionConfig) {
    super(scope, id, "azapi_resource_action", config);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      type: c.type,
      resource_id: c.resourceId,
      method: c.method,
      action: c.action,
      body: c.body,
      retry: AzapiResourceBase.retryToTerraform(c.retry),
      timeouts: c.timeout === undefined ? undefined : { create: c.timeout, update: c.timeout },
    };
  }
}

export interface AzapiUpdateResourceConfig extends AzapiMeta {
  /** `<resource type>@<api version>` of the resource to update. */
  readonly type: string;
  /** Name of the (child) resource, e.g. `appsettings`. */
  readonly name: string;
  /** ARM id of its parent, e.g. the Function App. */
  readonly parentId: string;
  /** The properties to write (an ARM body; keys as ARM spells them). */
  readonly body: Record<string, unknown>;
  readonly retry?: AzapiRetry;
}

/**
 * `azapi_update_resource`: writes `body` onto an existing resource with a PUT, on create and whenever
 * the body changes. Destroying it changes nothing in Azure.
 */
export class AzapiUpdateResource extends AzapiResourceBase {
  constructor(scope: Construct, id: string, private readonly config: AzapiUpdateResourceConfig) {
    super(scope, id, "azapi_update_resource", config);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return { type: c.type, name: c.name, parent_id: c.parentId, body: c.body, retry: AzapiResourceBase.retryToTerraform(c.retry) };
  }
}
