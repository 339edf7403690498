import { countsAsCellError, Headers as H, MAX_HEADER_BYTES, MAX_URL_BYTES, PATHS, SAFE_METHODS, parseJsonOrUndefined, problem, problemCode, problemResponse, tenantMovedTarget, type Cloud, type ProblemCode, type TenantMovedExtensions } from "../contract";
import type { CellEntry, SigningKey, TenantEntry } from "../contract";
import { bearerChallenge, type Authenticator } from "./auth";
import type { KeyLookup } from "./cell-keys";
import type { CellCall } from "./cell-stats";
import type { CircuitBreaker } from "./circuit-breaker";
import { forwardToCell, forwardableRequestHeaders, headerBlockBytes, type CellFetch, type ForwardResult, type HeaderReader } from "./forward";
import type { Outcome } from "./log";
import { DRAIN_LIMITS, drainBody, readBody, type BodyRead, type ByteStream } from "./read-body";
import type { MovedFollow, MovedTenants } from "./moved-tenants";
import { found, type Lookup, type PlacementSource, type Registry } from "./registry";
import { resolveTenant } from "./tenant";

/** What the routing logic sees of an incoming request (a Fetch API `Request` in workerd or Node). */
export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderReader;
  readonly body: ByteStream | null;
  /** The whole body in one native read (a Fetch API `Request` has it); used when `Content-Length` is within the limit. */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** What the routing logic needs, injected so it runs the same in workerd and in unit tests. */
export interface RouterDeps {
  readonly registry: Registry;
  readonly keys: KeyLookup;
  readonly fetch: CellFetch;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly cellTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** @default MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /** The isolate's per-cell circuit breakers. @default - none: every request calls its cell */
  readonly breaker?: CircuitBreaker;
  /** Placements learned from cells' `tenant_moved` answers. @default - none: a moved tenant is still followed, but not remembered */
  readonly moves?: MovedTenants;
  /**
   * Client authentication: the verified token names the tenant the client may act for, and its
   * `Authorization` header stays at the edge. @default - none: any client may name any tenant
   */
  readonly authenticate?: Authenticator;
}

/** The router's answer and what the log line needs to know about it. */
export interface Routed {
  readonly response: Response;
  readonly requestId: string;
  readonly tenantId: string | null;
  readonly cellId: string | null;
  readonly cloud: Cloud | null;
  readonly outcome: Outcome;
  /** Why the router answered with an error, for the log only. */
  readonly error?: string;
  readonly attempts?: number;
  /** Every call made to a cell (or refused by its breaker) while serving the request, for the health figures. */
  readonly calls: readonly CellCall[];
  /** Where the tenant's placement and its cell's entry came from (KV, the cache, a stale entry, the snapshot, a cell's `tenant_moved`). */
  readonly placement?: PlacementSource;
  readonly cellEntry?: PlacementSource;
  /** Set when a cell answered `tenant_moved`. */
  readonly moved?: MovedFollow;
  /** The verified token's `sub`, when clients are authenticated. */
  readonly subject?: string;
}

/**
 * Largest cell answer the router buffers, bytes: a full page of the list API (100 records of at most
 * 256 KiB) fits, and the isolate's 128 MB memory limit is far away.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** `Retry-After` seconds for each 503 (and 429) the router gives. */
export const RETRY_AFTER_SECONDS = {
  /** A down cell: operators are at work; a tenant move takes at least a cache TTL to be seen. */
  cellUnavailable: 30,
  /** A read-only tenant (maintenance, or the first phase of a move). */
  tenantReadOnly: 30,
  /** A tenant moving between cells: short, the move's cut-over is quick. */
  tenantMigrating: 10,
  /** Workers KV could not be read. */
  registryUnavailable: 5,
  /** A cell's platform shed the request (429) without saying when to come back. */
  cellThrottled: 1,
  /** A cell's platform answered 503 without saying when to come back (scaling, restarting). */
  cellBusy: 5,
  /** The issuer's keys could not be fetched (and none are cached). */
  authUnavailable: 5,
} as const;

