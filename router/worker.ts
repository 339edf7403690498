import type { ExportedHandler, Request as WorkerRequest, Response as WorkerResponse } from "@cloudflare/workers-types/index";
import { Headers as H, problem, problemResponse } from "../contract";
import type { Env } from "./bindings";
import { CachedRegistry, RegistryCache } from "./cached-registry";
import { bindingKeyLookup } from "./cell-keys";
import { KvRegistry } from "./kv-registry";
import { formatRequestLog } from "./log";
import { routeRequest, type Routed } from "./route";
import { parseSettings, type RouterSettings } from "./settings";

/**
 * The isolate's registry cache. It outlives requests (that is its point) and is created on the first
 * request, when the settings that size it are known; the bindings are the same for every request an
 * isolate serves, so it never needs rebuilding.
 */
let registryCache: RegistryCache | undefined;

function cacheFor(settings: RouterSettings): RegistryCache {
  registryCache ??= new RegistryCache({ ttlMs: settings.registryCacheTtlMs, negativeTtlMs: settings.registryNegativeTtlMs, now: () => Date.now() });
  return registryCache;
}

/** Wires the runtime to the routing logic and writes the request's log line; nothing else happens here. */
async function fetch(request: WorkerRequest, env: Env): Promise<WorkerResponse> {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  const path = new URL(request.url).pathname;
  let routed: Routed;
  try {
    const settings = parseSettings(env);
    if (!settings.ok) {
      routed = internalError(requestId, "the router is misconfigured; see its log for this requestId", `invalid setting: ${settings.error}`);
    } else {
      routed = await routeRequest(request, requestId, {
        registry: new CachedRegistry(new KvRegistry(env.REGISTRY, { allowLoopbackHttp: settings.value.mode === "local" }), cacheFor(settings.value)),
        keys: bindingKeyLookup(env),
        fetch: (url, init) => globalThis.fetch(url, init),
        now: () => Date.now(),
        cellTimeoutMs: settings.value.cellTimeoutMs,
        maxBodyBytes: settings.value.maxBodyBytes,
      });
    }
  } catch (error) {
    routed = internalError(requestId, "the router failed to handle the request; see its log for this requestId", error instanceof Error ? error.message : String(error));
  }
  console.log(
    formatRequestLog({
      requestId,
      method: request.method,
      path,
      tenantId: routed.tenantId,
      cellId: routed.cellId,
      cloud: routed.cloud,
      status: routed.response.status,
      outcome: routed.outcome,
      durationMs: Date.now() - started,
      ...(routed.error === undefined ? {} : { error: routed.error }),
      ...(routed.attempts === undefined ? {} : { attempts: routed.attempts }),
    }),
  );
  // The one cast: this project type-checks with Node's Fetch API types, the handler signature uses
  // workerd's; at run time both name workerd's own Response.
  return routed.response as unknown as WorkerResponse;
}

function internalError(requestId: string, detail: string, error: string): Routed {
  return {
    response: problemResponse(problem("internal", detail, requestId), { [H.requestId]: requestId }),
    requestId,
    tenantId: null,
    cellId: null,
    cloud: null,
    outcome: "internal",
    error,
  };
}

/** The edge router Worker (module syntax). Bundled by `ROUTER_BUNDLE`; bindings in `router/bindings.ts`. */
export default { fetch } satisfies ExportedHandler<Env>;
