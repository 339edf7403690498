import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Headers, MAX_HEADER_BYTES, MAX_URL_BYTES, PROBLEM_CONTENT_TYPE, problemCode, verifySignature, type CellPlacement, type SigningKey, type TenantPlacement } from "../contract";
import { coreCell } from "./support/core-cell";
import { closeServer, startHttpCell, type HttpCell } from "./support/http-cell";
import { startRouter, type RouterHarness, type RouterReply } from "./support/router-harness";

/**
 * The bundled Worker (`bundle(ROUTER_BUNDLE)`, the artifact the edge stack deploys) in workerd through
 * Miniflare, in front of real HTTP cells on loopback: two core cells on in-memory stores (alpha on
 * "aws", beta on "azure") that verify every request with the cells' own verification code, plus
 * misbehaving servers (refusing, hanging, answering like a platform error page).
 *
 * Router instances share one registry (one KV namespace) and differ in settings:
 * - `main`: local mode, 300 ms cell timeout, 60 s caches (so "still cached" cannot flake);
 * - `short`: local mode, 200 ms cache, 100 ms negative cache (registry changes are seen soon);
 * - `cloud`: cloud mode (https only); `wrongkey`: alpha's key with the wrong secret;
 * - `badconfig`: an invalid setting.
 */

const ALPHA_KEY: SigningKey = { keyId: "alpha-v1", secret: "alpha-secret-0123456789abcdef" };
const BETA_KEY: SigningKey = { keyId: "beta-v1", secret: "beta-secret-0123456789abcdef" };
const OTHER_KEY = (cellId: string): SigningKey => ({ keyId: `${cellId}-v1`, secret: `${cellId}-secret-0123456789` });

const LOCAL = { ROUTER_MODE: "local", CELL_TIMEOUT_MS: "300", AUTH_MODE: "none" } as const;

let router: RouterHarness;
let alpha: HttpCell;
let beta: HttpCell;
let draining: HttpCell;
const extraServers: Server[] = [];
const headRequests: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
const HEAD_KEY: SigningKey = { keyId: "headcell-v1", secret: "headcell-secret-0123456789" };

/** A server on loopback answering with `handler`; closed in afterAll. */
async function startServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  extraServers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback URL nobody listens on: a port that was free a moment ago. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });

function expectProblem(reply: RouterReply, status: number, code: string): any {
  expect({ status: reply.status, code: problemCode(reply.json) }).toEqual({ status, code });
  expect(reply.headers["content-type"]).toContain(PROBLEM_CONTENT_TYPE);
  expect(reply.json).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String), requestId: reply.headers[Headers.requestId] }));
  expect(reply.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|worker\.js/); // never a stack trace
  return reply.json;
}