/**
 * Routes one request: finds its tenant, looks the tenant and its cell up in the registry, refuses what
 * the registry's statuses forbid, signs the request with the cell's own key and forwards it. Every
 * failure is a problem+json answer from the contract's catalog; nothing here throws for a bad request,
 * a bad registry entry or a bad cell.
 *
 * @param requestId the router's id for this request (client-supplied ids are never trusted); it goes
 *   to the cell, into every answer and into the log line.
 */
export async function routeRequest(request: IncomingRequest, requestId: string, deps: RouterDeps): Promise<Routed> {
  const state = { bodyRead: SAFE_METHODS.has(request.method.toUpperCase()) };
  try {
    return await route(request, requestId, deps, state);
  } finally {
    // A request refused before its body was read: read the body to its end first, so the client's
    // upload completes and it sees the answer rather than a connection reset.
    if (!state.bodyRead) await drainBody(request.body);
  }
}

async function route(request: IncomingRequest, requestId: string, deps: RouterDeps, state: { bodyRead: boolean }): Promise<Routed> {
  const run = new RouteRun(request, requestId, deps);
  // Each step answers a refusal (a `Routed`) or hands its result to the next.
  const limits = run.checkLimits();
  if ("response" in limits) return limits;
  const client = await run.authenticateClient();
  if ("response" in client) return client;
  const read = await run.readRequestBody(state);
  if ("response" in read) return read;
  const tenant = run.resolveTenant(read.body, client.tokenTenant);
  if ("response" in tenant) return tenant;
  const placed = await run.placeTenant(tenant.tenantId);
  if ("response" in placed) return placed;
  const target = await run.findCell(tenant.tenantId, placed.placement);
  if ("response" in target) return target;
  const { served, call } = await run.callFollowingMoves(tenant.tenantId, placed.placement, target.cell, target.key, limits.forwardHeaders, read.body);
  return run.answer(served, call);
}

type CallResult = { kind: "shed"; retryAfterSeconds: number } | { kind: "called"; result: ForwardResult };

/**
 * One request on its way through the router: the steps of `route`, and what they learn for the answer
 * and the log line (tenant, cell, where their entries came from, the calls made).
 */
class RouteRun {
  readonly method: string;
  readonly url: URL;
  private tenantId: string | null = null;
  private cellId: string | null = null;
  private cloud: Cloud | null = null;
  private readonly calls: CellCall[] = [];
  private placementSource: PlacementSource | undefined;
  private cellSource: PlacementSource | undefined;
  private moved: MovedFollow | undefined;
  /** Calls to cells on the wire, retries and a followed move included. */
  private attemptsTotal = 0;
  private subject: string | undefined;

  constructor(
    private readonly request: IncomingRequest,
    private readonly requestId: string,
    private readonly deps: RouterDeps,
  ) {
    this.method = request.method.toUpperCase();
    this.url = new URL(request.url);
  }

  refuse(code: ProblemCode, detail: string, outcome: Outcome, extra: RefuseExtra = {}): Routed {
    const { requestId, cellId } = this;
    return {
      response: problemResponse(problem(code, detail, requestId, extra.extensions), {
        ...extra.headers,
        [H.requestId]: requestId,
        ...(extra.retryAfter === undefined ? {} : { [H.retryAfter]: String(extra.retryAfter) }),
        ...(cellId === null ? {} : { [H.cellId]: cellId }),
      }),
      requestId,
      tenantId: this.tenantId,
      cellId,
      cloud: this.cloud,
      outcome,
      error: extra.error ?? detail,
      calls: this.calls,
      placement: this.placementSource,
      cellEntry: this.cellSource,
      moved: this.moved,
      subject: this.subject,
    };
  }

