import { Headers as H, MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, problemCode, verifySignature, type CellEntry, type SigningKey, type TenantEntry } from "../contract";
import { cellKeyBinding, cellKeyValue } from "../router/bindings";
import { bearerChallenge, bearerToken, type AuthResult, type Authenticator } from "../router/auth";
import { bindingKeyLookup } from "../router/cell-keys";
import { forwardableRequestHeaders, headerBlockBytes, type CellFetch, type HeaderReader, type UpstreamResponse } from "../router/forward";
import { found, notFound, unavailable, type Lookup, type Registry } from "../router/registry";
import { routeRequest, type IncomingRequest, type RouterDeps } from "../router/route";

/**
 * The routing logic without workerd: a fake registry, a fake `fetch` and a fixed clock. These cover
 * what the Miniflare suite cannot make happen on purpose (how many times a cell is called, a lying
 * Content-Length, exact header filtering, a redirect).
 */

const KEY: SigningKey = { keyId: "alpha-v1", secret: "alpha-secret-0123456789abcdef" };
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const ALPHA: CellEntry = { v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://alpha.example.com", status: "active" };
const tenantEntry = (overrides: Partial<TenantEntry> = {}): TenantEntry => ({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1, ...overrides });

function registryOf(tenants: Record<string, Lookup<TenantEntry>>, cells: Record<string, Lookup<CellEntry>> = { alpha: found(ALPHA) }): Registry {
  return { tenant: async (id) => tenants[id] ?? notFound, cell: async (id) => cells[id] ?? notFound };
}

interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

/** A fetch that records each call and answers with `answer(call, n)`. */
function fakeFetch(answer: (call: Call, n: number, signal: AbortSignal) => Promise<UpstreamResponse>): { fetch: CellFetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: CellFetch = async (url, init) => {
    const call = { url, method: init.method, headers: Object.fromEntries(init.headers), body: init.body };
    calls.push(call);
    return answer(call, calls.length, init.signal);
  };
  return { fetch, calls };
}

const cellAnswer = (status = 200, headers: Record<string, string> = {}, body: string | null = '{"ok":true}'): UpstreamResponse =>
  new Response(body, { status, headers: { "content-type": status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json", [H.cellId]: "alpha", ...headers } });

const refused = async (): Promise<never> => {
  throw new TypeError("Network connection lost.");
};

function deps(overrides: Partial<RouterDeps> = {}): RouterDeps {
  return {
    registry: registryOf({ "T-100": found(tenantEntry()) }),
    keys: (cellId) => (cellId === "alpha" ? { ok: true, value: KEY } : { ok: false, error: "no key" }),
    fetch: fakeFetch(async () => cellAnswer()).fetch,
    now: () => NOW,
    cellTimeoutMs: 1000,
    maxBodyBytes: MAX_BODY_BYTES,
    ...overrides,
  };
}

const request = (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): IncomingRequest =>
  new Request(`https://router.test${path}`, { method, headers: init.headers, body: init.body });

describe("forwarding", () => {
  test("sends method, path, query and body to the cell, signed with the cell's key at the clock's time", async () => {
    const { fetch, calls } = fakeFetch(async () => cellAnswer(201));
    const body = JSON.stringify({ data: { n: 1 } });
    const routed = await routeRequest(request("PUT", "/api/tenants/T-100/records/r1?x=1&a=b", { body, headers: { "content-type": "application/json" } }), "req-1", deps({ fetch }));

    expect(routed.response.status).toBe(201);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect({ url: call.url, method: call.method, body: new TextDecoder().decode(call.body) }).toEqual({
      url: "https://alpha.example.com/api/tenants/T-100/records/r1?x=1&a=b",
      method: "PUT",
      body,
    });
    expect(call.headers).toEqual(
      expect.objectContaining({ [H.requestId]: "req-1", [H.tenantId]: "T-100", [H.cellId]: "alpha", [H.keyId]: "alpha-v1", [H.timestamp]: String(NOW / 1000), "content-type": "application/json" }),
    );
    const signed = { method: "PUT", path: "/api/tenants/T-100/records/r1", query: "x=1&a=b", cellId: "alpha", tenantId: "T-100", timestamp: NOW / 1000, nonce: call.headers[H.nonce]!, body: call.body! };
    expect(await verifySignature(KEY.secret, signed, call.headers[H.signature]!)).toBe(true);
  });

  test("the answer carries the registry's cloud and the router's request id, whatever the cell says", async () => {
    const { fetch } = fakeFetch(async () => cellAnswer(200, { [H.processedByCloud]: "azure", [H.requestId]: "cells-own", "content-encoding": "gzip", "x-edge-debug": "1", "idempotent-replayed": "true" }));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req-2", deps({ fetch }));
    const headers = Object.fromEntries(routed.response.headers);
    expect(headers).toEqual(expect.objectContaining({ [H.processedByCloud]: "aws", [H.requestId]: "req-2", [H.cellId]: "alpha", "idempotent-replayed": "true" }));
    expect(headers["content-encoding"]).toBeUndefined();
    expect(headers["x-edge-debug"]).toBeUndefined();
    expect(routed).toEqual(expect.objectContaining({ outcome: "proxied", tenantId: "T-100", cellId: "alpha", cloud: "aws", attempts: 1 }));
  });

  test("a HEAD answer has no body", async () => {
    const routed = await routeRequest(request("HEAD", "/api/tenants/T-100/records/r"), "req", deps());
    expect(routed.response.status).toBe(200);
    expect(routed.response.body).toBeNull();
  });
});

describe("retries and timeouts", () => {
  test("a read that fails to connect is tried once more, freshly signed", async () => {
    const { fetch, calls } = fakeFetch(async (_call, n) => (n === 1 ? refused() : cellAnswer()));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect(routed.response.status).toBe(200);
    expect(routed.attempts).toBe(2);
    expect(calls[0]!.headers[H.nonce]).not.toBe(calls[1]!.headers[H.nonce]);
  });

  test("a read that fails twice is a 502", async () => {
    const { fetch, calls } = fakeFetch(refused);
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch }));
    expect(problemCode(await routed.response.json())).toBe("bad_gateway");
    expect(calls).toHaveLength(2);
  });

  test.each(["POST", "PUT", "DELETE", "PATCH"])("a %s is never retried", async (method) => {
    const { fetch, calls } = fakeFetch(refused);
    const routed = await routeRequest(request(method, "/api/tenants/T-100/records/r", { body: "{}" }), "req", deps({ fetch }));
    expect(routed.response.status).toBe(502);
    expect(calls).toHaveLength(1);
  });

  test("a cell that does not answer within the timeout is a 504, not retried", async () => {
    const { fetch, calls } = fakeFetch(
      (_call, _n, signal) => new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    );
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch, cellTimeoutMs: 20 }));
    expect(routed.response.status).toBe(504);
    expect(routed.outcome).toBe("timeout");
    expect(calls).toHaveLength(1);
  });
});