function expectRoutedTo(reply: RouterReply, cellId: string, cloud: string): void {
  expect({ status: reply.status, cell: reply.headers[Headers.cellId], cloud: reply.headers[Headers.processedByCloud] }).toEqual({ status: expect.any(Number), cell: cellId, cloud });
  expect(reply.status).toBeLessThan(400);
  expect(reply.headers[Headers.requestId]).toMatch(/^[0-9a-f-]{36}$/);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends until `done(reply)` holds (at most ~10 s); returns the last reply. Waits, never asserts on time. */
async function eventually(send: () => Promise<RouterReply>, done: (reply: RouterReply) => boolean): Promise<RouterReply> {
  let reply = await send();
  for (let i = 0; i < 100 && !done(reply); i++) {
    await sleep(100);
    reply = await send();
  }
  return reply;
}

beforeAll(async () => {
  const alphaCell = coreCell({ cellId: "alpha", cloud: "aws", key: ALPHA_KEY, activeTenants: "all" });
  const betaCell = coreCell({ cellId: "beta", cloud: "azure", key: BETA_KEY, activeTenants: "all" });
  alpha = await startHttpCell(alphaCell.handler);
  beta = await startHttpCell(betaCell.handler);
  draining = await startHttpCell(coreCell({ cellId: "drain", cloud: "aws", key: OTHER_KEY("drain"), activeTenants: "all" }).handler);

  const hanging = await startServer(() => undefined); // accepts, never answers
  const slowBody = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", [Headers.cellId]: "slow" });
    res.write('{"records":['); // then nothing more
  });
  const apiGatewayError = await startServer((_req, res) => {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Internal Server Error" }));
  });
  const plainError = await startServer((_req, res) => {
    res.writeHead(502, { "content-type": "text/plain", [Headers.cellId]: "delta" });
    res.end("upstream connect error");
  });
  // A cell's platform shedding load: API Gateway's throttling answer (no x-cell-id), a Functions host
  // that is scaling (text, with the cell's id), and the cell's own 503 problem (passes as is).
  const throttling = await startServer((_req, res) => {
    res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
    res.end(JSON.stringify({ message: "Too Many Requests" }));
  });
  const scaling = await startServer((_req, res) => {
    res.writeHead(503, { "content-type": "text/html", [Headers.cellId]: "scaling" });
    res.end("<html>Service Unavailable</html>");
  });
  const fenced = await startServer((req, res) => {
    res.writeHead(503, { "content-type": PROBLEM_CONTENT_TYPE, [Headers.cellId]: "fenced", "retry-after": "2" });
    res.end(JSON.stringify({ type: "urn:problem-type:cells:tenant_fenced", title: "fenced", status: 503, detail: "writes paused", requestId: req.headers[Headers.requestId] }));
  });
  // A record route that answers HEAD as the cells do (GET semantics, no body), recording what arrived.
  const headCell = await startServer((req, res) => {
    headRequests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers as Record<string, string> });
    const body = JSON.stringify({ tenant_id: "T-HEAD", record_id: "r1", version: 3, data: { n: 1 } });
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), [Headers.cellId]: "headcell", etag: '"3"' });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  const problemError = await startServer((req, res) => {
    res.writeHead(500, { "content-type": PROBLEM_CONTENT_TYPE, [Headers.cellId]: "epsilon", [Headers.processedByCloud]: "azure" });
    res.end(JSON.stringify({ type: "urn:problem-type:cells:internal", title: "Internal error", status: 500, detail: "store down", requestId: req.headers[Headers.requestId] }));
  });

  const cells: CellPlacement[] = [
    { cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url },
    { cellId: "beta", cloud: "azure", region: "eastus", url: beta.url },
    { cellId: "drain", cloud: "aws", region: "us-east-1", url: draining.url, status: "draining" },
    { cellId: "down", cloud: "azure", region: "eastus", url: beta.url, status: "down" },
    { cellId: "dead", cloud: "aws", region: "us-east-1", url: await closedPortUrl() },
    { cellId: "hang", cloud: "azure", region: "eastus", url: hanging },
    { cellId: "slow", cloud: "azure", region: "eastus", url: slowBody },
    // gamma's URL points at alpha: alpha refuses gamma's signature and names itself, the router must not pass that on
    { cellId: "gamma", cloud: "aws", region: "us-east-1", url: alpha.url },
    { cellId: "apigw", cloud: "aws", region: "us-east-1", url: apiGatewayError },
    { cellId: "delta", cloud: "aws", region: "us-east-1", url: plainError },
    { cellId: "epsilon", cloud: "azure", region: "eastus", url: problemError },
    { cellId: "nokey", cloud: "aws", region: "us-east-1", url: alpha.url },
    { cellId: "remote", cloud: "aws", region: "us-east-1", url: "http://cells.example.com" },
    { cellId: "throttle", cloud: "aws", region: "us-east-1", url: throttling },
    { cellId: "scaling", cloud: "azure", region: "eastus", url: scaling },
    { cellId: "fenced", cloud: "azure", region: "eastus", url: fenced },
    { cellId: "headcell", cloud: "aws", region: "us-east-1", url: headCell },
  ];
  const tenants: TenantPlacement[] = [
    { tenantId: "T-100", cellId: "alpha" },
    { tenantId: "T-200", cellId: "beta" },
    { tenantId: "T-DRAIN", cellId: "drain" },
    { tenantId: "T-DOWN", cellId: "down" },
    { tenantId: "T-RO", cellId: "alpha", status: "read_only" },
    { tenantId: "T-MIG", cellId: "alpha", status: "migrating" },
    { tenantId: "T-DEAD", cellId: "dead" },
    { tenantId: "T-HANG", cellId: "hang" },
    { tenantId: "T-SLOW", cellId: "slow" },
    { tenantId: "T-GAMMA", cellId: "gamma" },
    { tenantId: "T-APIGW", cellId: "apigw" },
    { tenantId: "T-DELTA", cellId: "delta" },
    { tenantId: "T-EPS", cellId: "epsilon" },
    { tenantId: "T-NOKEY", cellId: "nokey" },
    { tenantId: "T-REMOTE", cellId: "remote" },
    { tenantId: "T-HOT", cellId: "alpha" },
    { tenantId: "T-MOVE", cellId: "alpha" },
    { tenantId: "T-THROTTLE", cellId: "throttle" },
    { tenantId: "T-SCALING", cellId: "scaling" },
    { tenantId: "T-FENCED", cellId: "fenced" },
    { tenantId: "T-HEAD", cellId: "headcell" },
  ];
  const allKeys = Object.fromEntries(
    ["drain", "down", "dead", "hang", "slow", "gamma", "apigw", "delta", "epsilon", "remote", "throttle", "scaling", "fenced"].map((id) => [id, OTHER_KEY(id)]),
  );
  router = await startRouter([
    { name: "main", settings: { ...LOCAL, REGISTRY_CACHE_TTL_MS: "60000", REGISTRY_NEGATIVE_TTL_MS: "60000" }, keys: { alpha: ALPHA_KEY, beta: BETA_KEY, headcell: HEAD_KEY, ...allKeys } },
    { name: "short", settings: { ...LOCAL, REGISTRY_CACHE_TTL_MS: "200", REGISTRY_NEGATIVE_TTL_MS: "100" }, keys: { alpha: ALPHA_KEY, beta: BETA_KEY } },
    { name: "cloud", settings: { CELL_TIMEOUT_MS: "300", AUTH_MODE: "none" }, keys: { alpha: ALPHA_KEY, beta: BETA_KEY } },
    { name: "wrongkey", settings: LOCAL, keys: { alpha: { keyId: ALPHA_KEY.keyId, secret: "not-alphas-secret-0123456789" } } },
    { name: "badconfig", settings: { ...LOCAL, CELL_TIMEOUT_MS: "soon" }, keys: { alpha: ALPHA_KEY } },
  ]);
  await router.seed(cells, tenants);
  // Entries the builder would never write, as a hand edit or a bad deploy might leave them.
  await router.putRaw("tenant:T-BADJSON", "{not json");
  await router.putRaw("tenant:T-BADV", JSON.stringify({ v: 2, tenantId: "T-BADV", cellId: "alpha", status: "active", epoch: 1 }));
  await router.putRaw("tenant:T-OTHER", JSON.stringify({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 }));
  await router.putRaw("tenant:T-NOCELL", JSON.stringify({ v: 1, tenantId: "T-NOCELL", cellId: "omega", status: "active", epoch: 1 }));
  await router.putRaw("tenant:T-BADCELL", JSON.stringify({ v: 1, tenantId: "T-BADCELL", cellId: "broken", status: "active", epoch: 1 }));
  await router.putRaw("cell:broken", JSON.stringify({ v: 1, cellId: "broken", cloud: "gcp", region: "x", url: alpha.url, status: "active" }));
  await router.putRaw("tenant:T-LIAR", JSON.stringify({ v: 1, tenantId: "T-LIAR", cellId: "liar", status: "active", epoch: 1 }));
  await router.putRaw("cell:liar", JSON.stringify({ v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url, status: "active" }));
  await router.putRaw("tenant:T-CELLJSON", JSON.stringify({ v: 1, tenantId: "T-CELLJSON", cellId: "garbled", status: "active", epoch: 1 }));
  await router.putRaw("cell:garbled", "<<<");
});