  /** 1. The request line and headers, within the limits the cells' platforms hold. */
  checkLimits(): Routed | { forwardHeaders: Array<[string, string]> } {
    const targetBytes = this.url.pathname.length + this.url.search.length;
    if (targetBytes > MAX_URL_BYTES) return this.refuse("uri_too_long", `the request URL (path and query) is ${targetBytes} bytes; the limit is ${MAX_URL_BYTES}`, "rejected");
    const forwardHeaders = forwardableRequestHeaders(this.request.headers, { dropAuthorization: this.deps.authenticate !== undefined });
    const headerBytes = headerBlockBytes(forwardHeaders);
    if (headerBytes > MAX_HEADER_BYTES) return this.refuse("headers_too_large", `the request headers are ${headerBytes} bytes; the limit is ${MAX_HEADER_BYTES}`, "rejected");
    return { forwardHeaders };
  }

  /**
   * 2. The client, when the router authenticates clients: a verified token names its tenant. The
   *    health route stays open (it carries no tenant data).
   */
  async authenticateClient(): Promise<Routed | { tokenTenant?: string }> {
    if (this.deps.authenticate === undefined || this.url.pathname === PATHS.health) return {};
    const auth = await this.deps.authenticate(this.request.headers.get("authorization"));
    if (!auth.ok) {
      if (auth.code === "auth_unavailable") {
        return this.refuse("auth_unavailable", auth.detail, "auth_error", { retryAfter: RETRY_AFTER_SECONDS.authUnavailable, error: auth.error });
      }
      return this.refuse("invalid_token", auth.detail, "rejected", { headers: { "www-authenticate": bearerChallenge(auth.bearerError, auth.detail) }, error: auth.error });
    }
    this.subject = auth.subject;
    return { tokenTenant: auth.tenantId };
  }

