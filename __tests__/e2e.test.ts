import { connect } from "node:net";
import { Headers, PROBLEM_CONTENT_TYPE, problemCode, type SigningKey } from "../contract";
import { startSandbox, type Sandbox } from "../sandbox/sandbox";
import { TOPOLOGY } from "../topology";
import { signed, type RequestSpec } from "./support/signing";
import { sandboxClient, type Reply } from "./support/sandbox-client";

/**
 * The whole system on loopback, as `npm start` runs it: the deployed topology (alpha on AWS, beta on
 * Azure), each cell on its own store emulator behind its platform's stand-in, the router bundle in
 * workerd in front. Everything below is real HTTP with `fetch`.
 */

const CELL_TIMEOUT_MS = 2000;
/** The router's breaker sheds a failing cell's requests for this long before it probes again: short, so a cell stopped and started again (sandbox controls) serves again soon. */
const BREAKER_COOLDOWN_MS = 500;
/** Each client request's own deadline: well above the router's cell timeout, so a hang shows up as a failure. */
const CLIENT_TIMEOUT_MS = 5 * CELL_TIMEOUT_MS;

let sandbox: Sandbox;
const runId = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, cellTimeoutMs: CELL_TIMEOUT_MS, breakerCooldownMs: BREAKER_COOLDOWN_MS });
});

afterAll(async () => {
  await sandbox?.close();
});

const { send, tokenOf } = sandboxClient(() => sandbox, CLIENT_TIMEOUT_MS);

const jsonBody = (value: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: problemCode(reply.json) }).toEqual({ status, code });
  expect(reply.headers.get("content-type")).toContain(PROBLEM_CONTENT_TYPE);
  expect(reply.json).toEqual(expect.objectContaining({ title: expect.any(String), detail: expect.any(String), requestId: reply.headers.get(Headers.requestId) }));
}

function expectServedBy(reply: Reply, cloud: string, cellId: string): void {
  expect({ cloud: reply.headers.get(Headers.processedByCloud), cell: reply.headers.get(Headers.cellId) }).toEqual({ cloud, cell: cellId });
  expect(reply.headers.get(Headers.requestId)).toMatch(/^[0-9a-f-]{36}$/);
}

const tenantCases = [
  { tenantId: "T-100", cellId: "alpha", cloud: "aws" },
  { tenantId: "T-200", cellId: "beta", cloud: "azure" },
] as const;

