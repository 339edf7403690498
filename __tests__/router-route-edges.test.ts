import { Headers as H, MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_URL_BYTES, PROBLEM_CONTENT_TYPE, problem, problemCode, verifySignature, type CellEntry, type SigningKey, type TenantEntry } from "../contract";
import type { Authenticator } from "../router/auth";
import { CircuitBreaker } from "../router/circuit-breaker";
import type { ByteStream } from "../router/read-body";
import type { CellFetch, UpstreamResponse } from "../router/forward";
import { MovedTenants } from "../router/moved-tenants";
import { found, malformed, notFound, unavailable, type Lookup, type Registry } from "../router/registry";
import { RETRY_AFTER_SECONDS, routeRequest, type IncomingRequest, type Routed, type RouterDeps } from "../router/route";

/**
 * The routing logic's edges, with fakes (no workerd), where a mutation tool can see them: every
 * refusal the registry's statuses call for, the limits at their exact boundaries, bodies that arrive
 * in pieces, which of a cell's answers are passed on, a moved tenant followed once, and what trips a
 * cell's breaker. `router-route.test.ts` covers the ordinary paths.
 */

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const keyOf = (cellId: string): SigningKey => ({ keyId: `${cellId}-v1`, secret: `${cellId}-secret-0123456789abcdef` });
const aCell = (cellId: string, overrides: Partial<CellEntry> = {}): CellEntry => ({
  v: 1,
  cellId,
  cloud: cellId === "beta" ? "azure" : "aws",
  region: "us-east-1",
  url: `https://${cellId}.example.com`,
  status: "active",
  ...overrides,
});
const aTenant = (overrides: Partial<TenantEntry> = {}): TenantEntry => ({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1, ...overrides });

function registryOf(tenants: Record<string, Lookup<TenantEntry>>, cells: Record<string, Lookup<CellEntry>>): Registry {
  return { tenant: async (id) => tenants[id] ?? notFound, cell: async (id) => cells[id] ?? notFound };
}

interface Call {
  readonly cellId: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

/** A fake `fetch` that records each call and asks `answer` for the called cell's answer. */
function cells(answer: (call: Call) => UpstreamResponse | Promise<UpstreamResponse>): { fetch: CellFetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: CellFetch = async (url, init) => {
    const call = { cellId: new URL(url).hostname.split(".")[0]!, url, method: init.method, headers: Object.fromEntries(init.headers), body: init.body };
    calls.push(call);
    return answer(call);
  };
  return { fetch, calls };
}

/** An answer as cell `cellId` gives it: its id in `x-cell-id`, problem+json for errors. */
const answerOf = (cellId: string, status = 200, body: string | null = '{"ok":true}', headers: Record<string, string> = {}): UpstreamResponse =>
  new Response(body, { status, headers: { "content-type": status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json", [H.cellId]: cellId, ...headers } });

const movedTo = (from: string, to: string, epoch: number) =>
  answerOf(from, 409, JSON.stringify(problem("tenant_moved", `moved to '${to}'`, "cell-req", { cell: to, epoch })));

/** A byte stream that hands out `chunks` one read at a time, counting the reads. */
function chunked(chunks: Array<string | Uint8Array>): ByteStream & { reads: () => number } {
  const queue = chunks.map((c) => (typeof c === "string" ? new TextEncoder().encode(c) : c));
  let reads = 0;
  return {
    reads: () => reads,
    getReader: () => ({
      read: async () => {
        reads++;
        const value = queue.shift();
        return value === undefined ? { done: true } : { done: false, value };
      },
      cancel: async () => undefined,
    }),
  };
}

/** An answer whose body arrives in pieces, with no `arrayBuffer` (as a streamed answer is read). */
const streamedAnswer = (cellId: string, status: number, chunks: string[], headers: Record<string, string> = {}): UpstreamResponse => ({
  status,
  headers: new Headers({ "content-type": "application/json", [H.cellId]: cellId, ...headers }),
  body: chunked(chunks),
});

function deps(overrides: Partial<RouterDeps> = {}): RouterDeps {
  return {
    registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), beta: found(aCell("beta")), gamma: found(aCell("gamma")) }),
    keys: (cellId) => (["alpha", "beta", "gamma"].includes(cellId) ? { ok: true, value: keyOf(cellId) } : { ok: false, error: `no key binding for '${cellId}'` }),
    fetch: cells((call) => answerOf(call.cellId)).fetch,
    now: () => NOW,
    cellTimeoutMs: 1000,
    maxBodyBytes: MAX_BODY_BYTES,
    ...overrides,
  };
}

const request = (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): IncomingRequest =>
  new Request(`https://router.test${path}`, { method, headers: init.headers, body: init.body });

/** What a test compares of an answer. */
async function seen(routed: Routed) {
  const text = await routed.response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return {
    status: routed.response.status,
    code: problemCode(body),
    retryAfter: routed.response.headers.get(H.retryAfter),
    cell: routed.response.headers.get(H.cellId),
    outcome: routed.outcome,
    body,
  };
}

describe("refusals before any cell is called", () => {
  const tenants = (lookup: Lookup<TenantEntry>) => ({ "T-100": lookup });
  const alphaIs = (lookup: Lookup<CellEntry>) => ({ alpha: lookup });

  test.each<[string, string, Record<string, Lookup<TenantEntry>>, Record<string, Lookup<CellEntry>>, object]>([
    ["an unknown tenant", "GET", {}, {}, { status: 404, code: "unknown_tenant", retryAfter: null, cell: null, outcome: "rejected" }],
    ["a migrating tenant's read", "GET", tenants(found(aTenant({ status: "migrating" }))), {}, { status: 503, code: "tenant_migrating", retryAfter: "10", cell: "alpha", outcome: "rejected" }],
    ["a migrating tenant's write", "PUT", tenants(found(aTenant({ status: "migrating" }))), {}, { status: 503, code: "tenant_migrating", retryAfter: "10", cell: "alpha", outcome: "rejected" }],
    ["a read-only tenant's write", "PUT", tenants(found(aTenant({ status: "read_only" }))), {}, { status: 503, code: "tenant_not_writable", retryAfter: "30", cell: "alpha", outcome: "rejected" }],
    ["a read-only tenant's delete", "DELETE", tenants(found(aTenant({ status: "read_only" }))), {}, { status: 503, code: "tenant_not_writable", retryAfter: "30", cell: "alpha", outcome: "rejected" }],
    ["a tenant on a down cell", "GET", tenants(found(aTenant())), alphaIs(found(aCell("alpha", { status: "down" }))), { status: 503, code: "cell_unavailable", retryAfter: "30", cell: "alpha", outcome: "rejected" }],
    ["a malformed tenant entry", "GET", tenants(malformed("epoch must be a non-negative integer")), {}, { status: 502, code: "registry_invalid", retryAfter: null, cell: null, outcome: "registry_error" }],
    ["an unreadable tenant entry", "GET", tenants(unavailable("kv down")), {}, { status: 503, code: "registry_unavailable", retryAfter: "5", cell: null, outcome: "registry_error" }],
    ["a malformed cell entry", "GET", tenants(found(aTenant())), alphaIs(malformed("url must use https")), { status: 502, code: "registry_invalid", retryAfter: null, cell: "alpha", outcome: "registry_error" }],
    ["an unreadable cell entry", "GET", tenants(found(aTenant())), alphaIs(unavailable("kv down")), { status: 503, code: "registry_unavailable", retryAfter: "5", cell: "alpha", outcome: "registry_error" }],
    ["a tenant on a cell with no entry", "GET", tenants(found(aTenant({ cellId: "omega" }))), {}, { status: 502, code: "registry_invalid", retryAfter: null, cell: "omega", outcome: "registry_error" }],
    ["a cell the router has no key for", "GET", tenants(found(aTenant({ cellId: "delta" }))), { delta: found(aCell("delta")) }, { status: 502, code: "registry_invalid", retryAfter: null, cell: "delta", outcome: "registry_error" }],
  ])("%s (%s)", async (_label, method, tenantLookups, cellLookups, expected) => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const registry = registryOf(tenantLookups, { alpha: found(aCell("alpha")), ...cellLookups });
    const routed = await routeRequest(request(method, "/api/tenants/T-100/records/r1", method === "GET" ? {} : { body: "{}" }), "req-1", deps({ fetch, registry }));
    expect(await seen(routed)).toEqual({ ...expected, body: expect.objectContaining({ requestId: "req-1" }) });
    expect(routed.response.headers.get(H.requestId)).toBe("req-1");
    expect(routed.response.headers.get(H.processedByCloud)).toBeNull();
    expect(routed.tenantId).toBe("T-100");
    expect(calls).toEqual([]);
  });

  test("the Retry-After values are the router's own", () => {
    expect(RETRY_AFTER_SECONDS).toEqual({ cellUnavailable: 30, tenantReadOnly: 30, tenantMigrating: 10, registryUnavailable: 5, cellThrottled: 1, cellBusy: 5, authUnavailable: 5 });
  });

  test("an invalid entry is named to the client; the parser's reason goes to the log only", async () => {
    const registry = registryOf({ "T-100": malformed("'tenant:T-100': epoch must be a non-negative integer, got -1") }, {});
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ registry }));
    const body = (await routed.response.json()) as Record<string, unknown>;
    expect(body).toEqual(expect.objectContaining({ registryKey: "tenant:T-100", detail: "registry entry 'tenant:T-100' is invalid, so the router will not route to it" }));
    expect(routed.error).toBe("'tenant:T-100': epoch must be a non-negative integer, got -1");