  /**
   * 3. The body, within the limit: the declared length is checked before reading, the bytes that
   *    arrive while reading. An oversized body is read to its end (and dropped) before the 413, so the
   *    client sees the answer.
   */
  async readRequestBody(state: { bodyRead: boolean }): Promise<Routed | { body: Uint8Array }> {
    const { request, deps } = this;
    if (SAFE_METHODS.has(this.method)) return { body: new Uint8Array(0) };
    const declared = request.headers.get("content-length");
    if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > deps.maxBodyBytes) {
      state.bodyRead = true;
      await drainBody(request.body);
      return this.refuse("payload_too_large", `the request body is ${declared.trim()} bytes; the limit is ${deps.maxBodyBytes}`, "rejected");
    }
    let read: BodyRead;
    try {
      state.bodyRead = true;
      // With a declared length within the limit, one native read (HTTP framing stops at that length);
      // otherwise the bytes are streamed and counted as they arrive.
      read =
        declared !== null && /^\d{1,10}$/.test(declared.trim()) && request.arrayBuffer !== undefined
          ? { ok: true, bytes: new Uint8Array(await request.arrayBuffer()) }
          : await readBody(request.body, deps.maxBodyBytes, undefined, DRAIN_LIMITS);
    } catch (error) {
      return this.refuse("invalid_request", "the request body could not be read to its end", "rejected", { error: `reading the request body failed: ${String(error)}` });
    }
    if (!read.ok) return this.refuse("payload_too_large", `the request body is larger than the limit of ${deps.maxBodyBytes} bytes`, "rejected");
    return { body: read.bytes };
  }

  /** 4. The tenant. */
  resolveTenant(body: Uint8Array, tokenTenant: string | undefined): Routed | { tenantId: string } {
    const resolved = resolveTenant({ header: this.request.headers.get(H.tenantId), path: this.url.pathname, body, token: tokenTenant });
    if (!resolved.ok) {
      const challenge = resolved.code === "tenant_forbidden" ? { headers: { "www-authenticate": bearerChallenge("insufficient_scope", resolved.detail) } } : {};
      return this.refuse(resolved.code, resolved.detail, "rejected", challenge);
    }
    this.tenantId = resolved.tenantId;
    return { tenantId: resolved.tenantId };
  }

  /** 5. Its placement: the registry's, unless a cell told this isolate of a newer one. */
  async placeTenant(tenantId: string): Promise<Routed | { placement: TenantEntry }> {
    const { deps, method } = this;
    let tenant = await deps.registry.tenant(tenantId);
    const learned = deps.moves?.newerThan(tenantId, tenant.kind === "found" ? tenant.value.epoch : undefined);
    if (learned !== undefined) tenant = found(learned, "moved");
    if (tenant.kind !== "found") {
      if (tenant.kind === "not_found") return this.refuse("unknown_tenant", `tenant '${tenantId}' is not registered`, "rejected");
      return registryFailure(this.refuse.bind(this), tenant, `tenant:${tenantId}`);
    }
    const placement = tenant.value;
    this.placementSource = tenant.source;
    this.cellId = placement.cellId;
    if (placement.status === "migrating") {
      return this.refuse("tenant_migrating", `tenant '${tenantId}' is moving to another cell; retry after ${RETRY_AFTER_SECONDS.tenantMigrating} s`, "rejected", {
        retryAfter: RETRY_AFTER_SECONDS.tenantMigrating,
      });
    }
    if (placement.status === "read_only" && !SAFE_METHODS.has(method)) {
      return this.refuse("tenant_not_writable", `tenant '${tenantId}' is read-only; ${method} is a write, GET and HEAD still work`, "rejected", {
        retryAfter: RETRY_AFTER_SECONDS.tenantReadOnly,
      });
    }
    return { placement };
  }

  /** 6. Its cell, and the router's key for it. */
  async findCell(tenantId: string, placement: TenantEntry): Promise<Routed | { cell: CellEntry; key: SigningKey }> {
    const cellLookup = await this.deps.registry.cell(placement.cellId);
    if (cellLookup.kind !== "found") {
      if (cellLookup.kind === "not_found") {
        return this.refuse("registry_invalid", `tenant '${tenantId}' is placed on cell '${placement.cellId}', which has no registry entry 'cell:${placement.cellId}'`, "registry_error", {
          extensions: { registryKey: `cell:${placement.cellId}` },
        });
      }
      return registryFailure(this.refuse.bind(this), cellLookup, `cell:${placement.cellId}`);
    }
    const cell = cellLookup.value;
    this.cellSource = cellLookup.source;
    this.cloud = cell.cloud;
    // A draining cell keeps serving its tenants (it only takes no new ones); a down cell serves nobody.
    if (cell.status === "down") {
      return this.refuse("cell_unavailable", `cell '${cell.cellId}' is ${cell.status}; retry after ${RETRY_AFTER_SECONDS.cellUnavailable} s`, "rejected", {
        retryAfter: RETRY_AFTER_SECONDS.cellUnavailable,
      });
    }
    const key = this.deps.keys(cell.cellId);
    if (!key.ok) {
      return this.refuse("registry_invalid", `cell '${cell.cellId}' is registered but the router has no signing key for it`, "registry_error", { error: key.error });
    }
    return { cell, key: key.value };
  }

  /**
   * 7. The call, unless the cell's breaker is open.
   * 8. A moved tenant: the cell names its new owner. Re-sent there once, if the registry knows that
   *    cell and it is active (nothing was written on the old cell, so a write is safe to re-send);
   *    never a second hop. The newer placement is remembered by epoch.
   */
  async callFollowingMoves(
    tenantId: string,
    placement: TenantEntry,
    cell: CellEntry,
    key: SigningKey,
    headers: Array<[string, string]>,
    body: Uint8Array,
  ): Promise<{ served: CellEntry; call: CallResult }> {
    const { deps } = this;
    const send = (target: CellEntry, signingKey: SigningKey) => this.callCell(target, signingKey, tenantId, headers, body);
    let served = cell;
    let call = await send(cell, key);
    const movedTo = call.kind === "called" ? tenantMoved(call.result) : undefined;
    if (movedTo !== undefined) {
      const target = await this.followable(movedTo, cell);
      this.moved = { from: cell.cellId, to: movedTo.cell, epoch: movedTo.epoch, followed: target.ok, ...(target.ok ? {} : { why: target.why }) };
      if (target.ok) {
        deps.moves?.learn(tenantId, movedTo.cell, movedTo.epoch, placement.epoch);
        served = target.cell;
        this.cellId = served.cellId;
        this.cloud = served.cloud;
        this.placementSource = "moved";
        this.cellSource = target.source;
        call = await send(served, target.key);
        // The new owner moved it on too: no second hop, but remember where it went for the next request.
        const onward = call.kind === "called" ? tenantMoved(call.result) : undefined;
        if (onward !== undefined && (await this.followable(onward, served)).ok) deps.moves?.learn(tenantId, onward.cell, onward.epoch, movedTo.epoch);
      }
    }
    return { served, call };
  }

  /** The client's answer: the cell's, with the router's headers, or the problem its failure maps to. */
  answer(served: CellEntry, call: CallResult): Routed {
    const { requestId, deps } = this;
    if (call.kind === "shed") {
      return this.refuse("circuit_open", `cell '${served.cellId}' is failing; requests for its tenants pause for ${call.retryAfterSeconds} s`, "circuit_open", { retryAfter: call.retryAfterSeconds });
    }
    const result = call.result;
    const attempts = this.attemptsTotal;
    if (result.kind === "timeout") {
      return { ...this.refuse("gateway_timeout", `cell '${served.cellId}' did not answer within ${deps.cellTimeoutMs} ms`, "timeout"), attempts };
    }
    if (result.kind === "throttled") {
      const retryAfter = result.retryAfter ?? String(result.status === 429 ? RETRY_AFTER_SECONDS.cellThrottled : RETRY_AFTER_SECONDS.cellBusy);
      const code = result.status === 429 ? "cell_throttled" : "cell_busy";
      return { ...this.refuse(code, `cell '${served.cellId}' answered ${result.status}; retry after ${retryAfter}`, "upstream_error", { retryAfter }), attempts };
    }
    if (result.kind === "bad_gateway") {
      const extensions = result.upstreamStatus === undefined ? {} : { upstreamStatus: result.upstreamStatus };
      return { ...this.refuse("bad_gateway", result.detail, "upstream_error", { extensions, error: result.cause ?? result.detail }), attempts };
    }
    const headers = new Headers(result.headers);
    headers.set(H.requestId, requestId);
    headers.set(H.cellId, served.cellId);
    headers.set(H.processedByCloud, served.cloud);
    const { tenantId, cellId, cloud, calls, placementSource: placement, cellSource: cellEntry, moved, subject } = this;
    return { requestId, tenantId, cellId, cloud, attempts, calls, placement, cellEntry, moved, subject, response: new Response(result.body, { status: result.status, headers }), outcome: "proxied" };
  }

  /** Whether the router may re-send the request to the cell a `tenant_moved` answer names, and with what. */
  private async followable(
    target: TenantMovedExtensions,
    from: CellEntry,
  ): Promise<{ ok: true; cell: CellEntry; key: SigningKey; source: PlacementSource | undefined } | { ok: false; why: string }> {
    if (target.cell === from.cellId) return { ok: false, why: "it names the cell that answered" };
    const lookup = await this.deps.registry.cell(target.cell);
    if (lookup.kind !== "found") return { ok: false, why: lookup.kind === "not_found" ? "the registry does not know that cell" : `its registry entry is ${lookup.kind}` };
    if (lookup.value.status !== "active") return { ok: false, why: `that cell is ${lookup.value.status}` };
    const targetKey = this.deps.keys(target.cell);
    if (!targetKey.ok) return { ok: false, why: "the router has no signing key for that cell" };
    return { ok: true, cell: lookup.value, key: targetKey.value, source: lookup.source };
  }

  /** Signs and sends the request to `target` through its breaker, and counts the call. */
  private async callCell(target: CellEntry, signingKey: SigningKey, tenantId: string, headers: Array<[string, string]>, body: Uint8Array): Promise<CallResult> {
    const { deps, calls } = this;
    const admission = deps.breaker?.admit(target.cellId, deps.now()) ?? { allowed: true as const, probe: false };
    if (!admission.allowed) {
      calls.push({ cellId: target.cellId, cloud: target.cloud, kind: "shed", status: 0, latencyMs: 0, error: false, timeout: false });
      return { kind: "shed", retryAfterSeconds: admission.retryAfterSeconds };
    }
    const started = deps.now();
    const result = await forwardToCell(
      { requestId: this.requestId, method: this.method, path: this.url.pathname, query: this.url.search.slice(1), headers, body, tenantId, cell: target, key: signingKey },
      { fetch: deps.fetch, now: deps.now, timeoutMs: deps.cellTimeoutMs, maxResponseBytes: deps.maxResponseBytes ?? MAX_RESPONSE_BYTES },
    );
    const ended = deps.now();
    this.attemptsTotal += result.attempts;
    const failed = callFailed(result);
    deps.breaker?.record(target.cellId, !failed, admission, ended);
    const status = result.kind === "answer" || result.kind === "throttled" ? result.status : (result.kind === "bad_gateway" ? (result.upstreamStatus ?? 0) : 0);
    calls.push({ cellId: target.cellId, cloud: target.cloud, kind: "call", status, latencyMs: ended - started, error: failed || isErrorAnswer(result), timeout: result.kind === "timeout" });
    return { kind: "called", result };
  }
}

