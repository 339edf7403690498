import { connect } from "node:net";
import { Headers, PROBLEM_CONTENT_TYPE, problemCode, type SigningKey } from "../contract";
import { startSandbox, type Sandbox } from "../sandbox/sandbox";
import { TOPOLOGY } from "../topology";
import { signed, type RequestSpec } from "./support/signing";
import { matchesLedger, tenantLoop, type Exchange, type LedgerEntry, type LoadRun, type Phase } from "./support/tenant-load";

/**
 * The whole system on loopback, as `npm start` runs it: the deployed topology (alpha on AWS, beta on
 * Azure), each cell on its own store emulator behind its platform's stand-in, the router bundle in
 * workerd in front. Everything below is real HTTP with `fetch`.
 */

const CELL_TIMEOUT_MS = 2000;
/** The router's breaker sheds a failing cell's requests for this long before it probes again: short, so T-100 recovers soon after the restart. */
const BREAKER_COOLDOWN_MS = 500;
/** Each client request's own deadline: well above the router's cell timeout, so a hang shows up as a failure. */
const CLIENT_TIMEOUT_MS = 5 * CELL_TIMEOUT_MS;

let sandbox: Sandbox;
const runId = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, cellTimeoutMs: CELL_TIMEOUT_MS, breakerCooldownMs: BREAKER_COOLDOWN_MS });
});

afterAll(async () => {
  await sandbox?.close();
});

interface Reply {
  readonly status: number;
  readonly headers: globalThis.Headers;
  readonly json: any;
}

/** Sends a request; with `as`, carrying that tenant's bearer token from the sandbox's issuer. */
async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}, as?: string): Promise<Reply> {
  const headers = as === undefined ? init.headers : { ...init.headers, authorization: `Bearer ${tokenOf(as)}` };
  const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json };
}

