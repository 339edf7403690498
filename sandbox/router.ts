import { readFileSync } from "node:fs";
import { Miniflare, type WorkerOptions } from "miniflare";
import { bundle } from "../constructs/bundling";
import { buildRegistryEntries, type CellPlacement, type SigningKey, type TenantPlacement } from "../contract";
import { EDGE_HEALTH_BINDING, REGISTRY_BINDING, SettingBindings, cellKeyBinding, cellKeyValue, type SettingBindingName, type SettingValues } from "../router/bindings";
import { ROUTER_BUNDLE, ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { parseSettings } from "../router/settings";
import { snapshotBindings } from "../router/snapshot";

/**
 * The edge router on this machine: the deployed artifact (`bundle(ROUTER_BUNDLE)`) in workerd through
 * Miniflare, with a Workers KV namespace bound as `REGISTRY` and the same bindings the edge stack
 * declares. The pieces are exported one by one so the router tests' harness (several instances in one
 * workerd) builds its workers from the same options as the sandbox.
 */

/** A settings binding name (`ROUTER_MODE`, `CELL_TIMEOUT_MS`, ...), from the Worker's `ROUTER_SETTINGS`. */
export type RouterSettingName = SettingBindingName;

/** Plain-text settings bindings, e.g. `{ ROUTER_MODE: "local", CELL_TIMEOUT_MS: "300", AUTH_MODE: "none" }`. */
export type RouterSettingValues = SettingValues;

/** What one router instance is bound to. */
export interface RouterWorkerConfig {
  /** The Worker's code: `routerScript()`, read once and shared by every instance. */
  readonly script: string;
  /** Settings bindings; unset ones take the Worker's defaults (`ROUTER_SETTINGS`). */
  readonly settings: RouterSettingValues;
  /** Cell id -> its signing key, bound as `cellKeyBinding(id)` = `cellKeyValue(key)`. */
  readonly keys: Readonly<Record<string, SigningKey>>;
  /** Raw bindings bound after the others (tests use them for values `keys` cannot express). */
  readonly extraBindings?: Readonly<Record<string, string>>;
  /**
   * The KV namespace id behind `REGISTRY`. Instances with the same id in one Miniflare share a registry.
   * @default "edge-registry"
   */
  readonly registryNamespaceId?: string;
}

/** The KV namespace id the sandbox's registry lives in. */
export const REGISTRY_NAMESPACE_ID = "edge-registry";

/** The deployed Worker's code: the same file the edge stack uploads as the script's main module. */
export function routerScript(): string {
  return readFileSync(bundle(ROUTER_BUNDLE).file, "utf8");
}

/** The bindings of one router: settings (unset values left out), then one key binding per cell, then the extras. */
export function routerBindings(config: Pick<RouterWorkerConfig, "settings" | "keys" | "extraBindings">): Record<string, string> {
  const settings = Object.fromEntries(Object.entries(config.settings).filter((e): e is [string, string] => e[1] !== undefined));
  const keys = Object.fromEntries(Object.entries(config.keys).map(([cellId, key]) => [cellKeyBinding(cellId), cellKeyValue(key)]));
  return { ...settings, ...keys, ...(config.extraBindings ?? {}) };
}

/** The Analytics Engine dataset the local router writes its health data points to (Miniflare drops them; `EDGE_HEALTH_PATH` serves the figures). */
export const LOCAL_HEALTH_DATASET = "cells_edge_health_local";

/**
 * Miniflare worker options for the router as it is deployed: an ES module, the tested compatibility
 * date, the registry namespace, the health dataset and the bindings. Add `name` to run several in one
 * Miniflare.
 */
export function routerWorkerOptions(config: RouterWorkerConfig): WorkerOptions {
  return {
    modules: true,
    script: config.script,
    compatibilityDate: ROUTER_COMPATIBILITY_DATE,
    kvNamespaces: { [REGISTRY_BINDING]: config.registryNamespaceId ?? REGISTRY_NAMESPACE_ID },
    analyticsEngineDatasets: { [EDGE_HEALTH_BINDING]: { dataset: LOCAL_HEALTH_DATASET } },
    bindings: routerBindings(config),
  };
}

/**
 * A Miniflare `handleStructuredLogs` callback that hands every line the Worker logged to `onLine`.
 * The Worker logs one JSON object per line; workerd's own messages come through as plain text.
 */
export const structuredLogLines =
  (onLine: (line: string) => void) =>
  ({ message }: { readonly message: string }): void => {
    for (const line of message.split("\n")) if (line.trim() !== "") onLine(line);
  };

/** The part of a Miniflare KV namespace the seeding needs. */
export interface RegistryWriter {
  put(key: string, value: string): Promise<unknown>;
}

/** Writes the registry the way the edge stack does: every record from the contract's `buildRegistryEntries`. */
export async function seedRegistry(kv: RegistryWriter, cells: readonly CellPlacement[], tenants: readonly TenantPlacement[]): Promise<void> {
  for (const { key, value } of buildRegistryEntries(cells, tenants)) await kv.put(key, value);
}

/** How to start the local router. */
export interface LocalRouterOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The cells to register, with their loopback URLs. */
  readonly cells: readonly CellPlacement[];
  readonly tenants: readonly TenantPlacement[];
  /** Cell id -> the key the router signs that cell's requests with. */
  readonly keys: Readonly<Record<string, SigningKey>>;
  /** How long the router waits for a cell, ms. @default the Worker's default (`ROUTER_SETTINGS.cellTimeoutMs`) */
  readonly cellTimeoutMs?: number;
  /** How long registry entries are cached in the isolate, ms. @default the Worker's default */
  readonly registryCacheTtlMs?: number;
  /** How long an open circuit breaker sheds a cell's requests before a probe, ms. @default the Worker's default */
  readonly breakerCooldownMs?: number;
  /** Receives the Worker's log lines (one JSON object per request). @default dropped */
  readonly log?: (line: string) => void;
  /** Client authentication: the issuer whose tokens the router accepts. @default none: `AUTH_MODE=none` */
  readonly auth?: LocalRouterAuth;
}