afterAll(async () => {
  await router?.dispose();
  await Promise.all([alpha?.close(), beta?.close(), draining?.close(), ...extraServers.map(closeServer)]);
});

const send = (path: string, init?: Parameters<RouterHarness["send"]>[2]) => router.send("main", path, init);

describe("routing to the tenant's cell", () => {
  test("T-100 goes to alpha (aws) and T-200 to beta (azure)", async () => {
    const a = await send("/api/process", { method: "POST", ...json({ tenant_id: "T-100", payload: { n: 1 } }) });
    expectRoutedTo(a, "alpha", "aws");
    expect(a.json).toEqual(expect.objectContaining({ status: "processed", tenant_id: "T-100", cell_id: "alpha", cloud: "aws", request_id: a.headers[Headers.requestId] }));

    const b = await send("/api/process", { method: "POST", ...json({ tenant_id: "T-200" }) });
    expectRoutedTo(b, "beta", "azure");
    expect(b.json).toEqual(expect.objectContaining({ tenant_id: "T-200", cell_id: "beta", cloud: "azure" }));
  });

  test("a write then a read through the router land in the tenant's own cell", async () => {
    const put = await send("/api/tenants/T-200/records/order-1", { method: "PUT", ...json({ data: { qty: 2 } }) });
    expectRoutedTo(put, "beta", "azure");
    expect(put.status).toBe(201);
    const get = await send("/api/tenants/T-200/records/order-1");
    expectRoutedTo(get, "beta", "azure");
    expect(get.json).toEqual(expect.objectContaining({ tenant_id: "T-200", record_id: "order-1", version: 1, data: { qty: 2 } }));
    expect(alpha.received.some((r) => r.path.includes("T-200"))).toBe(false);
  });

  test("method, path, query and body bytes reach the cell as the client sent them", async () => {
    const body = JSON.stringify({ data: { note: "h\u00e9llo \u2603" } });
    await send("/api/tenants/T-100/records/bytes-1", { method: "PUT", body, headers: { "content-type": "application/json" } });
    const put = alpha.received.at(-1)!;
    expect({ method: put.method, path: put.path, body: Buffer.from(put.body).toString("utf8") }).toEqual({ method: "PUT", path: "/api/tenants/T-100/records/bytes-1", body });

    const list = await send("/api/tenants/T-100/records?limit=1&tag=a%20b");
    expect(alpha.received.at(-1)!.query).toBe("limit=1&tag=a%20b");
    expect(list.status).toBe(200);
    expect(list.json.records).toHaveLength(1);
  });

  test("client headers such as Idempotency-Key pass through: a retried write is replayed by the cell", async () => {
    const write = () => send("/api/tenants/T-100/records/idem-1", { method: "PUT", ...json({ data: { n: 1 } }), headers: { "content-type": "application/json", [Headers.idempotencyKey]: "k-1" } });
    const first = await write();
    const retry = await write();
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
  });

  test("a cell's own 5xx problem passes through with the router's headers", async () => {
    const reply = await send("/api/tenants/T-EPS/records/r");
    expect(expectProblem(reply, 500, "internal").detail).toBe("store down");
    expect(reply.headers[Headers.cellId]).toBe("epsilon");
  });
});

