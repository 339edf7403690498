/**
 * A benchmark-only Worker (bundled with the constructs' `bundle()`, run in workerd through Miniflare)
 * that times the router's own operations where they really run: `POST /<op>?n=<iterations>` runs the
 * operation n times and answers `{ op, n, totalMs, usPerOp }`. The request body carries what some
 * operations need (a key set and tokens from the local issuer). workerd's clock advances during CPU
 * work locally, so `performance.now()` around a loop is a fair measure; see `bench/router-breakdown.ts`.
 */
import { MAX_BODY_BYTES, computeSignature, sha256Hex, signatureHeaders, type SigningKey } from "../contract";
import type { Authenticator } from "../router/auth";
import { forwardableRequestHeaders } from "../router/forward";
import { JwksCache } from "../router/jwks-cache";
import { jwtAuthenticator } from "../router/jwt-authenticator";
import { formatRequestLog } from "../router/log";
import { readBody } from "../router/read-body";
import { found } from "../router/registry";
import { routeRequest, type RouterDeps } from "../router/route";
import type { JwtAuthSettings } from "../router/settings";
import { rememberVerified } from "../router/verified-tokens";

interface Inputs {
  readonly jwks: unknown;
  readonly issuer: string;
  readonly audience: string;
  readonly tokens: { readonly ES256: string; readonly RS256: string };
}

const KEY: SigningKey = { keyId: "alpha-v1", secret: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
const EMPTY = new Uint8Array();
const encoder = new TextEncoder();
const signed = { method: "GET", path: "/api/tenants/T-100/records/bench-record", query: "", cellId: "alpha", tenantId: "T-100", body: EMPTY };

function authenticator(inputs: Inputs): Authenticator {
  const settings: JwtAuthSettings = {
    mode: "jwt",
    issuer: inputs.issuer,
    audiences: [inputs.audience],
    jwksUrl: "https://issuer.invalid/jwks.json",
    tenantClaim: "tenant_id",
    algorithms: ["RS256", "ES256"],
    clockToleranceSeconds: 30,
    jwksCacheMs: 600_000,
  };
  const keys = new JwksCache({
    url: settings.jwksUrl,
    maxAgeMs: settings.jwksCacheMs,
    refetchCooldownMs: 30_000,
    fetchTimeoutMs: 1_000,
    now: () => Date.now(),
    fetch: async () => ({ status: 200, json: async () => inputs.jwks }),
  });
  return jwtAuthenticator(settings, keys);
}

/** The routing logic with everything but itself in memory: registry answers, the cell's answer, no I/O. */
function routerDeps(auth: Authenticator | undefined): RouterDeps {
  const cellBody = JSON.stringify({ tenant_id: "T-100", record_id: "bench-record", version: 1, data: { purpose: "router overhead benchmark", n: 42 } });
  return {
    registry: {
      tenant: async () => found({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 }, "cache"),
      cell: async () => found({ v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://alpha.example.com", status: "active" }, "cache"),
    },
    keys: () => ({ ok: true, value: KEY }),
    fetch: async () => new Response(cellBody, { status: 200, headers: { "content-type": "application/json", "x-cell-id": "alpha" } }),
    now: () => Date.now(),
    cellTimeoutMs: 10_000,
    maxBodyBytes: MAX_BODY_BYTES,
    ...(auth === undefined ? {} : { authenticate: auth }),
  };
}

const stream = (bytes: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let sent = 0; sent < bytes; sent += 16_384) controller.enqueue(new Uint8Array(Math.min(16_384, bytes - sent)));
      controller.close();
    },
  });

