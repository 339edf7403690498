import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EDGE_HEALTH_PATH, Headers, PROBLEM_CONTENT_TYPE, buildRegistryEntries, parseEdgeHealthReport, problemCode, type SigningKey } from "../contract";
import { snapshotBindings } from "../router/snapshot";
import { coreCell } from "./support/core-cell";
import { closeServer, startHttpCell, type HttpCell } from "./support/http-cell";
import { startRouter, type RouterHarness, type RouterReply } from "./support/router-harness";

/**
 * The bundled Worker in workerd keeping tenants served when parts fail: a per-cell circuit breaker
 * (and the health figures it feeds), against real HTTP cells on loopback.
 *
 * - `breaker`: 3 consecutive failures open a cell's breaker for 300 ms; cell timeout 300 ms.
 * - `stable`: reads the registry through a wrapper that can throw or hang like a failing Workers KV;
 *   100 ms cache, 100 ms KV read timeout, last known good entries served for up to 60 s, and the
 *   registry snapshot of a deploy that knew T-100 and T-SNAP.
 * - `bounded`: the same failing KV, but stale entries only up to 2 s old and no snapshot.
 */

const ALPHA_KEY: SigningKey = { keyId: "alpha-v1", secret: "alpha-secret-0123456789abcdef" };
const FLAKY_KEY: SigningKey = { keyId: "flaky-v1", secret: "flaky-secret-0123456789abcdef" };

const FAILING_KV = { ROUTER_MODE: "local", AUTH_MODE: "none", REGISTRY_CACHE_TTL_MS: "100", REGISTRY_NEGATIVE_TTL_MS: "100", REGISTRY_READ_TIMEOUT_MS: "100" } as const;

let router: RouterHarness;
let alpha: HttpCell;
let flaky: Server;
/** What the flaky cell does: answer as a cell would, or fail like a platform in trouble. */
let flakyBroken = false;
let flakyCalls = 0;

beforeAll(async () => {
  alpha = await startHttpCell(coreCell({ cellId: "alpha", cloud: "aws", key: ALPHA_KEY, activeTenants: "all" }).handler);
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
    {
      name: "stable",
      settings: { ...FAILING_KV, REGISTRY_MAX_STALE_MS: "60000" },
      keys: { alpha: ALPHA_KEY },
      faultyRegistry: true,
      extraBindings: snapshotBindings(
        buildRegistryEntries(
          [{ cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url }],
          [
            { tenantId: "T-100", cellId: "alpha" },
            { tenantId: "T-SNAP", cellId: "alpha" },
          ],
        ),
      ),
    },
    { name: "bounded", settings: { ...FAILING_KV, REGISTRY_MAX_STALE_MS: "2000" }, keys: { alpha: ALPHA_KEY }, faultyRegistry: true },
  ]);
  await router.seed(
    [
      { cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url },
      { cellId: "flaky", cloud: "azure", region: "eastus", url: flakyUrl },
    ],
    [
      { tenantId: "T-100", cellId: "alpha" },
      { tenantId: "T-FLAKY", cellId: "flaky" },
      { tenantId: "T-SNAP", cellId: "alpha" },
      { tenantId: "T-NOSNAP", cellId: "alpha" },
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

/** Sends until `done(reply)` holds (at most ~10 s and 200 tries); returns the last reply. Waits, never asserts on time. */
async function eventually(send: () => Promise<RouterReply>, done: (reply: RouterReply) => boolean): Promise<RouterReply> {
  let reply = await send();
  for (let i = 0; i < 200 && !done(reply); i++) {
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
    const lastSecond = await router.send("breaker", `${EDGE_HEALTH_PATH}?window=1`);
    expect((lastSecond.json as { windowSeconds: number }).windowSeconds).toBe(1);
    expectProblem(await router.send("breaker", `${EDGE_HEALTH_PATH}?window=90`), 400, "invalid_request");
  });

  test("a cloud-mode router does not serve them", async () => {
    expectProblem(await router.send("cloud", EDGE_HEALTH_PATH), 400, "missing_tenant");
  });
});

describe("static stability: Workers KV fails, the router keeps routing", () => {
  afterEach(() => router.setRegistryFault("none"));
  beforeEach(() => sleep(150)); // past the previous test's KV hold-off (one cache TTL)

  const read = (instance: string, tenantId: string) => router.send(instance, `/api/tenants/${tenantId}/records`);

  async function logOf(reply: RouterReply): Promise<Record<string, unknown> | undefined> {
    for (let i = 0; i < 50; i++) {
      const line = router.logs.find((l) => l.requestId === reply.headers[Headers.requestId]);
      if (line) return line;
      await sleep(20);
    }
    return undefined;
  }

  test.each<["throw" | "hang"]>([["throw"], ["hang"]])("KV reads %s: the last known good entry answers, and the log says so", async (fault) => {
    const first = await read("stable", "T-100");
    expect(first.status).toBe(200);
    expect(await logOf(first)).toEqual(expect.objectContaining({ placement: expect.stringMatching(/^(kv|cache)$/) }));
    await router.setRegistryFault(fault);
    await sleep(150); // past the cache TTL, so the router must ask KV again
    const during = await read("stable", "T-100");
    expect({ status: during.status, cell: during.headers[Headers.cellId] }).toEqual({ status: 200, cell: "alpha" });
    expect(await logOf(during)).toEqual(expect.objectContaining({ placement: "stale", cellEntry: "stale", outcome: "proxied" }));
  });

  test("a tenant the isolate never saw is routed from the registry snapshot deployed with the Worker", async () => {
    await router.setRegistryFault("throw");
    const reply = await read("stable", "T-SNAP");
    expect({ status: reply.status, cell: reply.headers[Headers.cellId] }).toEqual({ status: 200, cell: "alpha" });
    expect(await logOf(reply)).toEqual(expect.objectContaining({ placement: "snapshot", tenantId: "T-SNAP" }));
  });

  test("a tenant neither cached nor in the snapshot: 503 registry_unavailable with Retry-After", async () => {
    await router.setRegistryFault("throw");
    const reply = await read("stable", "T-NOSNAP");
    expectProblem(reply, 503, "registry_unavailable");
    expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
  });

  test("an entry older than the maximum staleness is not served", async () => {
    expect((await read("bounded", "T-100")).status).toBe(200);
    await router.setRegistryFault("throw");
    await sleep(150);
    const stale = await read("bounded", "T-100");
    expect(stale.status).toBe(200);
    expect(await logOf(stale)).toEqual(expect.objectContaining({ placement: "stale" }));
    const expired = await eventually(
      () => read("bounded", "T-100"),
      (r) => r.status !== 200,
    );
    expectProblem(expired, 503, "registry_unavailable");
  });

  test("when KV answers again, entries are read from it again", async () => {
    await router.setRegistryFault("throw");
    await sleep(150);
    await read("stable", "T-100");
    await router.setRegistryFault("none");
    const back = await eventually(
      () => read("stable", "T-100"),
      () => router.logs.at(-1)?.placement === "kv",
    );
    expect(back.status).toBe(200);
  });
});
