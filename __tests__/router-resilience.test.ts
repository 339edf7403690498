import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EDGE_HEALTH_PATH, Headers, PROBLEM_CONTENT_TYPE, parseEdgeHealthReport, problemCode, type SigningKey } from "../contract";
import { coreCell } from "./support/core-cell";
import { closeServer, startHttpCell, type HttpCell } from "./support/http-cell";
import { startRouter, type RouterHarness, type RouterReply } from "./support/router-harness";

/**
 * The bundled Worker in workerd keeping tenants served when parts fail: a per-cell circuit breaker
 * (and the health figures it feeds), against real HTTP cells on loopback.
 *
 * - `breaker`: 3 consecutive failures open a cell's breaker for 300 ms; cell timeout 300 ms.
 */

const ALPHA_KEY: SigningKey = { keyId: "alpha-v1", secret: "alpha-secret-0123456789abcdef" };
const FLAKY_KEY: SigningKey = { keyId: "flaky-v1", secret: "flaky-secret-0123456789abcdef" };

let router: RouterHarness;
let alpha: HttpCell;
let flaky: Server;
/** What the flaky cell does: answer as a cell would, or fail like a platform in trouble. */
let flakyBroken = false;
let flakyCalls = 0;

beforeAll(async () => {
  alpha = await startHttpCell(coreCell({ cellId: "alpha", cloud: "aws", key: ALPHA_KEY }).handler);
  flaky = createServer((_req, res) => {
    flakyCalls++;
    if (flakyBroken) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Internal Server Error" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json", [Headers.cellId]: "flaky" });
    res.end(JSON.stringify({ records: [], next_cursor: null }));
  });
  await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", () => resolve()));
  const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;

  router = await startRouter([
    {
      name: "breaker",
      settings: { ROUTER_MODE: "local", AUTH_MODE: "none", CELL_TIMEOUT_MS: "300", BREAKER_FAILURE_THRESHOLD: "3", BREAKER_COOLDOWN_MS: "300" },
      keys: { alpha: ALPHA_KEY, flaky: FLAKY_KEY },
    },
    { name: "cloud", settings: { AUTH_MODE: "none" }, keys: {} },
  ]);
  await router.seed(
    [
      { cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url },
      { cellId: "flaky", cloud: "azure", region: "eastus", url: flakyUrl },
    ],
    [
      { tenantId: "T-100", cellId: "alpha" },
      { tenantId: "T-FLAKY", cellId: "flaky" },
    ],
  );
});

afterAll(async () => {
  await router?.dispose();
  await Promise.all([alpha?.close(), flaky && closeServer(flaky)]);
});

function expectProblem(reply: RouterReply, status: number, code: string): any {
  expect({ status: reply.status, code: problemCode(reply.json) }).toEqual({ status, code });
  expect(reply.headers["content-type"]).toContain(PROBLEM_CONTENT_TYPE);
  return reply.json;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends until `done(reply)` holds (at most ~10 s); returns the last reply. Waits, never asserts on time. */
async function eventually(send: () => Promise<RouterReply>, done: (reply: RouterReply) => boolean): Promise<RouterReply> {
  let reply = await send();
  for (let i = 0; i < 100 && !done(reply); i++) {
    await sleep(50);
    reply = await send();
  }
  return reply;
}

describe("per-cell circuit breaker", () => {
  const flakyRead = () => router.send("breaker", "/api/tenants/T-FLAKY/records");

  test("open, half-open, closed: failures open it, the cell is spared, a probe closes it; other cells never notice", async () => {
    flakyBroken = true;
    for (let i = 0; i < 3; i++) expectProblem(await flakyRead(), 502, "bad_gateway");

    // Open: the tenant gets a 503 with Retry-After at once, and the cell is not called.
    const callsWhenOpened = flakyCalls;
    const open = await flakyRead();
    expectProblem(open, 503, "circuit_open");
    expect(Number(open.headers[Headers.retryAfter])).toBeGreaterThanOrEqual(1);
    expect(open.headers[Headers.cellId]).toBe("flaky");
    expect(flakyCalls).toBe(callsWhenOpened);

    // Another cell's tenant is served as usual meanwhile.
    expect((await router.send("breaker", "/api/tenants/T-100/records")).status).toBe(200);

    // Half-open: after the cool-down one probe goes through; it fails, so the breaker opens again.
    const failedProbe = await eventually(flakyRead, (r) => problemCode(r.json) !== "circuit_open");
    expectProblem(failedProbe, 502, "bad_gateway");
    expectProblem(await flakyRead(), 503, "circuit_open");

    // The cell recovers: the next probe succeeds and closes the breaker for everyone.
    flakyBroken = false;
    const probe = await eventually(flakyRead, (r) => problemCode(r.json) !== "circuit_open");
    expect(probe.status).toBe(200);
    const after = flakyCalls;
    for (let i = 0; i < 3; i++) expect((await flakyRead()).status).toBe(200);
    expect(flakyCalls).toBe(after + 3);
  });
});

describe("health figures", () => {
  test("local mode serves the isolate's per-cell figures in the contract's shape, breaker state included", async () => {
    flakyBroken = true;
    for (let i = 0; i < 4; i++) await router.send("breaker", "/api/tenants/T-FLAKY/records");
    flakyBroken = false;
    const reply = await router.send("breaker", EDGE_HEALTH_PATH);
    expect(reply.status).toBe(200);
    const parsed = parseEdgeHealthReport(reply.json);
    if (!parsed.ok) throw new Error(parsed.error);
    const byCell = Object.fromEntries(parsed.value.cells.map((c) => [c.cellId, c]));
    expect(byCell.flaky).toEqual(
      expect.objectContaining({ errors: expect.any(Number), shed: expect.any(Number), breaker: expect.objectContaining({ state: "open", consecutiveFailures: 3 }) }),
    );
    expect(byCell.flaky!.errors).toBeGreaterThanOrEqual(3);
    expect(byCell.flaky!.shed).toBeGreaterThanOrEqual(1);
    expect(byCell.alpha).toEqual(expect.objectContaining({ errors: 0, breaker: { state: "closed", consecutiveFailures: 0, retryAfterSeconds: null } }));
    expect(byCell.alpha!.requests).toBeGreaterThanOrEqual(1);
    expect(byCell.alpha!.latencyMs.p50).toEqual(expect.any(Number));
  });

  test("a cloud-mode router does not serve them", async () => {
    expectProblem(await router.send("cloud", EDGE_HEALTH_PATH), 400, "missing_tenant");
  });
});