describe("a cell that sheds load", () => {
  test.each<[string, UpstreamResponse, number, string, string]>([
    ["API Gateway's 429 (no x-cell-id)", new Response('{"message":"Too Many Requests"}', { status: 429, headers: { "retry-after": "7" } }), 429, "cell_throttled", "7"],
    ["a 429 without Retry-After", new Response("{}", { status: 429 }), 429, "cell_throttled", "1"],
    ["a host's 503 page with the cell's id", cellAnswer(503, { "content-type": "text/html", "retry-after": "Wed, 21 Oct 2037 07:28:00 GMT" }, "<html/>"), 503, "cell_busy", "Wed, 21 Oct 2037 07:28:00 GMT"],
    ["a 503 with a junk Retry-After", new Response("", { status: 503, headers: { "retry-after": "soon" } }), 503, "cell_busy", "5"],
  ])("%s: the router's own problem with a Retry-After", async (_label, answer, status, code, retryAfter) => {
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => answer }));
    expect({ status: routed.response.status, code: problemCode(await routed.response.json()), retryAfter: routed.response.headers.get(H.retryAfter) }).toEqual({ status, code, retryAfter });
  });

  test("the cell's own 429 or 503 problem passes through as it is", async () => {
    const own = cellAnswer(503, { "retry-after": "2" }, JSON.stringify({ type: "urn:problem-type:cells:tenant_fenced", status: 503 }));
    const routed = await routeRequest(request("PUT", "/api/tenants/T-100/records/r", { body: "{}" }), "req", deps({ fetch: async () => own }));
    expect({ status: routed.response.status, code: problemCode(await routed.response.json()), retryAfter: routed.response.headers.get(H.retryAfter), outcome: routed.outcome }).toEqual({
      status: 503,
      code: "tenant_fenced",
      retryAfter: "2",
      outcome: "proxied",
    });
  });

  test("another cell's 503 is still a 502: the router was pointed at the wrong cell", async () => {
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => cellAnswer(503, { [H.cellId]: "beta", "content-type": "text/plain" }, "x") }));
    expect(routed.response.status).toBe(502);
  });
});