describe("finding the tenant", () => {
  test("from the X-Tenant-Id header alone", async () => {
    const reply = await send("/healthz", { headers: { "x-tenant-id": "T-200" } });
    expectRoutedTo(reply, "beta", "azure");
    expect(reply.json).toEqual({ status: "ok", cell_id: "beta", cloud: "azure" });
    expect(beta.received.at(-1)!.headers[Headers.tenantId]).toBe("T-200");
  });

  test("from the path", async () => {
    const reply = await send("/api/tenants/T-100/records");
    expectRoutedTo(reply, "alpha", "aws");
    expect(reply.json).toEqual(expect.objectContaining({ records: expect.any(Array) }));
  });

  test("from the body's tenant_id (the seed's POST /api/process)", async () => {
    expectRoutedTo(await send("/api/process", { method: "POST", ...json({ tenant_id: "T-100" }) }), "alpha", "aws");
  });

  test("header, path and body may all name it, if they agree", async () => {
    const reply = await send("/api/tenants/T-100/records/agree-1", { method: "PUT", body: JSON.stringify({ tenant_id: "T-100", data: {} }), headers: { "x-tenant-id": "T-100" } });
    expectRoutedTo(reply, "alpha", "aws");
  });

  test.each([
    ["header and path disagree", "/api/tenants/T-100/records", { headers: { "x-tenant-id": "T-200" } }],
    ["path and body disagree", "/api/tenants/T-100/records/x", { method: "PUT", body: JSON.stringify({ tenant_id: "T-200", data: {} }) }],
    ["header and body disagree", "/api/process", { method: "POST", body: JSON.stringify({ tenant_id: "T-200" }), headers: { "x-tenant-id": "T-100" } }],
  ])("%s: 400 tenant_conflict, no cell is called", async (_label, path, init) => {
    const before = alpha.received.length + beta.received.length;
    expectProblem(await send(path, init), 400, "tenant_conflict");
    expect(alpha.received.length + beta.received.length).toBe(before);
  });

  test("no tenant anywhere: 400 missing_tenant", async () => {
    expectProblem(await send("/healthz"), 400, "missing_tenant");
    expectProblem(await send("/api/process", { method: "POST", ...json({ payload: 1 }) }), 400, "missing_tenant");
  });

  test("a body that is not JSON, when only the body could name the tenant: 400 invalid_json", async () => {
    expectProblem(await send("/api/process", { method: "POST", body: "{oops", headers: { "content-type": "application/json" } }), 400, "invalid_json");
  });

  test("a tenant id that breaks the pattern: 400", async () => {
    expectProblem(await send("/healthz", { headers: { "x-tenant-id": "T 100!" } }), 400, "invalid_request");
    expectProblem(await send("/api/process", { method: "POST", ...json({ tenant_id: 100 }) }), 400, "invalid_request");
  });

  test("an unknown tenant: 404 unknown_tenant", async () => {
    expectProblem(await send("/api/tenants/T-NOBODY/records"), 404, "unknown_tenant");
  });
});

