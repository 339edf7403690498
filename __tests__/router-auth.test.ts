import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Headers, PROBLEM_CONTENT_TYPE, problemCode, type SigningKey } from "../contract";
import { startLocalIssuer, type LocalIssuer } from "../sandbox/issuer";
import { coreCell } from "./support/core-cell";
import { closeServer, startHttpCell, type HttpCell } from "./support/http-cell";
import { startRouter, type RouterHarness, type RouterReply } from "./support/router-harness";

/**
 * Client authentication at the edge: the bundled Worker in workerd verifies bearer JWTs (jose) against
 * a local issuer's key set served on loopback, and takes the tenant from the token.
 *
 * - `jwt`: RS256 and ES256, the sandbox's issuer and audience, tenant claim `tenant_id`;
 * - `es256`: ES256 only, tenant claim `https://cells.example.com/tenant` (a namespaced claim);
 * - `rotation`: as `jwt`, used by the key rotation test alone (its isolate has seen no unknown `kid` before);
 * - `nokeys`: its key set URL is a closed port.
 */

const ALPHA_KEY: SigningKey = { keyId: "alpha-v1", secret: "alpha-secret-0123456789abcdef" };
const NAMESPACED_CLAIM = "https://cells.example.com/tenant";

let router: RouterHarness;
let issuer: LocalIssuer;
let alpha: HttpCell;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  alpha = await startHttpCell(coreCell({ cellId: "alpha", cloud: "aws", key: ALPHA_KEY, activeTenants: "all" }).handler);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
  const closedPort = (closed.address() as AddressInfo).port;
  await closeServer(closed);

  const jwt = { ROUTER_MODE: "local", AUTH_MODE: "jwt", AUTH_ISSUER: issuer.issuer, AUTH_AUDIENCE: `other-api, ${issuer.audience}`, AUTH_JWKS_URL: issuer.jwksUrl } as const;
  router = await startRouter([
    { name: "jwt", settings: jwt, keys: { alpha: ALPHA_KEY } },
    { name: "es256", settings: { ...jwt, AUTH_ALGORITHMS: "ES256", AUTH_TENANT_CLAIM: NAMESPACED_CLAIM }, keys: { alpha: ALPHA_KEY } },
    { name: "rotation", settings: jwt, keys: { alpha: ALPHA_KEY } },
    { name: "nokeys", settings: { ...jwt, AUTH_JWKS_URL: `http://127.0.0.1:${closedPort}/jwks.json` }, keys: { alpha: ALPHA_KEY } },
  ]);
  await router.seed(
    [{ cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url }],
    [
      { tenantId: "T-100", cellId: "alpha" },
      { tenantId: "T-200", cellId: "alpha" },
    ],
  );
});