describe("answers the router does not pass on", () => {
  test.each<[string, UpstreamResponse, RegExp]>([
    ["no x-cell-id (a platform's page)", new Response("<html>up and running</html>", { status: 200, headers: { "content-type": "text/html" } }), /carries no x-cell-id/],
    ["another cell's id", cellAnswer(200, { [H.cellId]: "beta" }), /claims to come from cell 'beta'/],
    ["a redirect", cellAnswer(302, { location: "https://elsewhere.example.com/" }, null), /redirect/],
    ["a 5xx that is not problem+json", cellAnswer(500, { "content-type": "application/json" }, '{"message":"Internal Server Error"}'), /without a problem\+json body/],
    ["a 4xx that is not problem+json", cellAnswer(404, { "content-type": "text/html" }, "<html>not found</html>"), /without a problem\+json body/],
  ])("%s: 502 bad_gateway", async (_label, answer, detail) => {
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => answer }));
    const body = (await routed.response.json()) as { detail: string; upstreamStatus: number };
    expect({ status: routed.response.status, code: problemCode(body), detail: body.detail }).toEqual({ status: 502, code: "bad_gateway", detail: expect.stringMatching(detail) });
    expect(body.upstreamStatus).toBe(answer.status);
  });

  test("an answer whose Content-Length is over the response limit is a 502, read or not", async () => {
    const declared = cellAnswer(200, { "content-length": "100" }, "x".repeat(100));
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => declared, maxResponseBytes: 99 }));
    expect(routed.response.status).toBe(502);
    const within = cellAnswer(200, { "content-length": "100" }, "x".repeat(100));
    expect(await (await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => within, maxResponseBytes: 100 }))).response.text()).toBe("x".repeat(100));
  });

  test("an answer larger than the response limit is a 502", async () => {
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ fetch: async () => cellAnswer(200, {}, "x".repeat(100)), maxResponseBytes: 99 }));
    expect(routed.response.status).toBe(502);
  });
});

describe("request bodies", () => {
  /** A request whose body is a stream of `chunks`, whatever its Content-Length claims. */
  function streamed(chunks: number[], contentLength?: string): IncomingRequest & { reads: () => number } {
    let reads = 0;
    const headers = new Headers({ "x-tenant-id": "T-100", ...(contentLength === undefined ? {} : { "content-length": contentLength }) });
    return {
      method: "POST",
      url: "https://router.test/api/process",
      headers,
      reads: () => reads,
      body: {
        getReader: () => ({
          read: async () => {
            reads++;
            const size = chunks.shift();
            return size === undefined ? { done: true } : { done: false, value: new Uint8Array(size).fill(0x20) };
          },
          cancel: async () => undefined,
        }),
      },
    };
  }

  test("a body over the limit is refused even when Content-Length claims less; the rest is read to its end so the client sees the 413", async () => {
    const { fetch, calls } = fakeFetch(async () => cellAnswer());
    const req = streamed([60, 60, 60, 60, 60], "10");
    const routed = await routeRequest(req, "req", deps({ fetch, maxBodyBytes: 100 }));
    expect(routed.response.status).toBe(413);
    expect(req.reads()).toBe(6); // five chunks and the end
    expect(calls).toHaveLength(0);
  });

  test("a declared Content-Length over the limit is refused without buffering, after draining the upload", async () => {
    const req = streamed([60, 60], "101");
    const routed = await routeRequest(req, "req", deps({ maxBodyBytes: 100 }));
    expect(problemCode(await routed.response.json())).toBe("payload_too_large");
    expect(req.reads()).toBe(3);
  });

  test("a write refused before its body is read (a URL too long) still has its body drained", async () => {
    const req = { ...streamed([60, 60]), url: `https://router.test/api/process?q=${"x".repeat(5000)}` };
    const routed = await routeRequest(req, "req", deps());
    expect(problemCode(await routed.response.json())).toBe("uri_too_long");
    expect(req.reads()).toBe(3);
  });

  test("a body the client breaks off is a 400, not a crash", async () => {
    const req: IncomingRequest = {
      ...streamed([]),
      body: { getReader: () => ({ read: async () => Promise.reject(new TypeError("client disconnected")), cancel: async () => undefined }) },
    };
    const routed = await routeRequest(req, "req", deps());
    expect({ status: routed.response.status, code: problemCode(await routed.response.json()) }).toEqual({ status: 400, code: "invalid_request" });
  });

  test("a body exactly at the limit passes", async () => {
    const routed = await routeRequest(streamed([50, 50]), "req", deps({ maxBodyBytes: 100 }));
    expect(routed.response.status).toBe(200);
  });
});

