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
import { EDGE_HEALTH_BINDING, REGISTRY_BINDING, cellKeyBinding } from "../router/bindings";
import { ROUTER_BUNDLE, ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { URL_SIZE_ESTIMATE, snapshotBindingName, snapshotOf, snapshotParts } from "../router/snapshot";
import { bundle } from "./bundling";
import type { ICell } from "./cell";
import { edgeRouterSettingBindings, type EdgeAuth, type EdgeRouterSettingProps } from "./edge-router-settings";
import { EDGE_ROUTER_PROPS } from "./props/edge-router-props";
import { assertValidProps } from "./props/problems";

/**
 * The edge router's props. Besides those below, every integer router setting is a prop under its
 * setting key (`cellTimeoutMs`, `registryCacheTtlMs`, `registryMaxStaleMs`, `breakerFailureThreshold`,
 * ...; see `ROUTER_SETTINGS` in `router/setting-definitions.ts` for each one's range and default), and
 * the construct checks them with the Worker's own parser at synth.
 */
export interface EdgeRouterProps extends EdgeRouterSettingProps {
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
   * Client authentication: bearer JWTs verified at the edge, or explicitly none. Required, so that a
   * router open to any client is a decision someone wrote down.
   */
  readonly auth: EdgeAuth;
  /**
   * The Workers Analytics Engine dataset the router writes its per-cell health data points to (one
   * per call; layout in `EDGE_HEALTH_POINT`, `contract/edge-health.ts`). Created on first write.
   * @default - the script name with `_health` appended, hyphens as underscores (`cells_edge_router_health`)
   */
  readonly healthDataset?: string;
  /**
   * Whether later `terraform apply`s reset tenant entries to `tenants`. Off by default: tenant
   * placement and status change during operations (migrations, read-only windows), and an apply of
   * the edge stack must not undo them. Cell entries are always managed, since they come from the
   * cell stacks' outputs.
   * @default false
   */
  readonly tenantEntriesManagedByTerraform?: boolean;
}

/** The default health dataset of a router: `cells-edge-router` -> `cells_edge_router_health`. */
export const defaultHealthDataset = (scriptName: string): string => `${scriptName.replace(/-/g, "_")}_health`;

/**
 * Checks the props against `EDGE_ROUTER_PROPS` (constructs/props/edge-router-props.ts: the fields,
 * and the router settings through the Worker's own parser, so a synth that passes never deploys a
 * Worker that refuses its settings), then the registry the cells and tenants make; every problem of
 * the props in one `PropsError`. Tokens are skipped.
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
 * its settings, the registry snapshot it falls back on when KV fails, an Analytics Engine dataset for
 * its per-cell health figures, and its public address. Cell URLs and keys are the cells' attributes, so when the cells live in
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
    const settings = edgeRouterSettingBindings(props);
    // The registry snapshot the Worker falls back on when KV fails (router/snapshot.ts): the same
    // entries as KV, as Terraform expressions resolved at apply time, in parts of at most 5 KB (each
    // unresolved cell URL counted at URL_SIZE_ESTIMATE bytes).
    const placeholderUrl = `https://${"x".repeat(URL_SIZE_ESTIMATE - "https://".length)}`;
    const sized = snapshotOf(buildRegistryEntries(props.cells.map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: c.region, url: placeholderUrl })), props.tenants));
    const snapshot = snapshotParts(snapshotOf(entries), sized).map((part, i) => ({ type: "plain_text", name: snapshotBindingName(i), text: Fn.jsonencode(part) }));
    const bindings: WorkersScriptBindings[] = [
      { type: "kv_namespace", name: REGISTRY_BINDING, namespaceId: this.namespace.id },
      ...props.cells.map((cell) => ({
        type: "secret_text",
        name: cellKeyBinding(cell.cellId),
        text: Fn.jsonencode({ keyId: cell.signingKeyId, secret: cell.signingSecret }),
      })),
      ...Object.entries(settings).map(([name, text]) => ({ type: "plain_text", name, text: text as string })),
      ...snapshot,
      { type: "analytics_engine", name: EDGE_HEALTH_BINDING, dataset: props.healthDataset ?? defaultHealthDataset(scriptName) },
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