describe("limits and statuses", () => {
  const oversize = "x".repeat(256 * 1024 + 1);

  test("a body over the limit is 413, whether Content-Length says so or not, and never reaches the cell", async () => {
    const before = alpha.received.length;
    expectProblem(await send("/api/process", { method: "POST", body: oversize, headers: { "content-length": String(oversize.length), "x-tenant-id": "T-100" } }), 413, "payload_too_large");

    const chunks = [oversize.slice(0, 100_000), oversize.slice(100_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await send("/api/process", { method: "POST", body: stream, duplex: "half", headers: { "x-tenant-id": "T-100" } } as never);
    expectProblem(streamed, 413, "payload_too_large");
    expect(alpha.received.length).toBe(before);
  });

  test("a body at the limit is forwarded", async () => {
    const atLimit = JSON.stringify({ tenant_id: "T-100", pad: "" });
    const padded = atLimit.replace('"pad":""', `"pad":"${"y".repeat(256 * 1024 - atLimit.length)}"`);
    expect(padded.length).toBe(256 * 1024);
    expectRoutedTo(await send("/api/process", { method: "POST", body: padded }), "alpha", "aws");
  });

  test("a down cell: 503 cell_unavailable with Retry-After", async () => {
    const reply = await send(`/api/tenants/T-DOWN/records`);
    expectProblem(reply, 503, "cell_unavailable");
    expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
  });

  test("a draining cell keeps serving its tenants (it only takes no new ones)", async () => {
    expectRoutedTo(await send(`/api/tenants/T-DRAIN/records`), "drain", "aws");
  });

  test("a read-only tenant: reads pass, writes get 503 tenant_not_writable with Retry-After", async () => {
    expectRoutedTo(await send("/api/tenants/T-RO/records"), "alpha", "aws");
    const write = await send("/api/tenants/T-RO/records/r", { method: "PUT", ...json({ data: {} }) });
    expectProblem(write, 503, "tenant_not_writable");
    expect(Number(write.headers[Headers.retryAfter])).toBeGreaterThan(0);
    expect(alpha.received.some((r) => r.method === "PUT" && r.path.includes("T-RO"))).toBe(false);
  });

  test("a migrating tenant: 503 with Retry-After, reads and writes alike", async () => {
    for (const init of [{}, { method: "PUT", ...json({ data: {} }) }]) {
      const reply = await send("/api/tenants/T-MIG/records/r", init);
      expectProblem(reply, 503, "tenant_migrating");
      expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
    }
  });
});

describe("exact statuses", () => {
  const tenMiB = new Uint8Array(10 * 1024 * 1024).fill(0x61);

  test("a URL over the limit is a 414 from the router; the cell is never called", async () => {
    const before = alpha.received.length;
    const reply = await send(`/api/tenants/T-100/records?q=${"x".repeat(MAX_URL_BYTES)}`);
    expectProblem(reply, 414, "uri_too_long");
    expect(alpha.received.length).toBe(before);
    expectRoutedTo(await send(`/api/tenants/T-100/records?q=${"x".repeat(MAX_URL_BYTES - 100)}`), "alpha", "aws");
  });

  test("headers over the limit are a 431 from the router; the cell is never called", async () => {
    const before = alpha.received.length;
    const reply = await send("/api/tenants/T-100/records", { headers: { "x-pad": "p".repeat(MAX_HEADER_BYTES) } });
    expectProblem(reply, 431, "headers_too_large");
    expect(alpha.received.length).toBe(before);
    expectRoutedTo(await send("/api/tenants/T-100/records", { headers: { "x-pad": "p".repeat(MAX_HEADER_BYTES - 500) } }), "alpha", "aws");
  });

  /** POSTs `body` with Node's fetch to the router's own HTTP port, as a client on the network would. */
  async function postOverHttp(path: string, body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<string> {
    const origin = (await router.mf.ready).origin;
    try {
      const response = await fetch(`${origin}${path}`, { method: "POST", body, headers, duplex: "half" } as RequestInit);
      const text = await response.text();
      return `${response.status} ${problemCode(JSON.parse(text)) ?? "?"}`;
    } catch (error) {
      return `failed: ${(error as { cause?: { code?: string } }).cause?.code ?? String(error)}`;
    }
  }

  const chunked = (bytes: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.byteLength; i += 1024 * 1024) controller.enqueue(bytes.subarray(i, i + 1024 * 1024));
        controller.close();
      },
    });

  test("a 10 MB body gets its 413 every time, with or without Content-Length (not a connection reset)", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await postOverHttp("/api/process", tenMiB, { "x-tenant-id": "T-100" }));
    for (let i = 0; i < 3; i++) outcomes.push(await postOverHttp("/api/process", chunked(tenMiB), { "x-tenant-id": "T-100" }));
    expect(outcomes).toEqual(Array(9).fill("413 payload_too_large"));
  });

  test("any answer given before the body is read reaches the client whole (here a 414 to a 10 MB upload)", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await postOverHttp(`/api/process?q=${"x".repeat(MAX_URL_BYTES)}`, tenMiB, { "x-tenant-id": "T-100" }));
    expect(outcomes).toEqual(Array(4).fill("414 uri_too_long"));
  });

  test("HEAD on a record works end to end: signed as a HEAD, answered with the headers and no body", async () => {
    const reply = await send("/api/tenants/T-HEAD/records/r1", { method: "HEAD" });
    expect({ status: reply.status, body: reply.body, cell: reply.headers[Headers.cellId], etag: reply.headers.etag, type: reply.headers["content-type"] }).toEqual({
      status: 200,
      body: "",
      cell: "headcell",
      etag: '"3"',
      type: "application/json",
    });
    const seen = headRequests.at(-1)!;
    expect(seen.method).toBe("HEAD");
    const fields = { method: "HEAD", path: "/api/tenants/T-HEAD/records/r1", query: "", cellId: "headcell", tenantId: "T-HEAD", timestamp: Number(seen.headers[Headers.timestamp]), nonce: seen.headers[Headers.nonce]!, body: new Uint8Array() };
    expect(await verifySignature(HEAD_KEY.secret, fields, seen.headers[Headers.signature]!)).toBe(true);
  });

  test("a platform's 429 without the cell's problem body becomes the router's 429 with the platform's Retry-After, not a 502", async () => {
    const reply = await send("/api/tenants/T-THROTTLE/records");
    expectProblem(reply, 429, "cell_throttled");
    expect(reply.headers[Headers.retryAfter]).toBe("7");
  });

  test("a cell's 503 that is not its problem+json becomes the router's 503 with a Retry-After, not a 502", async () => {
    const reply = await send("/api/tenants/T-SCALING/records");
    expectProblem(reply, 503, "cell_busy");
    expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
  });

  test("a cell's own 503 problem passes through untouched, with its Retry-After", async () => {
    const reply = await send("/api/tenants/T-FENCED/records/r", { method: "PUT", ...json({ data: {} }) });
    expect(expectProblem(reply, 503, "tenant_fenced").detail).toBe("writes paused");
    expect(reply.headers[Headers.retryAfter]).toBe("2");
    expect(reply.headers[Headers.processedByCloud]).toBe("azure");
  });

  test("router errors carry X-Request-Id, X-Cell-Id once a cell was chosen, and never X-Processed-By-Cloud", async () => {
    const noTenant = await send("/api/tenants/T-NOBODY/records");
    expect(noTenant.headers[Headers.requestId]).toMatch(/^[0-9a-f-]{36}$/);
    expect(noTenant.headers[Headers.cellId]).toBeUndefined();
    expect(noTenant.headers[Headers.processedByCloud]).toBeUndefined();
    const cellDown = await send("/api/tenants/T-DEAD/records");
    expect({ cell: cellDown.headers[Headers.cellId], cloud: cellDown.headers[Headers.processedByCloud] }).toEqual({ cell: "dead", cloud: undefined });
  });
});