/** The token issuer a local router trusts (the sandbox's `startLocalIssuer`). */
export interface LocalRouterAuth {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly tenantClaim: string;
}

/**
 * The settings bindings of the local router: `local` mode, the timeouts asked for, and jwt auth
 * against `auth` (or, without it, `AUTH_MODE=none`). Throws when a
 * value is out of the Worker's range (`router/settings.ts`), which the Worker would otherwise answer
 * with a 500 on every request.
 */
export function localRouterSettings(options: Pick<LocalRouterOptions, "cellTimeoutMs" | "registryCacheTtlMs" | "breakerCooldownMs" | "auth">): RouterSettingValues {
  const { auth } = options;
  const settings: RouterSettingValues = {
    [SettingBindings.mode]: "local",
    [SettingBindings.cellTimeoutMs]: options.cellTimeoutMs === undefined ? undefined : String(options.cellTimeoutMs),
    [SettingBindings.registryCacheTtlMs]: options.registryCacheTtlMs === undefined ? undefined : String(options.registryCacheTtlMs),
    [SettingBindings.breakerCooldownMs]: options.breakerCooldownMs === undefined ? undefined : String(options.breakerCooldownMs),
    [SettingBindings.authMode]: auth === undefined ? "none" : "jwt",
    ...(auth === undefined
      ? {}
      : {
          [SettingBindings.authIssuer]: auth.issuer,
          [SettingBindings.authAudience]: auth.audience,
          [SettingBindings.authJwksUrl]: auth.jwksUrl,
          [SettingBindings.authTenantClaim]: auth.tenantClaim,
        }),
  };
  const parsed = parseSettings(settings);
  if (!parsed.ok) throw new Error(`invalid router setting: ${parsed.error}`);
  return settings;
}

/** A running local router. */
export interface LocalRouter {
  /** `http://127.0.0.1:<port>`, no trailing slash: the Worker on a socket of its own in workerd. */
  readonly url: string;
  /**
   * The same Worker through Miniflare's development proxy (its entry worker), which costs about
   * 0.75 ms a request on this machine and does not exist on Cloudflare's edge; the benchmark reports both.
   */
  readonly devProxyUrl: string;
  readonly mf: Miniflare;
  /** Stops workerd. */
  close(): Promise<void>;
}

/**
 * Starts the router bundle in workerd on 127.0.0.1 in `local` mode (http cell URLs on loopback are
 * accepted), seeds its registry from `cells` and `tenants`, and resolves once it accepts requests.
 * Throws before starting anything when a setting is out of range (`localRouterSettings`).
 *
 * The Worker listens on `port` on a socket of its own in workerd (Miniflare's `unsafeDirectSockets`),
 * as Cloudflare's edge hands it requests: without Miniflare's development proxy in front, which on
 * this machine doubles a request's time through a Worker that does nothing. The proxy still runs,
 * on a free port (`devProxyUrl`).
 */
export async function startLocalRouter(options: LocalRouterOptions): Promise<LocalRouter> {
  const settings = localRouterSettings(options);
  const log = options.log;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    handleStructuredLogs: structuredLogLines((line) => log?.(line)),
    // The registry snapshot the deployed Worker carries, built from the same entries as the KV seed.
    ...routerWorkerOptions({ script: routerScript(), settings, keys: options.keys, extraBindings: snapshotBindings(buildRegistryEntries(options.cells, options.tenants)) }),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: options.port }],
  });
  try {
    const ready = await mf.ready;
    const direct = await mf.unsafeGetDirectURL();
    await seedRegistry(await mf.getKVNamespace(REGISTRY_BINDING), options.cells, options.tenants);
    return { url: direct.origin, devProxyUrl: ready.origin, mf, close: () => mf.dispose() };
  } catch (error) {
    await mf.dispose().catch(() => undefined);
    throw error;
  }
}