/** The new owner a cell's `tenant_moved` answer names (409 problem with `cell` and `epoch`), if it is one. */
function tenantMoved(result: ForwardResult): TenantMovedExtensions | undefined {
  if (result.kind !== "answer" || result.status !== 409) return undefined;
  const body = parseJson(result.body);
  return problemCode(body) === "tenant_moved" ? tenantMovedTarget(body) : undefined;
}

/**
 * What trips a cell's breaker: no usable answer (unreachable, timed out, an answer the router would
 * not pass on) or a platform's 503. A cell's own problem answers, any status, show a cell that is up;
 * a platform's 429 is load shedding, not failure.
 */
function callFailed(result: ForwardResult): boolean {
  return result.kind === "timeout" || result.kind === "bad_gateway" || (result.kind === "throttled" && result.status === 503);
}

/** A cell's own 5xx counts as an error in the health figures, except the 503s that are part of ownership moves (`countsAsCellError`). */
function isErrorAnswer(result: ForwardResult): boolean {
  if (result.kind !== "answer" || result.status < 500) return false;
  return countsAsCellError(result.status, result.status === 503 ? problemCode(parseJson(result.body)) : undefined);
}

const utf8 = new TextDecoder();

/** A JSON body as a value, or undefined. */
const parseJson = (body: Uint8Array | null): unknown => (body === null ? undefined : parseJsonOrUndefined(utf8.decode(body)));