describe("registry entries the router will not trust: 502 registry_invalid", () => {
  test.each([
    ["tenant entry that is not JSON", "T-BADJSON", "tenant:T-BADJSON"],
    ["tenant entry of another version", "T-BADV", "tenant:T-BADV"],
    ["tenant entry that names another tenant", "T-OTHER", "tenant:T-OTHER"],
    ["cell entry with an unknown cloud", "T-BADCELL", "cell:broken"],
    ["cell entry whose cellId is not its key's", "T-LIAR", "cell:liar"],
    ["cell entry that is not JSON", "T-CELLJSON", "cell:garbled"],
    ["tenant on a cell with no entry", "T-NOCELL", "cell:omega"],
    ["http cell URL off loopback, even in local mode", "T-REMOTE", "cell:remote"],
  ])("%s", async (_label, tenantId, registryKey) => {
    const reply = await send(`/api/tenants/${tenantId}/records`);
    const body = expectProblem(reply, 502, "registry_invalid");
    expect(body.detail).toContain(registryKey);
  });

  test("cloud mode refuses a plain-http cell URL, even on loopback", async () => {
    const before = alpha.received.length;
    expect(expectProblem(await router.send("cloud", "/api/tenants/T-100/records"), 502, "registry_invalid").detail).toContain("cell:alpha");
    expect(alpha.received.length).toBe(before);
  });

  test("a cell the router holds no key for", async () => {
    expect(expectProblem(await send("/api/tenants/T-NOKEY/records"), 502, "registry_invalid").detail).toContain("no signing key");
  });
});

