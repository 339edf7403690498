import { Miniflare, type RequestInit as MiniflareRequestInit } from "miniflare";
import { bundle, type Bundle } from "../../constructs/bundling";
import { parseJsonOrUndefined, type CellPlacement, type SigningKey, type TenantPlacement } from "../../contract";
import { REGISTRY_BINDING } from "../../router/bindings";
import { ROUTER_BUNDLE } from "../../router/bundle-spec";
import { REGISTRY_NAMESPACE_ID, routerScript, routerWorkerOptions, seedRegistry, structuredLogLines, type RouterSettingValues } from "../../sandbox/router";

/** One instance of the bundled router with its own settings and keys (all share the registry). */
export interface RouterInstance {
  readonly name: string;
  /** Plain-text settings bindings, e.g. `{ ROUTER_MODE: "local", CELL_TIMEOUT_MS: "300" }`. */
  readonly settings: RouterSettingValues;
  /** Cell id -> the key bound as `CELL_KEY_<ID>`. */
  readonly keys: Readonly<Record<string, SigningKey>>;
  /** Raw extra bindings, to bind what `keys` cannot express (a malformed key value), or a registry snapshot. */
  readonly extraBindings?: Readonly<Record<string, string>>;
  /**
   * Bind `REGISTRY` through a wrapper that reads the same registry but can be made to fail or hang
   * (`setRegistryFault`), as Workers KV does in an outage.
   */
  readonly faultyRegistry?: boolean;
}

/** What the faulty registry does: pass reads through, throw as a failing KV does, or never answer. */
export type RegistryFault = "none" | "throw" | "hang";

/**
 * The faulty registry: a Miniflare wrapped binding whose `get` reads the shared registry (`INNER`)
 * unless the fault named in its own `FAULTS` namespace says otherwise.
 */
const FAULTY_KV_WORKER = "faulty-kv";
const FAULTY_KV_SCRIPT = `
export default function (env) {
  return {
    async get(key, type) {
      const fault = await env.FAULTS.get("fault");
      if (fault === "throw") throw new Error("KV GET failed: 503 Service Unavailable");
      if (fault === "hang") return new Promise(() => {});
      return env.INNER.get(key, type);
    },
  };
}`;

/** A router answer, read completely. */
export interface RouterReply {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

/** A structured log line the Worker wrote (`msg: "edge.request"`). */
export type RouterLogLine = Record<string, unknown>;

/** A running router (one workerd process, several instances) and its registry. */
export interface RouterHarness {
  readonly bundle: Bundle;
  readonly mf: Miniflare;
  /** Sends a request to router instance `name` (through workerd, as a client would reach the Worker). */
  send(name: string, path: string, init?: MiniflareRequestInit): Promise<RouterReply>;
  /** Writes the registry as the edge stack would, with the contract's builder. */
  seed(cells: readonly CellPlacement[], tenants: readonly TenantPlacement[]): Promise<void>;
  putRaw(key: string, value: string): Promise<void>;
  deleteKey(key: string): Promise<void>;
  /** Makes the faulty registry (instances with `faultyRegistry`) fail, hang or work again. */
  setRegistryFault(fault: RegistryFault): Promise<void>;
  /** Log lines written so far. */
  readonly logs: RouterLogLine[];
  dispose(): Promise<void>;
}

/**
 * Starts the router as it is deployed: the `bundle(ROUTER_BUNDLE)` artifact, in workerd through
 * Miniflare, with a KV namespace bound as `REGISTRY`, the cell keys and the settings as bindings.
 * Several instances (different settings) run in one workerd process and share one registry.
 */
export async function startRouter(instances: readonly RouterInstance[]): Promise<RouterHarness> {
  if (instances.length === 0) throw new Error("startRouter needs at least one instance");
  const built = bundle(ROUTER_BUNDLE);
  const script = routerScript();
  const logs: RouterLogLine[] = [];
  const mf = new Miniflare({
    handleStructuredLogs: structuredLogLines((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === "object" && parsed !== null && (parsed as RouterLogLine).msg === "edge.request") logs.push(parsed as RouterLogLine);
      } catch {
        // workerd's own lines are not JSON
      }
    }),
    // Every instance gets the default registry namespace id, so they all read one registry.
    workers: [
      ...instances.map((instance) => {
        const options = routerWorkerOptions({ script, settings: instance.settings, keys: instance.keys, extraBindings: instance.extraBindings });
        return instance.faultyRegistry
          ? { ...options, name: instance.name, kvNamespaces: {}, wrappedBindings: { [REGISTRY_BINDING]: { scriptName: FAULTY_KV_WORKER } } }
          : { ...options, name: instance.name };
      }),
      { name: FAULTY_KV_WORKER, modules: true, script: FAULTY_KV_SCRIPT, kvNamespaces: { INNER: REGISTRY_NAMESPACE_ID, FAULTS: "registry-faults" } },
    ],
  });
  await mf.ready;
  const kv = await mf.getKVNamespace("INNER", FAULTY_KV_WORKER);
  const faults = await mf.getKVNamespace("FAULTS", FAULTY_KV_WORKER);

  return {
    bundle: built,
    mf,
    logs,
    async send(name, path, init = {}) {
      const worker = await mf.getWorker(name);
      const response = await worker.fetch(`https://router.test${path}`, init);
      const body = await response.text();
      const json = parseJsonOrUndefined(body);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key.toLowerCase()] = value;
      });
      return { status: response.status, headers, body, json };
    },
    seed: (cells, tenants) => seedRegistry(kv, cells, tenants),
    putRaw: (key, value) => kv.put(key, value),
    deleteKey: (key) => kv.delete(key),
    setRegistryFault: (fault) => faults.put("fault", fault),
    dispose: () => mf.dispose(),
  };
}