describe("request headers", () => {
  const reader = (entries: Array<[string, string]>): HeaderReader => ({
    get: (name) => entries.find(([n]) => n.toLowerCase() === name)?.[1] ?? null,
    forEach: (callback) => entries.forEach(([name, value]) => callback(value, name)),
  });

  test("hop-by-hop, router-owned, x-edge-* and cf-* headers are dropped; the rest pass", () => {
    const kept = forwardableRequestHeaders(
      reader([
        ["Connection", "close, X-Hop-Listed"],
        ["X-Hop-Listed", "1"],
        ["Keep-Alive", "timeout=5"],
        ["TE", "trailers"],
        ["Trailer", "x-t"],
        ["Transfer-Encoding", "chunked"],
        ["Upgrade", "websocket"],
        ["Host", "router.test"],
        ["Content-Length", "2"],
        ["Proxy-Authorization", "Basic x"],
        ["Proxy-Connection", "keep-alive"],
        ["Accept-Encoding", "br"],
        ["CF-Connecting-IP", "203.0.113.1"],
        ["X-Edge-Signature", "forged"],
        ["X-Edge-Anything", "forged"],
        ["X-Request-Id", "forged"],
        ["X-Tenant-Id", "T-100"],
        ["X-Cell-Id", "beta"],
        ["X-Processed-By-Cloud", "azure"],
        ["Content-Type", "application/json"],
        ["Idempotency-Key", "k-1"],
        ["Authorization", "Bearer t"],
      ]),
    );
    expect(kept).toEqual([
      ["content-type", "application/json"],
      ["idempotency-key", "k-1"],
      ["authorization", "Bearer t"],
    ]);
  });

  test("a verified Authorization header stays at the edge", () => {
    const kept = forwardableRequestHeaders(reader([["Authorization", "Bearer t"], ["X-Custom", "1"]]), { dropAuthorization: true });
    expect(kept).toEqual([["x-custom", "1"]]);
  });

  test("the header block is measured as it goes on the wire", () => {
    expect(headerBlockBytes([["a", "bc"], ["x-y", "\u00e9"]])).toBe(1 + 2 + 4 + 3 + 2 + 4);
  });
});

describe("registry and key failures", () => {
  const problemOf = async (d: RouterDeps, path = "/api/tenants/T-100/records") => {
    const routed = await routeRequest(request("GET", path), "req", d);
    return { status: routed.response.status, code: problemCode(await routed.response.json()), retryAfter: routed.response.headers.get(H.retryAfter), outcome: routed.outcome };
  };

  test("an unreadable registry is a 503 with Retry-After", async () => {
    expect(await problemOf(deps({ registry: registryOf({ "T-100": unavailable("kv down") }) }))).toEqual({ status: 503, code: "registry_unavailable", retryAfter: "5", outcome: "registry_error" });
    expect(await problemOf(deps({ registry: registryOf({ "T-100": found(tenantEntry()) }, { alpha: unavailable("kv down") }) }))).toEqual(
      expect.objectContaining({ status: 503, code: "registry_unavailable" }),
    );
  });

  test("a cell without a key is a 502 and the cell is not called", async () => {
    const { fetch, calls } = fakeFetch(async () => cellAnswer());
    expect(await problemOf(deps({ fetch, keys: () => ({ ok: false, error: "no key binding CELL_KEY_ALPHA" }) }))).toEqual(expect.objectContaining({ status: 502, code: "registry_invalid" }));
    expect(calls).toHaveLength(0);
  });
});