/** What a refusal carries besides its problem: a `Retry-After`, extra headers, the log's reason, problem extension members. */
interface RefuseExtra {
  readonly retryAfter?: number | string;
  readonly headers?: Record<string, string>;
  readonly error?: string;
  readonly extensions?: Record<string, unknown>;
}

type Refuse = (code: ProblemCode, detail: string, outcome: Outcome, extra?: RefuseExtra) => Routed;

/**
 * A registry entry that is malformed (502: the router will not guess where to send the request) or a
 * registry that cannot be read (503, retry). The client learns which entry; the log gets the parser's reason.
 */
function registryFailure(refuse: Refuse, lookup: Exclude<Lookup<unknown>, { kind: "found" } | { kind: "not_found" }>, registryKey: string): Routed {
  if (lookup.kind === "unavailable") {
    return refuse("registry_unavailable", `registry entry '${registryKey}' could not be read; retry after ${RETRY_AFTER_SECONDS.registryUnavailable} s`, "registry_error", {
      retryAfter: RETRY_AFTER_SECONDS.registryUnavailable,
      error: lookup.error,
    });
  }
  return refuse("registry_invalid", `registry entry '${registryKey}' is invalid, so the router will not route to it`, "registry_error", {
    error: lookup.error,
    extensions: { registryKey },
  });
}