async function run(op: string, n: number, inputs: Inputs): Promise<number> {
  const fresh = op.startsWith("verify") || op.startsWith("route-auth-on") ? authenticator(inputs) : undefined;
  const auth = fresh !== undefined && op.endsWith("-remembered") ? rememberVerified(fresh, { now: () => Date.now() }) : fresh;
  const headers = new Headers({ authorization: `Bearer ${inputs.tokens.ES256}`, accept: "application/json", "user-agent": "bench" });
  const body4k = new Uint8Array(4096);
  const body256k = new Uint8Array(256 * 1024);
  const request = (withToken: boolean) => new Request("https://router.test/api/tenants/T-100/records/bench-record", { headers: withToken ? { authorization: `Bearer ${inputs.tokens.ES256}` } : {} });
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(KEY.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const ops: Record<string, () => Promise<unknown> | unknown> = {
    "sign-headers": () => signatureHeaders(KEY, signed),
    "hmac-import-key": () => crypto.subtle.importKey("raw", encoder.encode(KEY.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
    "hmac-sign-imported-key": () => crypto.subtle.sign("HMAC", hmacKey, encoder.encode("EDGE-HMAC-SHA256-V1\nGET\n/api/tenants/T-100/records/bench-record\n\nalpha\nT-100\n1700000000\n0123456789abcdef0123456789abcdef\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
    "signature-only": () => computeSignature(KEY.secret, { ...signed, timestamp: 1_700_000_000, nonce: "0123456789abcdef0123456789abcdef" }),
    "sha256-empty": () => sha256Hex(EMPTY),
    "sha256-4k": () => sha256Hex(body4k),
    "sha256-256k": () => sha256Hex(body256k),
    "verify-es256": () => auth!(`Bearer ${inputs.tokens.ES256}`),
    "verify-rs256": () => auth!(`Bearer ${inputs.tokens.RS256}`),
    "verify-es256-remembered": () => auth!(`Bearer ${inputs.tokens.ES256}`),
    "verify-es256-cold-keys": () => authenticator(inputs)(`Bearer ${inputs.tokens.ES256}`),
    "read-body-4k": () => readBody(new Response(body4k).body as never, MAX_BODY_BYTES),
    "read-body-256k": () => readBody(new Response(body256k).body as never, MAX_BODY_BYTES),
    "read-body-256k-native": () => new Response(body256k).arrayBuffer(),
    "read-body-256k-js-chunks": () => readBody(stream(256 * 1024), MAX_BODY_BYTES),
    "forwardable-headers": () => forwardableRequestHeaders(headers),
    "log-line-format": () =>
      formatRequestLog({ requestId: crypto.randomUUID(), method: "GET", path: signed.path, tenantId: "T-100", cellId: "alpha", cloud: "aws", status: 200, outcome: "proxied", durationMs: 3, attempts: 1, placement: "cache", cellEntry: "cache" }),
    "console-log": () => console.log(formatRequestLog({ requestId: "bench", method: "GET", path: signed.path, tenantId: "T-100", cellId: "alpha", cloud: "aws", status: 200, outcome: "proxied", durationMs: 3 })),
    "route-auth-off": async () => (await routeRequest(request(false), "req", routerDeps(undefined))).response.arrayBuffer(),
    "route-auth-on": async () => (await routeRequest(request(true), "req", routerDeps(auth))).response.arrayBuffer(),
    "route-auth-on-remembered": async () => (await routeRequest(request(true), "req", routerDeps(auth))).response.arrayBuffer(),
  };
  const body = ops[op];
  if (body === undefined) throw new Error(`unknown op '${op}'; ops: ${Object.keys(ops).join(", ")}`);
  for (let i = 0; i < Math.min(50, n); i++) await body(); // warm-up: key imports, JIT
  const start = performance.now();
  for (let i = 0; i < n; i++) await body();
  return performance.now() - start;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const n = Number(url.searchParams.get("n") ?? "1000");
    try {
      const totalMs = await run(op, n, (await request.json()) as Inputs);
      return Response.json({ op, n, totalMs, usPerOp: (totalMs / n) * 1000 });
    } catch (error) {
      return Response.json({ op, error: error instanceof Error ? error.message : String(error) }, { status: 500 });
    }
  },
};