    const noCell = registryOf({ "T-100": found(aTenant({ cellId: "omega" })) }, {});
    const missing = (await (await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ registry: noCell }))).response.json()) as Record<string, unknown>;
    expect(missing).toEqual(expect.objectContaining({ registryKey: "cell:omega", detail: expect.stringContaining("'cell:omega'") }));
  });

  test.each(["GET", "HEAD"])("a read-only tenant's %s is served", async (method) => {
    const registry = registryOf({ "T-100": found(aTenant({ status: "read_only" })) }, { alpha: found(aCell("alpha")) });
    const routed = await routeRequest(request(method, "/api/tenants/T-100/records"), "req", deps({ registry }));
    expect({ status: routed.response.status, outcome: routed.outcome }).toEqual({ status: 200, outcome: "proxied" });
  });

  test.each(["GET", "PUT"])("a draining cell keeps serving its tenants (%s)", async (method) => {
    const registry = registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha", { status: "draining" })) });
    const routed = await routeRequest(request(method, "/api/tenants/T-100/records/r1", method === "GET" ? {} : { body: "{}" }), "req", deps({ registry }));
    expect({ status: routed.response.status, outcome: routed.outcome, cell: routed.response.headers.get(H.cellId) }).toEqual({ status: 200, outcome: "proxied", cell: "alpha" });
  });

  test.each<[string, IncomingRequest, number, string]>([
    ["no tenant anywhere", request("GET", "/api/nothing"), 400, "missing_tenant"],
    ["two tenants", request("GET", "/api/tenants/T-100/records", { headers: { [H.tenantId]: "T-200" } }), 400, "tenant_conflict"],
    ["a body that is not JSON, and nothing else names the tenant", request("POST", "/api/process", { body: "{oops" }), 400, "invalid_json"],
    ["an invalid tenant id", request("GET", "/api/tenants/T.100/records"), 400, "invalid_request"],
  ])("%s: the router's own 4xx, no cell chosen", async (_label, req, status, code) => {
    const routed = await routeRequest(req, "req", deps());
    expect(await seen(routed)).toEqual(expect.objectContaining({ status, code, cell: null, outcome: "rejected" }));
    expect(routed).toEqual(expect.objectContaining({ tenantId: null, cellId: null, cloud: null, calls: [] }));
  });
});