describe("client authentication (the port)", () => {
  const authenticate = (result: AuthResult): Authenticator => async () => result;

  test("a refused token is a 401 with a bearer challenge; the cell is not called", async () => {
    const { fetch, calls } = fakeFetch(async () => cellAnswer());
    const routed = await routeRequest(
      request("GET", "/api/tenants/T-100/records"),
      "req",
      deps({ fetch, authenticate: authenticate({ ok: false, code: "invalid_token", detail: 'the token has "expired"', bearerError: "invalid_token" }) }),
    );
    expect({ status: routed.response.status, challenge: routed.response.headers.get("www-authenticate"), outcome: routed.outcome }).toEqual({
      status: 401,
      challenge: 'Bearer realm="cells", error="invalid_token", error_description="the token has expired"',
      outcome: "rejected",
    });
    expect(calls).toHaveLength(0);
  });

  test("keys that cannot be fetched are a 503 with Retry-After", async () => {
    const routed = await routeRequest(request("GET", "/api/tenants/T-100/records"), "req", deps({ authenticate: authenticate({ ok: false, code: "auth_unavailable", detail: "x" }) }));
    expect({ status: routed.response.status, retryAfter: routed.response.headers.get(H.retryAfter), outcome: routed.outcome }).toEqual({ status: 503, retryAfter: "5", outcome: "auth_error" });
  });

  test("a verified client's Authorization header stays at the edge; without auth it passes", async () => {
    const withAuth = fakeFetch(async () => cellAnswer());
    await routeRequest(request("GET", "/api/tenants/T-100/records", { headers: { authorization: "Bearer t" } }), "req", deps({ fetch: withAuth.fetch, authenticate: authenticate({ ok: true, tenantId: "T-100" }) }));
    expect(withAuth.calls[0]!.headers.authorization).toBeUndefined();
    const without = fakeFetch(async () => cellAnswer());
    await routeRequest(request("GET", "/api/tenants/T-100/records", { headers: { authorization: "Bearer t" } }), "req", deps({ fetch: without.fetch }));
    expect(without.calls[0]!.headers.authorization).toBe("Bearer t");
  });

  test("the health route is not authenticated", async () => {
    const routed = await routeRequest(request("GET", "/healthz", { headers: { [H.tenantId]: "T-100" } }), "req", deps({ authenticate: authenticate({ ok: false, code: "invalid_token", detail: "no" }) }));
    expect(routed.response.status).toBe(200);
  });

  test("bearer headers are parsed strictly and challenges stay within a quoted string", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toEqual({ ok: true, token: "abc.def.ghi" });
    expect(bearerToken("bearer   abc")).toEqual({ ok: true, token: "abc" });
    expect(bearerToken(null)).toEqual(expect.objectContaining({ ok: false, missing: true }));
    expect(bearerToken("Bearer a b")).toEqual(expect.objectContaining({ ok: false, missing: false }));
    expect(bearerChallenge()).toBe('Bearer realm="cells"');
    expect(bearerChallenge("invalid_token", 'a "quoted" \\ text\n')).toBe('Bearer realm="cells", error="invalid_token", error_description="a quoted  text"');
  });
});

describe("key bindings", () => {
  test("cell key binding names", () => {
    expect(cellKeyBinding("alpha")).toBe("CELL_KEY_ALPHA");
    expect(cellKeyBinding("eu-west-1")).toBe("CELL_KEY_EU_WEST_1");
    expect(() => cellKeyBinding("Alpha")).toThrow(/cellId must match/);
  });

  test("key bindings are read and checked", () => {
    const lookup = bindingKeyLookup({
      CELL_KEY_ALPHA: cellKeyValue(KEY),
      CELL_KEY_BETA: "not json",
      CELL_KEY_GAMMA: JSON.stringify({ keyId: "Bad Id", secret: "s" }),
      CELL_KEY_DELTA: JSON.stringify({ keyId: "delta-v1" }),
    });
    expect(lookup("alpha")).toEqual({ ok: true, value: KEY });
    expect(lookup("beta")).toEqual({ ok: false, error: expect.stringMatching(/CELL_KEY_BETA is not valid JSON/) });
    expect(lookup("gamma")).toEqual({ ok: false, error: expect.stringMatching(/no keyId/) });
    expect(lookup("delta")).toEqual({ ok: false, error: expect.stringMatching(/no secret/) });
    expect(lookup("omega")).toEqual({ ok: false, error: "no key binding CELL_KEY_OMEGA for cell 'omega'" });
  });
});