afterAll(async () => {
  await router?.dispose();
  await Promise.all([alpha?.close(), issuer?.close()]);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (path: string, headers: Record<string, string> = {}, instance = "jwt") => router.send(instance, path, { headers });
const now = () => Math.floor(Date.now() / 1000);

function expectProblem(reply: RouterReply, status: number, code: string): any {
  expect({ status: reply.status, code: problemCode(reply.json) }).toEqual({ status, code });
  expect(reply.headers["content-type"]).toContain(PROBLEM_CONTENT_TYPE);
  expect(reply.body).not.toMatch(/eyJ/); // never the token
  return reply.json;
}

function expectRefused(reply: RouterReply, detail: RegExp): void {
  expect(expectProblem(reply, 401, "invalid_token").detail).toMatch(detail);
  expect(reply.headers["www-authenticate"]).toMatch(/^Bearer realm="cells", error="invalid_(token|request)", error_description="[^"]+"$/);
}

/** A token with a header and claims of our choosing and no valid signature scheme: `alg: none`, or HS256 with a made-up secret. */
function unsignedToken(alg: "none" | "HS256", claims: Record<string, unknown>): string {
  const input = `${Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return alg === "none" ? `${input}.` : `${input}.${createHmac("sha256", "guessable").update(input).digest("base64url")}`;
}

const validClaims = () => ({ iss: issuer.issuer, aud: issuer.audience, exp: now() + 600, tenant_id: "T-100" });

describe("a valid token", () => {
  test.each<["ES256" | "RS256"]>([["ES256"], ["RS256"]])("signed %s: the request reaches the tenant's cell, without the token", async (alg) => {
    const reply = await get("/api/tenants/T-100/records", bearer(issuer.mint("T-100", { alg })));
    expect({ status: reply.status, cell: reply.headers[Headers.cellId] }).toEqual({ status: 200, cell: "alpha" });
    const seen = alpha.received.at(-1)!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers[Headers.tenantId]).toBe("T-100");
  });

  test("the token names the tenant: a request that names none is routed to the token's tenant", async () => {
    const reply = await router.send("jwt", "/api/process", { method: "POST", body: JSON.stringify({ tenant_id: "T-100" }), headers: bearer(issuer.mint("T-100")) });
    expect(reply.status).toBe(200);
    const bare = await router.send("jwt", "/api/process", { method: "POST", body: "{}", headers: bearer(issuer.mint("T-100")) });
    expect(alpha.received.at(-1)!.headers[Headers.tenantId]).toBe("T-100"); // signed for the token's tenant
    expect(bare.headers[Headers.cellId]).toBe("alpha");
  });

  test("the log line names the token's subject and never the token", async () => {
    const token = issuer.mint("T-100");
    const reply = await get("/api/tenants/T-100/records", bearer(token));
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = router.logs.find((l) => l.requestId === reply.headers[Headers.requestId]);
      if (!line) await new Promise((r) => setTimeout(r, 20));
    }
    expect(line).toEqual(expect.objectContaining({ subject: "client-of-T-100", tenantId: "T-100", status: 200 }));
    expect(JSON.stringify(router.logs)).not.toContain(token.split(".")[2]!);
  });

  test("the health route stays open", async () => {
    const reply = await get("/healthz", { [Headers.tenantId]: "T-100" });
    expect({ status: reply.status, body: reply.json }).toEqual({ status: 200, body: { status: "ok", cell_id: "alpha", cloud: "aws" } });
  });

  test("a namespaced tenant claim and an algorithm list are honoured", async () => {
    const token = issuer.mint(undefined, { claims: { [NAMESPACED_CLAIM]: "T-100" } });
    expect((await get("/api/tenants/T-100/records", bearer(token), "es256")).status).toBe(200);
    expectRefused(await get("/api/tenants/T-100/records", bearer(issuer.mint(undefined, { alg: "RS256", claims: { [NAMESPACED_CLAIM]: "T-100" } })), "es256"), /algorithm is not accepted/);
  });
});

describe("a token for another tenant: 403", () => {
  test.each([
    ["the path", "/api/tenants/T-200/records", {}],
    ["the X-Tenant-Id header", "/api/tenants/T-100/records", { [Headers.tenantId]: "T-200" }],
  ])("T-100's token, T-200 in %s", async (_where, path, headers) => {
    const before = alpha.received.length;
    const reply = await get(path, { ...headers, ...bearer(issuer.mint("T-100")) });
    expect(expectProblem(reply, 403, "tenant_forbidden").detail).toMatch(/token grants tenant 'T-100' but the (path|header) names 'T-200'/);
    expect(reply.headers["www-authenticate"]).toMatch(/^Bearer realm="cells", error="insufficient_scope"/);
    expect(alpha.received.length).toBe(before);
  });

  test("T-100's token, T-200 in the body", async () => {
    const reply = await router.send("jwt", "/api/process", { method: "POST", body: JSON.stringify({ tenant_id: "T-200" }), headers: bearer(issuer.mint("T-100")) });
    expectProblem(reply, 403, "tenant_forbidden");
  });
});

describe("refused tokens: 401 with WWW-Authenticate, and the cell is never called", () => {
  let before = 0;
  beforeEach(() => {
    before = alpha.received.length;
  });
  afterEach(() => {
    expect(alpha.received.length).toBe(before);
  });

  test("no token", async () => {
    const reply = await get("/api/tenants/T-100/records");
    expect(expectProblem(reply, 401, "invalid_token").detail).toMatch(/send a bearer token/);
    expect(reply.headers["www-authenticate"]).toBe('Bearer realm="cells"');
  });

  test.each([
    ["not a bearer header", { authorization: "Basic dXNlcjpwYXNz" }, /must be 'Bearer <token>'/],
    ["not a JWT", bearer("not-a-jwt"), /not a well-formed/],
  ])("%s", async (_label, headers, detail) => {
    expectRefused(await get("/api/tenants/T-100/records", headers), detail);
  });

  test.each<[string, () => string, RegExp]>([
    ["expired", () => issuer.mint("T-100", { claims: { exp: now() - 120 } }), /expired/],
    ["not yet valid", () => issuer.mint("T-100", { claims: { nbf: now() + 300 } }), /claim .*nbf/],
    ["from another issuer", () => issuer.mint("T-100", { claims: { iss: "https://evil.example.com/" } }), /claim .*iss/],
    ["for another audience", () => issuer.mint("T-100", { claims: { aud: "someone-else" } }), /claim .*aud/],
    ["without exp", () => issuer.mint("T-100", { claims: { exp: undefined } }), /claim .*exp/],
    ["signed with a key the issuer never published", () => issuer.mint("T-100", { forged: true }), /signature does not verify/],
    ["with alg none", () => unsignedToken("none", validClaims()), /algorithm is not accepted/],
    ["signed with HS256 (a shared secret)", () => unsignedToken("HS256", validClaims()), /algorithm is not accepted/],
    ["whose kid the issuer does not publish", () => issuer.mint("T-100", { header: { kid: "ghost" } }), /key the issuer does not publish/],
    ["without the tenant claim", () => issuer.mint(undefined), /no tenant_id claim/],
    ["whose tenant claim is not a tenant id", () => issuer.mint("T-100", { claims: { tenant_id: 100 } }), /no tenant_id claim/],
  ])("a token %s", async (_label, token, detail) => {
    expectRefused(await get("/api/tenants/T-100/records", bearer(token())), detail);
  });
});

describe("the issuer's keys", () => {
  test("are fetched once and cached in the isolate", async () => {
    await get("/api/tenants/T-100/records", bearer(issuer.mint("T-100")));
    const fetches = issuer.jwksFetches;
    for (let i = 0; i < 5; i++) expect((await get("/api/tenants/T-100/records", bearer(issuer.mint("T-100", { alg: i % 2 ? "RS256" : "ES256" })))).status).toBe(200);
    expect(issuer.jwksFetches).toBe(fetches);
  });

  test("a rotated key (unknown kid) is fetched at once, exactly once; another unknown kid right after is refused without a fetch", async () => {
    const send = (token: string) => get("/api/tenants/T-100/records", bearer(token), "rotation");
    expect((await send(issuer.mint("T-100"))).status).toBe(200);
    const fetches = issuer.jwksFetches;
    issuer.rotate("ES256");
    expect((await send(issuer.mint("T-100"))).status).toBe(200);
    expect(issuer.jwksFetches).toBe(fetches + 1);
    expect((await send(issuer.mint("T-100"))).status).toBe(200);
    expectRefused(await send(issuer.mint("T-100", { header: { kid: "ghost-2" } })), /does not publish/);
    expect(issuer.jwksFetches).toBe(fetches + 1);
  });

  test("unreachable with nothing cached: 503 auth_unavailable with Retry-After", async () => {
    const reply = await get("/api/tenants/T-100/records", bearer(issuer.mint("T-100")), "nokeys");
    expectProblem(reply, 503, "auth_unavailable");
    expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
  });
});