describe("limits at their exact boundaries", () => {
  const path = "/api/tenants/T-100/records";
  /** A request target of exactly `bytes` bytes (path and query). */
  const target = (bytes: number) => `${path}?q=${"x".repeat(bytes - path.length - 3)}`;

  test("a URL of the limit passes; one byte more is a 414", async () => {
    expect((await routeRequest(request("GET", target(MAX_URL_BYTES)), "req", deps())).response.status).toBe(200);
    expect(await seen(await routeRequest(request("GET", target(MAX_URL_BYTES + 1)), "req", deps()))).toEqual(expect.objectContaining({ status: 414, code: "uri_too_long", outcome: "rejected" }));
  });

  test("headers of the limit pass; one byte more is a 431", async () => {
    /** One header whose line (name, value, `: ` and CRLF) makes the block `bytes` long. */
    const padded = (bytes: number) => request("GET", path, { headers: { "x-pad": "p".repeat(bytes - "x-pad".length - 4) } });
    expect((await routeRequest(padded(MAX_HEADER_BYTES), "req", deps())).response.status).toBe(200);
    expect(await seen(await routeRequest(padded(MAX_HEADER_BYTES + 1), "req", deps()))).toEqual(expect.objectContaining({ status: 431, code: "headers_too_large", outcome: "rejected" }));
  });

  test("a declared Content-Length of the limit is read whole; one byte more is a 413 before reading", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const body = JSON.stringify({ tenant_id: "T-100", pad: "x".repeat(70) });
    const at = await routeRequest(request("POST", "/api/process", { body, headers: { "content-length": String(body.length) } }), "req", deps({ fetch, maxBodyBytes: body.length }));
    expect(at.response.status).toBe(200);
    expect(new TextDecoder().decode(calls[0]!.body)).toBe(body);
    const over = await routeRequest(request("POST", "/api/process", { body, headers: { "content-length": String(body.length) } }), "req", deps({ fetch, maxBodyBytes: body.length - 1 }));
    expect(await seen(over)).toEqual(expect.objectContaining({ status: 413, code: "payload_too_large" }));
    expect(calls).toHaveLength(1);
  });
});

describe("bodies that arrive in pieces", () => {
  const streamedRequest = (chunks: Array<string | Uint8Array>, headers: Record<string, string> = {}): IncomingRequest => ({
    method: "PUT",
    url: "https://router.test/api/tenants/T-100/records/r1",
    headers: new Headers(headers),
    body: chunked(chunks),
  });

  test("a request body in several chunks is forwarded whole and in order, and signed as such", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const routed = await routeRequest(streamedRequest(['{"data":', "", '{"n":', new Uint8Array(0), '1}}']), "req", deps({ fetch }));
    expect(routed.response.status).toBe(200);
    const forwarded = calls[0]!;
    expect(new TextDecoder().decode(forwarded.body)).toBe('{"data":{"n":1}}');
    const signed = { method: "PUT", path: "/api/tenants/T-100/records/r1", query: "", cellId: "alpha", tenantId: "T-100", timestamp: NOW / 1000, nonce: forwarded.headers[H.nonce]!, body: forwarded.body! };
    expect(await verifySignature(keyOf("alpha").secret, signed, forwarded.headers[H.signature]!)).toBe(true);
  });

  test("a request body in one chunk, and one sent with a Content-Length that is not a number, are read as streams", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    await routeRequest(streamedRequest(['{"data":{}}']), "req", deps({ fetch }));
    await routeRequest(streamedRequest(['{"data":', "{}}"], { "content-length": "eleven" }), "req", deps({ fetch }));
    expect(calls.map((c) => new TextDecoder().decode(c.body))).toEqual(['{"data":{}}', '{"data":{}}']);
  });

  test("an answer in several chunks reaches the client whole and in order", async () => {
    const fetch = cells((call) => streamedAnswer(call.cellId, 200, ['{"records":', "[]", ',"next_cursor":null}'])).fetch;
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect(await routed.response.text()).toBe('{"records":[],"next_cursor":null}');
  });

  test("an answer's Content-Length that is not a number is not trusted: the body is streamed and counted", async () => {
    const fetch = cells((call) => ({ ...streamedAnswer(call.cellId, 200, ["x".repeat(60), "x".repeat(60)], { "content-length": "1e2" }), arrayBuffer: async () => new ArrayBuffer(0) })).fetch;
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, maxResponseBytes: 100 }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 502, code: "bad_gateway" }));
  });

  test("an answer that passes the limit although its Content-Length said it would not is a 502", async () => {
    const fetch = cells((call) => ({ ...streamedAnswer(call.cellId, 200, [], { "content-length": "100" }), arrayBuffer: async () => new Uint8Array(101).buffer })).fetch;
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, maxResponseBytes: 100 }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 502, code: "bad_gateway", body: expect.objectContaining({ detail: "cell 'alpha' answered with more than 100 bytes", upstreamStatus: 200 }) }));
  });
});