describe("cells that fail", () => {
  test("a cell that refuses connections: 502 bad_gateway; a read is tried twice, a write once", async () => {
    const read = await send("/api/tenants/T-DEAD/records");
    expectProblem(read, 502, "bad_gateway");
    const write = await send("/api/tenants/T-DEAD/records/r", { method: "PUT", ...json({ data: {} }) });
    expectProblem(write, 502, "bad_gateway");
    expect((await waitForLog(read.headers[Headers.requestId]!))?.attempts).toBe(2);
    expect((await waitForLog(write.headers[Headers.requestId]!))?.attempts).toBe(1);
  });

  test("a cell that never answers: 504 gateway_timeout (CELL_TIMEOUT_MS is 300 here)", async () => {
    expectProblem(await send("/api/tenants/T-HANG/records"), 504, "gateway_timeout");
    expectProblem(await send("/api/tenants/T-HANG/records/r", { method: "PUT", ...json({ data: {} }) }), 504, "gateway_timeout");
  });

  test("a cell that sends its headers and then stalls: 504 too (the timeout covers the whole answer)", async () => {
    expectProblem(await send("/api/tenants/T-SLOW/records"), 504, "gateway_timeout");
  });

  test("an answer from another cell than the one called: 502", async () => {
    const reply = await send("/api/tenants/T-GAMMA/records");
    const body = expectProblem(reply, 502, "bad_gateway");
    expect(body.upstreamStatus).toBe(401); // alpha refused gamma's signature
    expect(reply.headers[Headers.cellId]).toBe("gamma");
  });

  test("a platform's own 5xx (API Gateway's JSON message, a proxy's text) is not passed on: 502", async () => {
    expect(expectProblem(await send("/api/tenants/T-APIGW/records"), 502, "bad_gateway").upstreamStatus).toBe(500);
    expect(expectProblem(await send("/api/tenants/T-DELTA/records"), 502, "bad_gateway").upstreamStatus).toBe(502);
  });
});

describe("signing and the router's headers", () => {
  test("headers a client forges in the router's namespace never reach the cell; the router's do", async () => {
    const reply = await send("/api/tenants/T-100/records/forged-1", {
      method: "PUT",
      ...json({ data: { n: 1 } }),
      headers: {
        "content-type": "application/json",
        "x-edge-signature": "0".repeat(64),
        "x-edge-key-id": "beta-v1",
        "x-edge-timestamp": "1",
        "x-edge-nonce": "forged-nonce-0123456789",
        "x-edge-whatever": "smuggled",
        "x-cell-id": "beta",
        "x-request-id": "forged-request-id",
        "x-processed-by-cloud": "azure",
        "x-custom": "kept",
      },
    });
    expect(reply.status).toBe(201); // the cell verified the router's signature
    const seen = alpha.received.at(-1)!.headers;
    expect(seen).toEqual(
      expect.objectContaining({
        [Headers.cellId]: "alpha",
        [Headers.tenantId]: "T-100",
        [Headers.requestId]: reply.headers[Headers.requestId],
        [Headers.keyId]: ALPHA_KEY.keyId,
        "x-custom": "kept",
      }),
    );
    expect(seen[Headers.signature]).not.toBe("0".repeat(64));
    expect(seen[Headers.nonce]).not.toBe("forged-nonce-0123456789");
    expect(seen["x-edge-whatever"]).toBeUndefined();
    expect(seen[Headers.processedByCloud]).toBeUndefined();
    expect(reply.headers[Headers.requestId]).not.toBe("forged-request-id");
    expect(reply.headers[Headers.cellId]).toBe("alpha");
  });

  test("each request gets a fresh nonce and request id", async () => {
    await send("/api/tenants/T-100/records");
    await send("/api/tenants/T-100/records");
    const [a, b] = alpha.received.slice(-2).map((r) => r.headers);
    expect(a![Headers.nonce]).not.toBe(b![Headers.nonce]);
    expect(a![Headers.requestId]).not.toBe(b![Headers.requestId]);
  });

  test("a wrong key binding: the cell refuses, and its 401 passes through", async () => {
    const reply = await router.send("wrongkey", "/api/tenants/T-100/records");
    expectProblem(reply, 401, "unauthenticated");
    expect(reply.headers[Headers.cellId]).toBe("alpha");
  });
});