const jsonBody = (value: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

/** The sandbox's ready token for a seeded tenant, or a freshly minted one for any other. */
function tokenOf(tenantId: string): string {
  const auth = sandbox.auth;
  if (auth === undefined) throw new Error("the sandbox runs without auth");
  return auth.tokens[tenantId] ?? auth.mint(tenantId);
}

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

describe("blast radius: the AWS cell goes down under load and comes back", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const LOOPS_PER_TENANT = 4;
  /** How many answers each phase needs before the experiment moves on: counts, not durations. */
  const PER_PHASE = 40;
  /** Upper bound on any one wait, so a broken system fails the test instead of hanging it. */
  const WAIT_LIMIT_MS = 15_000;

  let phase: Phase = "before";
  let stopped = false;
  let run: LoadRun;
  const newRun = (routerUrl: string): LoadRun => ({
    routerUrl,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    phase: () => phase,
    done: () => stopped,
    sent: { count: 0 },
    exchanges: [],
    ledger: new Map(),
    violations: [],
    prefix: `blast-${runId}`,
    backoffMs: 20,
    headersFor: (tenantId) => ({ authorization: `Bearer ${tokenOf(tenantId)}` }),
  });
  const ok = (e: Exchange) => typeof e.status === "number" && e.status >= 200 && e.status < 300;
  const of = (tenantId: string, sent: Phase, ended = sent) => run.exchanges.filter((e) => e.tenantId === tenantId && e.sentIn === sent && e.endedIn === ended);
  async function until(what: string, condition: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await sleep(20);
    }
  }
  const statusCounts = (exchanges: readonly Exchange[]) => {
    const counts = exchanges.reduce<Record<string, number>>((all, e) => ({ ...all, [String(e.status)]: (all[String(e.status)] ?? 0) + 1 }), {});
    const ms = exchanges.map((e) => e.durationMs).sort((a, b) => a - b);
    return ms.length === 0 ? "none" : `${JSON.stringify(counts)}  p50 ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms`;
  };

  let finalReads: Array<{ entry: LedgerEntry; status: number; json: any }> = [];

  beforeAll(async () => {
    run = newRun(sandbox.routerUrl);
    const loops = tenantCases.flatMap(({ tenantId }) => Array.from({ length: LOOPS_PER_TENANT }, (_, i) => tenantLoop(run, tenantId, i)));
    try {
      await until("load on both tenants", () => of("T-100", "before").filter(ok).length >= PER_PHASE && of("T-200", "before").filter(ok).length >= PER_PHASE);
      await sandbox.stopCell("alpha");
      phase = "outage";
      await until("answers during the outage", () => of("T-100", "outage").length >= PER_PHASE && of("T-200", "outage").filter(ok).length >= PER_PHASE);
      phase = "restarting";
      await sandbox.startCell("alpha");
      phase = "after";
      const ackedRecords = (tenantId: string) => [...run.ledger.values()].filter((e) => e.tenantId === tenantId && e.acked !== undefined).length;
      await until(
        "T-100 to recover",
        () => of("T-100", "after").filter(ok).length >= PER_PHASE && of("T-200", "after").filter(ok).length >= PER_PHASE && ackedRecords("T-100") >= PER_PHASE,
      );
    } finally {
      stopped = true;
      await Promise.all(loops);
    }

    // Read back every write the system acknowledged, through the router, eight at a time.
    const entries = [...run.ledger.values()].filter((e) => e.acked !== undefined);
    const reads: typeof finalReads = [];
    for (let i = 0; i < entries.length; i += 8) {
      reads.push(
        ...(await Promise.all(
          entries.slice(i, i + 8).map(async (entry) => {
            const reply = await send(`${sandbox.routerUrl}/api/tenants/${entry.tenantId}/records/${entry.recordId}`, {}, entry.tenantId);
            return { entry, status: reply.status, json: reply.json };
          }),
        )),
      );
    }
    finalReads = reads;

    const summary = Object.fromEntries(
      tenantCases.flatMap(({ tenantId }) => [
        [`${tenantId} before`, statusCounts(of(tenantId, "before"))],
        [`${tenantId} outage`, statusCounts(of(tenantId, "outage"))],
        [`${tenantId} after`, statusCounts(of(tenantId, "after"))],
        [`${tenantId} across a phase change`, statusCounts(run.exchanges.filter((e) => e.tenantId === tenantId && e.sentIn !== e.endedIn))],
      ]),
    );
    const acked = entries.length;
    const unknown = [...run.ledger.values()].filter((e) => e.unknown !== undefined).length;
    console.log(
      [
        `blast radius: ${run.sent.count} requests sent, ${run.exchanges.filter((e) => typeof e.status === "number").length} answered, ${LOOPS_PER_TENANT} loops per tenant, router cell timeout ${CELL_TIMEOUT_MS} ms`,
        ...Object.entries(summary).map(([name, counts]) => `  ${name.padEnd(32)} ${counts}`),
        `  acknowledged records read back: ${finalReads.filter((r) => r.status === 200 && matchesLedger(r.entry, r.json)).length}/${acked}; writes answered 5xx (outcome unknown to the client): ${unknown}`,
      ].join("\n"),
    );
  }, 60_000);

  test("no request is lost or hangs: every one gets an HTTP answer before its client deadline", () => {
    const sent = run.sent.count;
    const answered = run.exchanges.filter((e) => typeof e.status === "number").length;
    expect(sent).toBeGreaterThan(4 * PER_PHASE);
    expect({ answered, noAnswer: run.exchanges.filter((e) => typeof e.status !== "number") }).toEqual({ answered: sent, noAnswer: [] });
  });

  test("T-200 (Azure) never notices: every request of the whole run succeeds in beta", () => {
    const t200 = run.exchanges.filter((e) => e.tenantId === "T-200");
    expect(of("T-200", "outage").filter(ok).length).toBeGreaterThanOrEqual(PER_PHASE);
    expect(t200.filter((e) => !ok(e) || e.cloud !== "azure" || e.cellId !== "beta")).toEqual([]);
  });

  test("T-100 (AWS) gets a 502, 503 or 504 problem from the router for every request during the outage", () => {
    const outage = of("T-100", "outage");
    expect(outage.length).toBeGreaterThanOrEqual(PER_PHASE);
    // The router's own problem: it names the cell it tried, and no cloud processed the request.
    const notGatewayProblems = outage.filter(
      (e) => ![502, 503, 504].includes(e.status as number) || e.problem === undefined || e.problem === "not-ours" || e.cloud !== null || e.cellId !== "alpha",
    );
    expect(notGatewayProblems).toEqual([]);
    // Before and after, and across the phase changes, T-100 only ever sees a success or such a gateway problem.
    const t100 = run.exchanges.filter((e) => e.tenantId === "T-100");
    expect(t100.filter((e) => !ok(e) && ![502, 503, 504].includes(e.status as number))).toEqual([]);
  });

  test("T-100 succeeds before the outage and again after the restart, in alpha", () => {
    for (const when of ["before", "after"] as const) {
      const served = of("T-100", when).filter(ok);
      expect(served.length).toBeGreaterThanOrEqual(PER_PHASE);
      expect(served.filter((e) => e.cloud !== "aws" || e.cellId !== "alpha")).toEqual([]);
    }
    // Once it has recovered, it stays recovered.
    const after = of("T-100", "after");
    const firstSuccess = after.findIndex(ok);
    expect(after.slice(firstSuccess).filter((e) => !ok(e))).toEqual([]);
  });

  test("no acknowledged write is lost: every 2xx write reads back with its acknowledged version and data", () => {
    expect(run.violations).toEqual([]);
    const ackedPerTenant = (tenantId: string) => finalReads.filter((r) => r.entry.tenantId === tenantId).length;
    expect(ackedPerTenant("T-100")).toBeGreaterThanOrEqual(PER_PHASE);
    expect(ackedPerTenant("T-200")).toBeGreaterThanOrEqual(PER_PHASE);
    const lost = finalReads.filter((r) => r.status !== 200 || !matchesLedger(r.entry, r.json));
    expect(lost.map((r) => ({ record: `${r.entry.tenantId}/${r.entry.recordId}`, status: r.status, got: r.json, ledger: r.entry }))).toEqual([]);
  });
});