describe("which of a cell's answers are passed on", () => {
  const viaRouter = async (answer: UpstreamResponse, method = "GET") => seen(await routeRequest(request(method, "/api/tenants/T-100/records/r1", method === "GET" || method === "HEAD" ? {} : { body: "{}" }), "req", deps({ fetch: async () => answer })));

  test.each<[number, string, number, string | undefined]>([
    [200, "application/json", 200, undefined],
    [299, "application/json", 299, undefined],
    [300, "application/json", 502, "bad_gateway"],
    [399, "application/json", 502, "bad_gateway"],
    [400, PROBLEM_CONTENT_TYPE, 400, undefined],
    [400, "application/json", 502, "bad_gateway"],
    [404, `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 404, undefined],
    [409, "Application/Problem+JSON", 409, undefined],
    [500, PROBLEM_CONTENT_TYPE, 500, undefined],
    [500, "application/problem+jsonx", 502, "bad_gateway"],
  ])("status %s as %s: the client gets %s", async (status, contentType, expected, routerCode) => {
    const answer = answerOf("alpha", status, JSON.stringify({ type: "urn:problem-type:cells:internal", from: "cell" }), { "content-type": contentType });
    const got = await viaRouter(answer);
    expect(got.status).toBe(expected);
    if (routerCode === undefined) expect(got).toEqual(expect.objectContaining({ outcome: "proxied", body: expect.objectContaining({ from: "cell" }) }));
    else expect(got).toEqual(expect.objectContaining({ code: routerCode, outcome: "upstream_error", body: expect.objectContaining({ upstreamStatus: status }) }));
  });

  test.each([204, 205])("a %s is passed on without the body the cell sent with it", async (status) => {
    const got = await viaRouter(streamedAnswer("alpha", status, ["leftover"]), "PUT");
    expect({ status: got.status, body: got.body, outcome: got.outcome }).toEqual({ status, body: "", outcome: "proxied" });
  });

  test("a 304 is a 3xx like any other: not passed on", async () => {
    expect((await viaRouter(streamedAnswer("alpha", 304, []))).status).toBe(502);
  });

  test("the cell's own 429 problem is passed on; a 429 without the problem body is the platform shedding load", async () => {
    const own = answerOf("alpha", 429, JSON.stringify({ type: "urn:problem-type:cells:cell_throttled", from: "cell" }), { "retry-after": "3" });
    expect(await viaRouter(own)).toEqual(expect.objectContaining({ status: 429, outcome: "proxied", retryAfter: "3", body: expect.objectContaining({ from: "cell" }) }));
    const shed = answerOf("alpha", 429, "slow down", { "content-type": "text/plain", "retry-after": " 12 " });
    expect(await viaRouter(shed)).toEqual(expect.objectContaining({ status: 429, code: "cell_throttled", outcome: "upstream_error", retryAfter: "12" }));
  });

  test.each<[string, string]>([
    ["a delay of more than nine digits", "1234567890"],
    ["a number with a fraction", "1.5"],
    ["a date-like text that is no date", "Someday"],
  ])("a platform's Retry-After of %s is replaced by the router's", async (_label, value) => {
    const shed = new Response("", { status: 503, headers: { "retry-after": value } });
    expect(await viaRouter(shed)).toEqual(expect.objectContaining({ status: 503, code: "cell_busy", retryAfter: String(RETRY_AFTER_SECONDS.cellBusy) }));
  });

  test("the cell's response headers reach the client, except hop-by-hop, encoding and router-owned ones", async () => {
    const answer = answerOf("alpha", 200, "{}", {
      connection: "close, x-listed",
      "x-listed": "1",
      "keep-alive": "timeout=5",
      "proxy-authenticate": "Basic",
      "content-encoding": "gzip",
      "x-edge-debug": "1",
      [H.tenantId]: "T-999",
      [H.requestId]: "cells-own",
      etag: '"v1"',
      "x-custom": "kept",
    });
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req-9", deps({ fetch: async () => answer }));
    const headers = Object.fromEntries(routed.response.headers);
    expect(headers).toEqual({ "content-type": "application/json", etag: '"v1"', "x-custom": "kept", [H.requestId]: "req-9", [H.cellId]: "alpha", [H.processedByCloud]: "aws" });
  });

  test("a cell that breaks off its answer is a 502, and a read is not retried after an answer began", async () => {
    const { fetch, calls } = cells((call) => ({
      status: 200,
      headers: new Headers({ "content-type": "application/json", [H.cellId]: call.cellId }),
      body: { getReader: () => ({ read: async () => Promise.reject(new TypeError("connection reset")), cancel: async () => undefined }) },
    }));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 502, code: "bad_gateway", body: expect.objectContaining({ detail: "cell 'alpha' broke off its answer" }) }));
    expect(routed.error).toBe("connection reset");
    expect(calls).toHaveLength(1);
  });
});

describe("a tenant that moved", () => {
  /** alpha says T-100 moved to `to`; every other cell answers as itself. */
  const movedFrom = (to: string, epoch = 2, onward?: (call: Call) => UpstreamResponse | undefined) =>
    cells((call) => (call.cellId === "alpha" ? movedTo("alpha", to, epoch) : (onward?.(call) ?? answerOf(call.cellId, call.method === "PUT" ? 201 : 200))));

  test("is re-sent once to the cell the answer names, signed for that cell, and remembered", async () => {
    const { fetch, calls } = movedFrom("beta");
    const moves = new MovedTenants();
    const body = JSON.stringify({ data: { n: 1 } });
    const routed = await routeRequest(request("PUT", "/api/tenants/T-100/records/r1", { body }), "req", deps({ fetch, moves }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 201, outcome: "proxied", cell: "beta" }));
    expect(routed.response.headers.get(H.processedByCloud)).toBe("azure");
    expect(routed).toEqual(expect.objectContaining({ cellId: "beta", cloud: "azure", placement: "moved", attempts: 2, moved: { from: "alpha", to: "beta", epoch: 2, followed: true } }));
    expect(calls.map((c) => [c.cellId, c.method, new TextDecoder().decode(c.body)])).toEqual([
      ["alpha", "PUT", body],
      ["beta", "PUT", body],
    ]);
    expect(calls[1]!.headers).toEqual(expect.objectContaining({ [H.cellId]: "beta", [H.keyId]: "beta-v1" }));
    expect(moves.newerThan("T-100", 1)).toEqual({ v: 1, tenantId: "T-100", cellId: "beta", status: "active", epoch: 2 });
    expect(routed.calls.map((c) => [c.cellId, c.kind, c.status])).toEqual([
      ["alpha", "call", 409],
      ["beta", "call", 201],
    ]);
  });

  test("a learned placement newer than the registry's is used at once", async () => {
    const { fetch, calls } = movedFrom("beta");
    const moves = new MovedTenants();
    moves.learn("T-100", "beta", 2);
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves }));
    expect({ cells: calls.map((c) => c.cellId), placement: routed.placement, moved: routed.moved }).toEqual({ cells: ["beta"], placement: "moved", moved: undefined });
  });

  test("is followed without a memory of moves too", async () => {
    const { fetch } = movedFrom("beta");
    expect((await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }))).response.headers.get(H.cellId)).toBe("beta");
  });

  test.each<[string, string, Partial<RouterDeps>, string]>([
    ["the cell that answered", "alpha", {}, "it names the cell that answered"],
    ["a cell the registry does not know", "omega", {}, "the registry does not know that cell"],
    ["a draining cell", "beta", { registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), beta: found(aCell("beta", { status: "draining" })) }) }, "that cell is draining"],
    ["a down cell", "beta", { registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), beta: found(aCell("beta", { status: "down" })) }) }, "that cell is down"],
    ["a cell with a malformed entry", "beta", { registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), beta: malformed("bad") }) }, "its registry entry is malformed"],
    ["a cell with an unreadable entry", "beta", { registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), beta: unavailable("kv down") }) }, "its registry entry is unavailable"],
    ["a cell the router has no key for", "delta", { registry: registryOf({ "T-100": found(aTenant()) }, { alpha: found(aCell("alpha")), delta: found(aCell("delta")) }) }, "the router has no signing key for that cell"],
  ])("is not followed to %s: the client gets the 409, after one call, and nothing is learned", async (_label, to, overrides, why) => {
    const { fetch, calls } = movedFrom(to);
    const moves = new MovedTenants();
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves, ...overrides }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 409, code: "tenant_moved", cell: "alpha", outcome: "proxied" }));
    expect(routed.moved).toEqual({ from: "alpha", to, epoch: 2, followed: false, why });
    expect(routed.placement).toBeUndefined();
    expect(calls.map((c) => c.cellId)).toEqual(["alpha"]);
    expect(moves.size).toBe(0);
  });

  test("never a second hop: the new owner's own tenant_moved reaches the client, and where it points is remembered", async () => {
    const { fetch, calls } = movedFrom("beta", 2, (call) => (call.cellId === "beta" ? movedTo("beta", "gamma", 3) : undefined));
    const moves = new MovedTenants();
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 409, code: "tenant_moved", cell: "beta" }));
    expect(calls.map((c) => c.cellId)).toEqual(["alpha", "beta"]);
    expect(moves.newerThan("T-100", 1)).toEqual(expect.objectContaining({ cellId: "gamma", epoch: 3 }));
  });

  test("an onward move the router could not follow is not remembered", async () => {
    const { fetch } = movedFrom("beta", 2, (call) => (call.cellId === "beta" ? movedTo("beta", "omega", 3) : undefined));
    const moves = new MovedTenants();
    await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves }));
    expect(moves.newerThan("T-100", 1)).toEqual(expect.objectContaining({ cellId: "beta", epoch: 2 }));
  });

  test.each<[string, UpstreamResponse]>([
    ["another 409 problem", answerOf("alpha", 409, JSON.stringify(problem("version_conflict", "x", "r", { cell: "beta", epoch: 2 })))],
    ["a tenant_moved without a usable cell", answerOf("alpha", 409, JSON.stringify(problem("tenant_moved", "x", "r", { cell: "Beta!", epoch: 2 })))],
    ["a tenant_moved problem under another status", answerOf("alpha", 410, JSON.stringify({ ...problem("tenant_moved", "x", "r", { cell: "beta", epoch: 2 }), status: 410 }))],
    ["a 409 whose body is not JSON", answerOf("alpha", 409, "conflict")],
  ])("%s is passed on as it is", async (_label, answer) => {
    const { fetch, calls } = cells(() => answer);
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect({ status: routed.response.status, outcome: routed.outcome, moved: routed.moved }).toEqual({ status: answer.status, outcome: "proxied", moved: undefined });
    expect(calls).toHaveLength(1);
  });
});

describe("what a cell's breaker counts", () => {
  const breaker = () => new CircuitBreaker({ failureThreshold: 100, cooldownMs: 1_000, probeTimeoutMs: 5_000 });

  test.each<[string, () => UpstreamResponse | Promise<UpstreamResponse>, { failed: boolean; error: boolean; status: number; timeout: boolean }]>([
    ["a success", () => answerOf("alpha"), { failed: false, error: false, status: 200, timeout: false }],
    ["the cell's own 4xx", () => answerOf("alpha", 404, JSON.stringify(problem("record_not_found", "x", "r"))), { failed: false, error: false, status: 404, timeout: false }],
    ["the cell's own 500", () => answerOf("alpha", 500, JSON.stringify(problem("internal", "x", "r"))), { failed: false, error: true, status: 500, timeout: false }],
    ["the cell's own 503 store_unavailable", () => answerOf("alpha", 503, JSON.stringify(problem("store_unavailable", "x", "r"))), { failed: false, error: true, status: 503, timeout: false }],
    ["the cell's own 503 tenant_fenced (a hand-over)", () => answerOf("alpha", 503, JSON.stringify(problem("tenant_fenced", "x", "r"))), { failed: false, error: false, status: 503, timeout: false }],
    ["the cell's own 503 tenant_unavailable (an import)", () => answerOf("alpha", 503, JSON.stringify(problem("tenant_unavailable", "x", "r"))), { failed: false, error: false, status: 503, timeout: false }],
    ["a 500 whose body names tenant_fenced (only a 503 is a hand-over)", () => answerOf("alpha", 500, JSON.stringify(problem("tenant_fenced", "x", "r"))), { failed: false, error: true, status: 500, timeout: false }],
    ["a platform's 429", () => new Response("", { status: 429 }), { failed: false, error: false, status: 429, timeout: false }],
    ["a platform's 503", () => new Response("", { status: 503 }), { failed: true, error: true, status: 503, timeout: false }],
    ["an answer the router does not pass on", () => answerOf("beta"), { failed: true, error: true, status: 200, timeout: false }],
    ["an unreachable cell", async () => Promise.reject(new TypeError("refused")), { failed: true, error: true, status: 0, timeout: false }],
  ])("%s", async (_label, answer, expected) => {
    const b = breaker();
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => answer(), breaker: b }));
    expect(b.view("alpha", NOW).consecutiveFailures).toBe(expected.failed ? 1 : 0);
    expect(routed.calls.at(-1)).toEqual({ cellId: "alpha", cloud: "aws", kind: "call", status: expected.status, latencyMs: 0, error: expected.error, timeout: expected.timeout });
  });

  test("a timeout fails the call and is counted as one", async () => {
    const b = breaker();
    const hang: CellFetch = (_url, init) => new Promise((_resolve, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: hang, breaker: b, cellTimeoutMs: 10 }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 504, code: "gateway_timeout", outcome: "timeout", body: expect.objectContaining({ detail: "cell 'alpha' did not answer within 10 ms" }) }));
    expect(b.view("alpha", NOW).consecutiveFailures).toBe(1);
    expect(routed.calls).toEqual([{ cellId: "alpha", cloud: "aws", kind: "call", status: 0, latencyMs: 0, error: true, timeout: true }]);
  });

  test("the latency is the clock's time around the call", async () => {
    let now = NOW;
    const routed = await routeRequest(
      request("GET", "/api/tenants/T-100/records"),
      "req",
      deps({
        now: () => now,
        fetch: async () => {
          now += 42;
          return answerOf("alpha");
        },
      }),
    );
    expect(routed.calls[0]!.latencyMs).toBe(42);
  });

  test("an open breaker answers at once with the cool-down left, and the cell is not called", async () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 2_500, probeTimeoutMs: 5_000 });
    const { fetch, calls } = cells(() => new Response("", { status: 503 }));
    await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, breaker: b }));
    const shed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, breaker: b }));
    expect(await seen(shed)).toEqual(expect.objectContaining({ status: 503, code: "circuit_open", retryAfter: "3", cell: "alpha", outcome: "circuit_open" }));
    expect(shed.calls).toEqual([{ cellId: "alpha", cloud: "aws", kind: "shed", status: 0, latencyMs: 0, error: false, timeout: false }]);
    expect(calls).toHaveLength(1);
  });

  test("a probe that succeeds closes the breaker", async () => {
    let now = NOW;
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000, probeTimeoutMs: 5_000 });
    let healthy = false;
    const fetch: CellFetch = async () => (healthy ? answerOf("alpha") : new Response("", { status: 503 }));
    await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, breaker: b, now: () => now }));
    healthy = true;
    now += 1_000;
    expect((await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, breaker: b, now: () => now }))).response.status).toBe(200);
    expect(b.view("alpha", now).state).toBe("closed");
  });
});

describe("client tokens", () => {
  const granting = (tenantId: string, subject?: string): Authenticator => async () => ({ ok: true, tenantId, ...(subject === undefined ? {} : { subject }) });

  test("the token's tenant is the request's, named nowhere else; the subject goes to the log", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const routed = await routeRequest(request("POST", "/api/process", { body: "{}" }), "req", deps({ fetch, authenticate: granting("T-100", "user-7") }));
    expect({ status: routed.response.status, tenantId: routed.tenantId, subject: routed.subject }).toEqual({ status: 200, tenantId: "T-100", subject: "user-7" });
    expect(calls[0]!.headers[H.tenantId]).toBe("T-100");
  });

  test("a request for another tenant than the token grants is a 403 with an insufficient_scope challenge", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, authenticate: granting("T-200") }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 403, code: "tenant_forbidden", outcome: "rejected" }));
    expect(routed.response.headers.get("www-authenticate")).toBe(`Bearer realm="cells", error="insufficient_scope", error_description="the token grants tenant 'T-200' but the path names 'T-100'"`);
    expect(calls).toEqual([]);
  });

  test("a request without a token is a 401 with a bare challenge", async () => {
    const refuse: Authenticator = async () => ({ ok: false, code: "invalid_token", detail: "send a bearer token" });
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ authenticate: refuse }));
    expect({ status: routed.response.status, challenge: routed.response.headers.get("www-authenticate") }).toEqual({ status: 401, challenge: 'Bearer realm="cells"' });
  });
});

describe("what the router's own answers say", () => {
  const detailOf = async (d: RouterDeps, req: IncomingRequest = request("GET", "/api/tenants/T-100/records")) => {
    const routed = await routeRequest(req, "req", d);
    return { detail: ((await routed.response.json()) as { detail: string }).detail, error: routed.error };
  };
  const withTenant = (t: Lookup<TenantEntry>, c: Record<string, Lookup<CellEntry>> = { alpha: found(aCell("alpha")) }) => deps({ registry: registryOf({ "T-100": t }, c) });

  test.each<[string, () => Promise<{ detail: string; error?: string }>, { detail: string; error?: string }]>([
    ["an unknown tenant", () => detailOf(withTenant(notFound)), { detail: "tenant 'T-100' is not registered" }],
    ["a migrating tenant", () => detailOf(withTenant(found(aTenant({ status: "migrating" })))), { detail: "tenant 'T-100' is moving to another cell; retry after 10 s" }],
    ["a read-only tenant", () => detailOf(withTenant(found(aTenant({ status: "read_only" }))), request("PUT", "/api/tenants/T-100/records/r", { body: "{}" })), { detail: "tenant 'T-100' is read-only; PUT is a write, GET and HEAD still work" }],
    ["a down cell", () => detailOf(withTenant(found(aTenant()), { alpha: found(aCell("alpha", { status: "down" })) })), { detail: "cell 'alpha' is down; retry after 30 s" }],
    ["an unreadable entry", () => detailOf(withTenant(unavailable("KV GET failed: 500"))), { detail: "registry entry 'tenant:T-100' could not be read; retry after 5 s", error: "KV GET failed: 500" }],
    ["an unreadable cell entry", () => detailOf(withTenant(found(aTenant()), { alpha: unavailable("timeout") })), { detail: "registry entry 'cell:alpha' could not be read; retry after 5 s", error: "timeout" }],
    ["a cell with no entry", () => detailOf(withTenant(found(aTenant({ cellId: "omega" })), {})), { detail: "tenant 'T-100' is placed on cell 'omega', which has no registry entry 'cell:omega'" }],
    ["a cell without a key", () => detailOf(deps({ keys: () => ({ ok: false, error: "no key binding CELL_KEY_ALPHA for cell 'alpha'" }) })), { detail: "cell 'alpha' is registered but the router has no signing key for it", error: "no key binding CELL_KEY_ALPHA for cell 'alpha'" }],
    ["a URL too long", () => detailOf(deps(), request("GET", `/api/tenants/T-100/records?q=${"x".repeat(MAX_URL_BYTES)}`)), { detail: `the request URL (path and query) is ${MAX_URL_BYTES + 29} bytes; the limit is ${MAX_URL_BYTES}` }],
    ["headers too large", () => detailOf(deps(), request("GET", "/api/tenants/T-100/records", { headers: { "x-pad": "p".repeat(MAX_HEADER_BYTES) } })), { detail: `the request headers are ${MAX_HEADER_BYTES + 9} bytes; the limit is ${MAX_HEADER_BYTES}` }],
    ["an unreachable cell", () => detailOf(deps({ fetch: async () => Promise.reject(new TypeError("connect ECONNREFUSED")) })), { detail: "cell 'alpha' could not be reached", error: "connect ECONNREFUSED" }],
    ["a platform that sheds load", () => detailOf(deps({ fetch: async () => new Response("", { status: 429, headers: { "retry-after": "9" } }) })), { detail: "cell 'alpha' answered 429; retry after 9" }],
  ])("%s", async (_label, run, expected) => {
    const got = await run();
    expect(got).toEqual({ detail: expected.detail, error: expected.error ?? expected.detail });
  });

  test("only a tenant the token does not grant gets a bearer challenge", async () => {
    const routed = await routeRequest(request("GET", "/api/nothing"), "req", deps({ authenticate: async () => ({ ok: true, tenantId: "T-100" }) }));
    expect({ status: routed.response.status, challenge: routed.response.headers.get("www-authenticate") }).toEqual({ status: 200, challenge: null });
    const missing = await routeRequest(request("GET", "/api/nothing"), "req", deps());
    expect({ status: missing.response.status, challenge: missing.response.headers.get("www-authenticate") }).toEqual({ status: 400, challenge: null });
  });
});

describe("request bodies, read the right way", () => {
  const spied = (init: { method?: string; contentLength?: string; chunks?: string[]; native?: string }) => {
    const reads = { native: 0 };
    const body = init.chunks === undefined ? null : chunked(init.chunks);
    const req: IncomingRequest = {
      method: init.method ?? "POST",
      url: "https://router.test/api/process",
      headers: new Headers({ [H.tenantId]: "T-100", ...(init.contentLength === undefined ? {} : { "content-length": init.contentLength }) }),
      body,
      arrayBuffer: async () => (reads.native++, new TextEncoder().encode(init.native ?? "native").buffer as ArrayBuffer),
    };
    return { req, reads, streamReads: () => (body as ReturnType<typeof chunked> | null)?.reads() ?? 0 };
  };

  test("with a declared length within the limit, one native read; otherwise the stream", async () => {
    const cases: Array<[Parameters<typeof spied>[0], string, number]> = [
      [{ contentLength: "6", chunks: ["stream"], native: "native" }, "native", 1],
      [{ chunks: ["str", "eam"] }, "stream", 0],
      [{ contentLength: "six", chunks: ["stream"] }, "stream", 0],
      [{ contentLength: "12345678901", chunks: ["stream"] }, "stream", 0],
    ];
    for (const [init, forwarded, nativeReads] of cases) {
      const { fetch, calls } = cells((call) => answerOf(call.cellId));
      const { req, reads } = spied(init);
      await routeRequest(req, "req", deps({ fetch, maxBodyBytes: 100_000_000_000 }));
      expect({ init, body: new TextDecoder().decode(calls[0]!.body), nativeReads: reads.native }).toEqual({ init, body: forwarded, nativeReads });
    }
  });

  test("a declared length over the limit is refused before reading, whatever spaces surround it", async () => {
    const headers = { get: (name: string) => (name === "content-length" ? " 101 " : name === H.tenantId ? "T-100" : null), forEach: () => undefined };
    const routed = await routeRequest({ method: "POST", url: "https://router.test/api/process", headers, body: chunked(["x".repeat(101)]) }, "req", deps({ maxBodyBytes: 100 }));
    expect(((await routed.response.json()) as { detail: string }).detail).toBe("the request body is 101 bytes; the limit is 100");
  });

  test("a body that arrives over the limit is refused naming the limit", async () => {
    const routed = await routeRequest({ ...spied({ chunks: ["x".repeat(60), "x".repeat(60)] }).req, arrayBuffer: undefined }, "req", deps({ maxBodyBytes: 100 }));
    expect(((await routed.response.json()) as { detail: string }).detail).toBe("the request body is larger than the limit of 100 bytes");
  });

  test("a read's body is never read, nor signed", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const { req, reads, streamReads } = spied({ method: "GET", contentLength: "6", chunks: ["stream"] });
    await routeRequest({ ...req, url: "https://router.test/api/tenants/T-100/records" }, "req", deps({ fetch }));
    expect({ native: reads.native, stream: streamReads(), sent: calls[0]!.body }).toEqual({ native: 0, stream: 0, sent: undefined });
    const signed = { method: "GET", path: "/api/tenants/T-100/records", query: "", cellId: "alpha", tenantId: "T-100", timestamp: NOW / 1000, nonce: calls[0]!.headers[H.nonce]!, body: new Uint8Array(0) };
    expect(await verifySignature(keyOf("alpha").secret, signed, calls[0]!.headers[H.signature]!)).toBe(true);
  });

  test("a write without a body is sent with an empty one, and one refused early needs no draining", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    await routeRequest({ method: "POST", url: "https://router.test/api/process", headers: new Headers({ [H.tenantId]: "T-100" }), body: null }, "req", deps({ fetch }));
    expect(calls[0]!.body).toEqual(new Uint8Array(0));
    const early = await routeRequest({ method: "POST", url: `https://router.test/api/process?q=${"x".repeat(MAX_URL_BYTES)}`, headers: new Headers(), body: null }, "req", deps());
    expect(early.response.status).toBe(414);
  });

  test("a body the client breaks off is logged with the reason", async () => {
    const req: IncomingRequest = { method: "POST", url: "https://router.test/api/process", headers: new Headers({ [H.tenantId]: "T-100" }), body: { getReader: () => ({ read: async () => Promise.reject(new TypeError("client disconnected")), cancel: async () => undefined }) } };
    const routed = await routeRequest(req, "req", deps());
    expect({ detail: ((await routed.response.json()) as { detail: string }).detail, error: routed.error }).toEqual({
      detail: "the request body could not be read to its end",
      error: "reading the request body failed: TypeError: client disconnected",
    });
  });
});

describe("the call to the cell", () => {
  test("goes to the cell's URL with the path, and a query only when there is one; redirects are not followed", async () => {
    const seen: Array<{ url: string; redirect: string }> = [];
    const fetch: CellFetch = async (url, init) => (seen.push({ url, redirect: init.redirect }), answerOf("alpha"));
    await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    await routeRequest(request("GET", "/api/tenants/T-100/records?limit=5"), "req", deps({ fetch }));
    expect(seen).toEqual([
      { url: "https://alpha.example.com/api/tenants/T-100/records", redirect: "manual" },
      { url: "https://alpha.example.com/api/tenants/T-100/records?limit=5", redirect: "manual" },
    ]);
  });

  test("a cell that sends its headers and then stalls is a timeout too", async () => {
    const fetch: CellFetch = async (_url, init) => ({
      status: 200,
      headers: new Headers({ "content-type": "application/json", [H.cellId]: "alpha" }),
      body: { getReader: () => ({ read: () => new Promise<never>((_resolve, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason))), cancel: async () => undefined }) },
    });
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, cellTimeoutMs: 10 }));
    expect({ status: routed.response.status, outcome: routed.outcome }).toEqual({ status: 504, outcome: "timeout" });
  });

  test("the time budget ends with the call: nothing is aborted afterwards", async () => {
    let signal: AbortSignal | undefined;
    const fetch: CellFetch = async (_url, init) => ((signal = init.signal), answerOf("alpha"));
    await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, cellTimeoutMs: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal!.aborted).toBe(false);
  });

  test("an answer with a length within the limit is read natively; without one, or over the limit, it is streamed and counted", async () => {
    const read = async (headers: Record<string, string>, chunks: string[], maxResponseBytes = 100) => {
      let native = 0;
      const answer = { ...streamedAnswer("alpha", 200, chunks, headers), arrayBuffer: async () => (native++, new TextEncoder().encode("native").buffer as ArrayBuffer) };
      const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => answer, maxResponseBytes }));
      return { status: routed.response.status, body: await routed.response.text(), native };
    };
    expect(await read({ "content-length": "6" }, ["stream"])).toEqual({ status: 200, body: "native", native: 1 });
    expect(await read({}, ["str", "eam"])).toEqual({ status: 200, body: "stream", native: 0 });
    expect(await read({ "content-length": "101" }, ["x".repeat(101)])).toEqual({ status: 502, body: expect.stringContaining("answered with more than 100 bytes"), native: 0 });
    const noNative = streamedAnswer("alpha", 200, ["stream"], { "content-length": "6" });
    expect(await (await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => noNative }))).response.text()).toBe("stream");
  });

  test("a problem+json type is recognised whatever its case and parameters", async () => {
    const headers = { get: (name: string) => ({ "content-type": " Application/Problem+JSON ; charset=utf-8", [H.cellId]: "alpha" })[name] ?? null, forEach: () => undefined };
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => ({ status: 404, headers, body: chunked(["{}"]) }) }));
    expect({ status: routed.response.status, outcome: routed.outcome }).toEqual({ status: 404, outcome: "proxied" });
  });

  test("a Retry-After is trimmed before it is judged", async () => {
    const headers = { get: (name: string) => (name === "retry-after" ? " 12 " : null), forEach: () => undefined };
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => ({ status: 503, headers, body: null }) }));
    expect(routed.response.headers.get(H.retryAfter)).toBe("12");
  });

  test("an answer the router will not pass on is let go of, not left hanging", async () => {
    for (const answer of [streamedAnswer("beta", 200, ["x"]), streamedAnswer("alpha", 302, ["x"]), { ...streamedAnswer("alpha", 429, ["x"]), headers: new Headers() }]) {
      let cancelled = 0;
      const body = { getReader: () => ({ read: async () => ({ done: true }), cancel: async () => void cancelled++ }) };
      await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => ({ ...answer, body }) }));
      expect(cancelled).toBe(1);
    }
  });
});

