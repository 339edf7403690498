import type { ExportedHandler, Request as WorkerRequest, Response as WorkerResponse } from "@cloudflare/workers-types/index";
import { EDGE_HEALTH_PATH, Headers as H, JSON_CONTENT_TYPE, problem, problemResponse } from "../contract";
import type { Env } from "./bindings";
import { CachedRegistry, RegistryCache } from "./cached-registry";
import { bindingKeyLookup } from "./cell-keys";
import { CellStats, type CellCall } from "./cell-stats";
import { CircuitBreaker } from "./circuit-breaker";
import type { Authenticator } from "./auth";
import { JWKS_FETCH, JwksCache } from "./jwks-cache";
import { jwtAuthenticator } from "./jwt-authenticator";
import { rememberVerified } from "./verified-tokens";
import { KvRegistry } from "./kv-registry";
import { MovedTenants } from "./moved-tenants";
import { formatRequestLog } from "./log";
import { routeRequest, type Routed } from "./route";
import { parseSettings, type RouterSettings } from "./settings";
import { SnapshotRegistry, loadSnapshot } from "./snapshot";

/**
 * What the isolate keeps across requests: the registry cache, the per-cell breakers and health
 * figures. Plain data only (workerd lets no request use another's I/O objects). Created on the first
 * request, when the settings that size it are known; an isolate's bindings never change, so neither
 * do its settings.
 */
interface Isolate {
  readonly env: Env;
  readonly settings: RouterSettings;
  readonly registryCache: RegistryCache;
  readonly breaker: CircuitBreaker;
  readonly stats: CellStats;
  /** The registry snapshot the Worker was deployed with. */
  readonly snapshot: SnapshotRegistry;
  /** Placements learned from cells' `tenant_moved` answers, newer than KV's. */
  readonly moves: MovedTenants;
  /** Client token verification with the issuer's cached key set; undefined with `AUTH_MODE=none`. */
  readonly authenticate: Authenticator | undefined;
}
let isolate: Isolate | undefined;

function isolateFor(env: Env, settings: RouterSettings): Isolate {
  if (isolate?.env === env) return isolate;
  isolate = {
    env,
    settings,
    registryCache:
      isolate?.registryCache ??
      new RegistryCache({ ttlMs: settings.registryCacheTtlMs, negativeTtlMs: settings.registryNegativeTtlMs, maxStaleMs: settings.registryMaxStaleMs, now: () => Date.now() }),
    breaker:
      isolate?.breaker ??
      new CircuitBreaker({ failureThreshold: settings.breakerFailureThreshold, cooldownMs: settings.breakerCooldownMs, probeTimeoutMs: settings.cellTimeoutMs + 1_000 }),
    stats: isolate?.stats ?? new CellStats(),
    snapshot: isolate?.snapshot ?? new SnapshotRegistry(loadSnapshot(env), { allowLoopbackHttp: settings.mode === "local" }),
    moves: isolate?.moves ?? new MovedTenants(),
    authenticate: isolate?.authenticate ?? authenticatorFor(settings),
  };
  return isolate;
}

function authenticatorFor(settings: RouterSettings): Authenticator | undefined {
  if (settings.auth.mode === "none") return undefined;
  const keys = new JwksCache({
    url: settings.auth.jwksUrl,
    maxAgeMs: settings.auth.jwksCacheMs,
    ...JWKS_FETCH,
    now: () => Date.now(),
    fetch: (url, init) => globalThis.fetch(url, init),
  });
  return rememberVerified(jwtAuthenticator(settings.auth, keys), { now: () => Date.now() });
}

/** The settings of `env`, parsed once per isolate (the bindings are the same for every request). */
function settingsOf(env: Env): ReturnType<typeof parseSettings> {
  if (isolate?.env === env) return { ok: true, value: isolate.settings };
  return parseSettings(env);
}

/** Wires the runtime to the routing logic and writes the request's log line; nothing else happens here. */
async function fetch(request: WorkerRequest, env: Env): Promise<WorkerResponse> {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  const path = new URL(request.url).pathname;
  let routed: Routed;
  try {
    const settings = settingsOf(env);
    if (!settings.ok) {
      routed = internalError(requestId, "the router is misconfigured; see its log for this requestId", `invalid setting: ${settings.error}`);
    } else {
      const state = isolateFor(env, settings.value);
      if (settings.value.mode === "local" && path === EDGE_HEALTH_PATH && request.method === "GET") {
        return healthReport(state, new URL(request.url).searchParams.get("window")) as unknown as WorkerResponse;
      }
      routed = await routeRequest(request, requestId, {
        registry: new CachedRegistry(
          new KvRegistry(env.REGISTRY, { allowLoopbackHttp: settings.value.mode === "local" }, settings.value.registryReadTimeoutMs),
          state.registryCache,
          state.snapshot,
        ),
        keys: bindingKeyLookup(env),
        fetch: (url, init) => globalThis.fetch(url, init),
        now: () => Date.now(),
        cellTimeoutMs: settings.value.cellTimeoutMs,
        maxBodyBytes: settings.value.maxBodyBytes,
        breaker: state.breaker,
        moves: state.moves,
        authenticate: state.authenticate,
      });
      for (const call of routed.calls) observe(state, env, call);
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
      ...(routed.placement === undefined ? {} : { placement: routed.placement }),
      ...(routed.cellEntry === undefined ? {} : { cellEntry: routed.cellEntry }),
      ...(routed.moved === undefined ? {} : { moved: routed.moved }),
      ...(routed.subject === undefined ? {} : { subject: routed.subject }),
    }),
  );
  // The one cast: this project type-checks with Node's Fetch API types, the handler signature uses
  // workerd's; at run time both name workerd's own Response.
  return routed.response as unknown as WorkerResponse;
}

/** Counts a call in the isolate's figures and, when the dataset is bound, writes it to Analytics Engine (`EDGE_HEALTH_POINT`). */
function observe(state: Isolate, env: Env, call: CellCall): void {
  state.stats.record(call, Date.now());
  env.EDGE_HEALTH?.writeDataPoint({
    indexes: [call.cellId],
    blobs: [call.cellId, call.cloud, call.kind],
    doubles: [call.latencyMs, call.status, call.error ? 1 : 0, call.timeout ? 1 : 0],
  });
}

/**
 * The isolate's per-cell figures (`EdgeHealthReport`), served in local mode only: over the last
 * minute, or over the last `?window=<seconds>` (1 to 60), so a control loop judges each of its
 * windows on that window's calls alone.
 */
function healthReport(state: Isolate, window: string | null): Response {
  const seconds = window !== null && /^\d{1,2}$/.test(window) && Number(window) >= 1 && Number(window) <= 60 ? Number(window) : undefined;
  if (window !== null && seconds === undefined) {
    return problemResponse(problem("invalid_request", `window must be a number of seconds from 1 to 60, got '${window}'`, crypto.randomUUID()));
  }
  const report = state.stats.report(Date.now(), state.breaker, seconds);
  return new Response(JSON.stringify(report), { status: 200, headers: { [H.contentType]: JSON_CONTENT_TYPE, "cache-control": "no-store" } });
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
    calls: [],
  };
}

/** The edge router Worker (module syntax). Bundled by `ROUTER_BUNDLE`; bindings in `router/bindings.ts`. */
export default { fetch } satisfies ExportedHandler<Env>;