test("runs the deployed topology: one cell per topology entry, each on its own loopback port and key", () => {
  expect(Object.values(sandbox.cells).map(({ cellId, cloud, running }) => ({ cellId, cloud, running }))).toEqual(
    TOPOLOGY.cells.map(({ cellId, cloud }) => ({ cellId, cloud, running: true })),
  );
  const { alpha, beta } = sandbox.cells;
  expect(alpha!.url).not.toEqual(beta!.url);
  expect(alpha!.key.secret).toMatch(/^[0-9a-f]{64}$/);
  expect(alpha!.key.secret).not.toEqual(beta!.key.secret);
  expect(sandbox.routerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

describe.each(tenantCases)("through the router, $tenantId", ({ tenantId, cellId, cloud }) => {
  const records = (recordId: string) => `${sandbox.routerUrl}/api/tenants/${tenantId}/records/${recordId}`;

  test(`a write then a read land in ${cloud} cell ${cellId}`, async () => {
    const recordId = `hello-${runId}`;
    const put = await send(records(recordId), { method: "PUT", ...jsonBody({ data: { msg: "hi", tenantId } }) }, tenantId);
    expect(put.status).toBe(201);
    expectServedBy(put, cloud, cellId);
    expect(put.json).toEqual(expect.objectContaining({ tenant_id: tenantId, record_id: recordId, version: 1, data: { msg: "hi", tenantId } }));

    const get = await send(records(recordId), {}, tenantId);
    expect(get.status).toBe(200);
    expectServedBy(get, cloud, cellId);
    expect(get.json).toEqual(put.json);
    expect(get.headers.get(Headers.requestId)).not.toEqual(put.headers.get(Headers.requestId));

    // HEAD: GET's status and headers from the same cell, and no body.
    const head = await fetch(records(recordId), { method: "HEAD", headers: { authorization: `Bearer ${tokenOf(tenantId)}` }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    expect({ status: head.status, body: await head.text(), type: head.headers.get(Headers.contentType) }).toEqual({ status: 200, body: "", type: get.headers.get(Headers.contentType) });
    expectServedBy({ status: head.status, headers: head.headers, json: undefined }, cloud, cellId);
    const missing = await fetch(records(`absent-${runId}`), { method: "HEAD", headers: { authorization: `Bearer ${tokenOf(tenantId)}` }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    expect({ status: missing.status, body: await missing.text() }).toEqual({ status: 404, body: "" });
  });

  test(`the seed's POST /api/process is processed by ${cellId}`, async () => {
    const reply = await send(`${sandbox.routerUrl}/api/process`, { method: "POST", ...jsonBody({ tenant_id: tenantId }) }, tenantId);
    expect(reply.status).toBe(200);
    expectServedBy(reply, cloud, cellId);
    expect(reply.json).toEqual(
      expect.objectContaining({ status: "processed", tenant_id: tenantId, cell_id: cellId, cloud, request_id: reply.headers.get(Headers.requestId) }),
    );
  });
});

test("an unknown tenant is a 404 problem from the router", async () => {
  const reply = await send(`${sandbox.routerUrl}/api/tenants/T-999/records/hello`, {}, "T-999");
  expectProblem(reply, 404, "unknown_tenant");
  expect(reply.headers.get(Headers.cellId)).toBeNull();
});

describe("client authentication at the router", () => {
  const records = (tenantId: string) => `${sandbox.routerUrl}/api/tenants/${tenantId}/records`;

  test("the sandbox's issuer hands out a token per seeded tenant", () => {
    expect(Object.keys(sandbox.auth!.tokens).sort()).toEqual(TOPOLOGY.tenants.map((t) => t.tenantId).sort());
    expect(sandbox.auth).toEqual(expect.objectContaining({ issuer: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), jwksUrl: expect.stringMatching(/\/jwks\.json$/) }));
  });

  test("a request without a token is 401", async () => {
    const reply = await send(records("T-100"));
    expectProblem(reply, 401, "invalid_token");
    expect(reply.headers.get("www-authenticate")).toBe('Bearer realm="cells"');
  });

  test("T-100's token on T-200's data is 403", async () => {
    expectProblem(await send(records("T-200"), {}, "T-100"), 403, "tenant_forbidden");
  });

  test("the printed token works", async () => {
    const reply = await send(records("T-100"), { headers: { authorization: `Bearer ${sandbox.auth!.tokens["T-100"]}` } });
    expect(reply.status).toBe(200);
    expectServedBy(reply, "aws", "alpha");
  });
});

describe.each(tenantCases)("straight to cell $cellId ($cloud), bypassing the router", ({ tenantId, cellId, cloud }) => {
  const to = (spec: RequestSpec): Promise<Reply> =>
    send(`${sandbox.cells[cellId]!.url}${spec.path}${spec.query ? `?${spec.query}` : ""}`, { method: spec.method, headers: spec.headers, body: spec.body });
  const keyOf = (id: string): SigningKey => sandbox.cells[id]!.key;
  const write = (recordId: string): RequestSpec => ({
    method: "PUT",
    path: `/api/tenants/${tenantId}/records/${recordId}`,
    ...jsonBody({ data: { direct: true } }),
  });

  test("an unsigned request is 401", async () => {
    expectProblem(await to({ method: "GET", path: `/api/tenants/${tenantId}/records/any` }), 401, "unauthenticated");
    expectProblem(await to(write(`unsigned-${runId}`)), 401, "unauthenticated");
  });

  test("a request signed with its key succeeds; tampered, replayed or signed with the other cell's key it is 401", async () => {
    const recordId = `direct-${runId}`;
    const request = await signed(write(recordId), { tenantId, cellId, key: keyOf(cellId) });

    const tampered = await to({ ...request, body: JSON.stringify({ data: { direct: "tampered" } }) });
    expectProblem(tampered, 401, "unauthenticated");

    const first = await to(request);
    expect(first.status).toBe(201);
    expectServedBy(first, cloud, cellId);
    expect(first.json).toEqual(expect.objectContaining({ record_id: recordId, version: 1, data: { direct: true } }));

    expectProblem(await to(request), 401, "replayed_request");

    const otherCell = cellId === "alpha" ? "beta" : "alpha";
    const wrongKey = await signed(write(`wrong-key-${runId}`), { tenantId, cellId, key: { keyId: `${cellId}-v1`, secret: keyOf(otherCell).secret } });
    expectProblem(await to(wrongKey), 401, "unauthenticated");

    // A signed read sees the one write that got through, once.
    const read = await to(await signed({ method: "GET", path: `/api/tenants/${tenantId}/records/${recordId}` }, { tenantId, cellId, key: keyOf(cellId) }));
    expect(read.status).toBe(200);
    expect(read.json).toEqual(expect.objectContaining({ version: 1, data: { direct: true } }));
  });
});

/** Opens a fresh TCP connection (no client's pooled one) and says what happened. */
function connectOutcome(url: URL): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("sandbox controls", () => {
  test("stopCell takes a cell's compute off its port and startCell brings it back on the same one, its data intact", async () => {
    const beta = sandbox.cells.beta!;
    const url = beta.url;
    const record = `${sandbox.routerUrl}/api/tenants/T-200/records/kept-${runId}`;
    expect((await send(record, { method: "PUT", ...jsonBody({ data: { kept: true } }) }, "T-200")).status).toBe(201);

    await sandbox.stopCell("beta");
    try {
      expect(beta.running).toBe(false);
      expect(await connectOutcome(new URL(url))).toBe("ECONNREFUSED");
      expect((await send(record, {}, "T-200")).status).toBe(502);
    } finally {
      await sandbox.startCell("beta"); // the tests after this one need beta up, whatever happened above
    }
    expect({ running: beta.running, url: beta.url }).toEqual({ running: true, url });
    const health = await send(`${url}/healthz`);
    expect({ status: health.status, body: health.json }).toEqual({ status: 200, body: expect.objectContaining({ status: "ok", cell_id: "beta", cloud: "azure" }) });
    const read = await send(record, {}, "T-200");
    expect({ status: read.status, data: read.json?.data, version: read.json?.version }).toEqual({ status: 200, data: { kept: true }, version: 1 });
  });

  test("naming a cell the topology does not have is an error that lists the cells", async () => {
    await expect(sandbox.stopCell("gamma")).rejects.toThrow("no cell 'gamma' in this sandbox; cells: alpha, beta");
  });

  test("a router timeout out of the Worker's range fails before anything starts", async () => {
    await expect(startSandbox({ routerPort: 0, cellTimeoutMs: 0 })).rejects.toThrow(/CELL_TIMEOUT_MS must be an integer from 1 to/);
  });
});