describe("registry cache", () => {
  test("a hot tenant is served from the isolate's cache: deleting its entry changes nothing within the TTL", async () => {
    expectRoutedTo(await send("/api/tenants/T-HOT/records"), "alpha", "aws");
    await router.deleteKey("tenant:T-HOT");
    await router.deleteKey("cell:alpha"); // also alpha's entry: both lookups came from the cache
    try {
      expectRoutedTo(await send("/api/tenants/T-HOT/records"), "alpha", "aws");
      // The short-TTL instance, which never cached them, sees that they are gone.
      expectProblem(await router.send("short", "/api/tenants/T-HOT/records"), 404, "unknown_tenant");
    } finally {
      await router.seed([{ cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url }], []);
    }
  });

  test("a tenant moved to another cell is routed there once the TTL has passed", async () => {
    expectRoutedTo(await router.send("short", "/api/tenants/T-MOVE/records"), "alpha", "aws");
    expectRoutedTo(await send("/api/tenants/T-MOVE/records"), "alpha", "aws");
    await router.seed([{ cellId: "beta", cloud: "azure", region: "eastus", url: beta.url }], [{ tenantId: "T-MOVE", cellId: "beta", epoch: 2 }]);

    const moved = await eventually(
      () => router.send("short", "/api/tenants/T-MOVE/records"),
      (r) => r.headers[Headers.cellId] === "beta",
    );
    expectRoutedTo(moved, "beta", "azure");
    // The 60 s instance still has the old placement: the change really was cached, not read per request.
    expectRoutedTo(await send("/api/tenants/T-MOVE/records"), "alpha", "aws");
  });

  test("an unknown tenant is cached as unknown for the negative TTL, then found once registered", async () => {
    expectProblem(await send("/api/tenants/T-NEW/records"), 404, "unknown_tenant");
    expectProblem(await router.send("short", "/api/tenants/T-NEW/records"), 404, "unknown_tenant");
    await router.seed([{ cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url }], [{ tenantId: "T-NEW", cellId: "alpha" }]);

    const found = await eventually(
      () => router.send("short", "/api/tenants/T-NEW/records"),
      (r) => r.status === 200,
    );
    expectRoutedTo(found, "alpha", "aws");
    expectProblem(await send("/api/tenants/T-NEW/records"), 404, "unknown_tenant");
  });
});

describe("operations", () => {
  test("one structured log line per request, with the request's ids and outcome", async () => {
    const reply = await send("/api/tenants/T-200/records");
    const line = await waitForLog(reply.headers[Headers.requestId]!);
    expect(line).toEqual({
      msg: "edge.request",
      requestId: reply.headers[Headers.requestId],
      method: "GET",
      path: "/api/tenants/T-200/records",
      tenantId: "T-200",
      cellId: "beta",
      cloud: "azure",
      status: 200,
      outcome: "proxied",
      durationMs: expect.any(Number),
      attempts: 1,
      placement: expect.stringMatching(/^(kv|cache)$/),
      cellEntry: expect.stringMatching(/^(kv|cache)$/),
    });

    const refused = await send("/api/tenants/T-BADJSON/records");
    expect(await waitForLog(refused.headers[Headers.requestId]!)).toEqual(
      expect.objectContaining({ status: 502, outcome: "registry_error", tenantId: "T-BADJSON", error: expect.stringContaining("not valid JSON") }),
    );
  });

  test("an invalid setting is a 500 that names nothing secret, not a guess", async () => {
    const reply = await router.send("badconfig", "/api/tenants/T-100/records");
    expectProblem(reply, 500, "internal");
    expect(await waitForLog(reply.headers[Headers.requestId]!)).toEqual(expect.objectContaining({ outcome: "internal", error: expect.stringContaining("CELL_TIMEOUT_MS") }));
  });
});

async function waitForLog(requestId: string): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 50; i++) {
    const line = router.logs.find((l) => l.requestId === requestId);
    if (line) return line;
    await sleep(20);
  }
  return undefined;
}
