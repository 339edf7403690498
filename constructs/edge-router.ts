import { WorkersCustomDomain } from "@cdktf/provider-cloudflare/lib/workers-custom-domain";
import { WorkersKv } from "@cdktf/provider-cloudflare/lib/workers-kv";
import { WorkersKvNamespace } from "@cdktf/provider-cloudflare/lib/workers-kv-namespace";
import { WorkersScript, type WorkersScriptBindings } from "@cdktf/provider-cloudflare/lib/workers-script";
import { WorkersScriptSubdomain } from "@cdktf/provider-cloudflare/lib/workers-script-subdomain";
import { AssetType, Fn, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { buildRegistryEntries, type TenantPlacement } from "../contract";
import { REGISTRY_BINDING, SETTING_DEFAULTS, SettingBindings, cellKeyBinding } from "../router/bindings";
import { ROUTER_BUNDLE, ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { bundle } from "./bundling";
import type { ICell } from "./cell";
import { EDGE_ROUTER_PROPS } from "./props/edge-router-props";
import { assertValidProps } from "./props/problems";

export interface EdgeRouterProps {
  /** Cloudflare account id (usually a `TerraformVariable`). */
  readonly accountId: string;
  /** The cells the router can send tenants to. Each gets a registry entry and a signing-key binding. */
  readonly cells: readonly ICell[];
  /** Initial tenant placements. Terraform writes them once; later moves belong to operations (see `tenantEntriesManagedByTerraform`). */
  readonly tenants: readonly TenantPlacement[];
  /**
   * Worker script name; also the workers.dev host name.
   * @default "cells-edge-router"
   */
  readonly scriptName?: string;
  /**
   * Serve the Worker on `<scriptName>.<subdomain>.workers.dev`: the account's workers.dev subdomain.
   * @default - not exposed on workers.dev (a custom domain must be given)
   */
  readonly workersDevSubdomain?: string;
  /**
   * Serve the Worker on a custom domain of a zone in the account.
   * @default - no custom domain
   */
  readonly customDomain?: { readonly zoneId: string; readonly hostname: string };
  /**
   * How long the router waits for a cell's complete answer before a 504.
   * @default 10000
   */
  readonly cellTimeoutMs?: number;
  /**
   * How long a registry entry is cached in each isolate; a tenant move is seen within this time.
   * @default 10000
   */
  readonly registryCacheTtlMs?: number;
  /**
   * Whether later `terraform apply`s reset tenant entries to `tenants`. Off by default: tenant
   * placement and status change during operations (migrations, read-only windows), and an apply of
   * the edge stack must not undo them. Cell entries are always managed, since they come from the
   * cell stacks' outputs.
   * @default false
   */
  readonly tenantEntriesManagedByTerraform?: boolean;
}

/**
 * Checks the props against `EDGE_ROUTER_PROPS` (constructs/props/edge-router-props.ts), then the
 * registry the cells and tenants make; every problem of the props in one `PropsError`. Tokens are skipped.
 */
export function validateEdgeRouterProps(props: EdgeRouterProps): void {
  assertValidProps(EDGE_ROUTER_PROPS, props);
  // Duplicate or unknown ids, invalid tenant ids: the registry builder's own checks, run at synth.
  buildRegistryEntries(
    props.cells.map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: c.region, url: "https://placeholder.invalid" })),
    props.tenants,
  );
}

/** A Terraform-safe construct id for a registry key (`tenant:T-100` -> `tenant-T-100`). */
const entryId = (key: string) => `registry-${key.replace(/[^A-Za-z0-9-]/g, "-")}`;

/**
 * The edge router: the Worker (the same `bundle(ROUTER_BUNDLE)` artifact the router tests run in
 * workerd), its Workers KV registry with one entry per cell and tenant (built by the contract's
 * `buildRegistryEntries`, the builder the local sandbox uses too), one secret binding per cell key,
 * and its public address. Cell URLs and keys are the cells' attributes, so when the cells live in
 * other stacks CDKTF wires them in as cross-stack references.
 */
export class EdgeRouter extends Construct {
  readonly script: WorkersScript;
  readonly namespace: WorkersKvNamespace;
  /** The router's public base URL. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: EdgeRouterProps) {
    validateEdgeRouterProps(props);
    super(scope, id);
    const scriptName = props.scriptName ?? "cells-edge-router";
    const { accountId } = props;

    this.namespace = new WorkersKvNamespace(this, "registry", { accountId, title: `${scriptName}-registry` });
    const entries = buildRegistryEntries(
      props.cells.map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: c.region, url: c.endpointUrl })),
      props.tenants,
    );
    for (const { key, value } of entries) {
      const isTenant = key.startsWith("tenant:");
      new WorkersKv(this, entryId(key), {
        accountId,
        namespaceId: this.namespace.id,
        keyName: key,
        value,
        lifecycle: isTenant && !(props.tenantEntriesManagedByTerraform ?? false) ? { ignoreChanges: ["value"] } : undefined,
      });
    }

    const code = bundle(ROUTER_BUNDLE);
    const asset = new TerraformAsset(this, "code", { path: code.file, type: AssetType.FILE, assetHash: code.hash });
    const settings: Record<string, string> = {
      [SettingBindings.mode]: "cloud",
      [SettingBindings.cellTimeoutMs]: String(props.cellTimeoutMs ?? SETTING_DEFAULTS.cellTimeoutMs),
      [SettingBindings.registryCacheTtlMs]: String(props.registryCacheTtlMs ?? SETTING_DEFAULTS.registryCacheTtlMs),
    };
    const bindings: WorkersScriptBindings[] = [
      { type: "kv_namespace", name: REGISTRY_BINDING, namespaceId: this.namespace.id },
      ...props.cells.map((cell) => ({
        type: "secret_text",
        name: cellKeyBinding(cell.cellId),
        text: Fn.jsonencode({ keyId: cell.signingKeyId, secret: cell.signingSecret }),
      })),
      ...Object.entries(settings).map(([name, text]) => ({ type: "plain_text", name, text })),
    ];
    this.script = new WorkersScript(this, "script", {
      accountId,
      scriptName,
      mainModule: path.basename(code.file),
      contentFile: asset.path,
      contentSha256: createHash("sha256").update(readFileSync(code.file)).digest("hex"),
      compatibilityDate: ROUTER_COMPATIBILITY_DATE,
      bindings,
      observability: { enabled: true },
    });

    if (props.workersDevSubdomain !== undefined) {
      new WorkersScriptSubdomain(this, "workers-dev", { accountId, scriptName: this.script.scriptName, enabled: true, previewsEnabled: false });
    }
    if (props.customDomain !== undefined) {
      new WorkersCustomDomain(this, "custom-domain", {
        accountId,
        zoneId: props.customDomain.zoneId,
        hostname: props.customDomain.hostname,
        service: this.script.scriptName,
      });
    }
    this.url = props.customDomain ? `https://${props.customDomain.hostname}` : `https://${scriptName}.${props.workersDevSubdomain}.workers.dev`;
  }
}