describe("a moved tenant, more edges", () => {
  test("when the registry cannot be read, a learned placement still routes", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const moves = new MovedTenants();
    moves.learn("T-100", "beta", 2);
    const registry = registryOf({ "T-100": unavailable("kv down") }, { beta: found(aCell("beta")) });
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves, registry }));
    expect({ status: routed.response.status, cells: calls.map((c) => c.cellId), placement: routed.placement }).toEqual({ status: 200, cells: ["beta"], placement: "moved" });
  });

  test("once the registry has caught up, its placement is used and the learned one forgotten", async () => {
    const { fetch, calls } = cells((call) => answerOf(call.cellId));
    const moves = new MovedTenants();
    moves.learn("T-100", "beta", 2);
    const registry = registryOf({ "T-100": found(aTenant({ cellId: "gamma", epoch: 3 })) }, { gamma: found(aCell("gamma")) });
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, moves, registry }));
    expect({ cells: calls.map((c) => c.cellId), placement: routed.placement, learned: moves.size }).toEqual({ cells: ["gamma"], placement: undefined, learned: 0 });
  });

  test("a new owner whose breaker is open answers at once, naming it", async () => {
    const { fetch, calls } = cells((call) => (call.cellId === "alpha" ? movedTo("alpha", "beta", 2) : answerOf(call.cellId)));
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 5_000, probeTimeoutMs: 5_000 });
    breaker.record("beta", false, { probe: false }, NOW);
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, breaker }));
    expect(await seen(routed)).toEqual(expect.objectContaining({ status: 503, code: "circuit_open", cell: "beta", retryAfter: "5", body: expect.objectContaining({ detail: "cell 'beta' is failing; requests for its tenants pause for 5 s" }) }));
    expect(calls.map((c) => c.cellId)).toEqual(["alpha"]);
  });

  test("an onward move is passed on without a memory of moves", async () => {
    const { fetch } = cells((call) => (call.cellId === "alpha" ? movedTo("alpha", "beta", 2) : movedTo("beta", "gamma", 3)));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect({ status: routed.response.status, cell: routed.response.headers.get(H.cellId) }).toEqual({ status: 409, cell: "beta" });
  });
});
