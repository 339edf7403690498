import { startSandbox, type Sandbox } from "../../sandbox/sandbox";
import { sandboxClient } from "../support/sandbox-client";
import { matchesLedger, tenantLoop, type Exchange, type LedgerEntry, type LoadRun, type Phase } from "../support/tenant-load";

/**
 * The blast radius of a cell outage, on the whole system as `npm start` runs it (alpha on AWS, beta on
 * Azure, the router bundle in workerd in front): closed-loop clients on both tenants, alpha's compute
 * stopped under load and started again, every request and every acknowledged write booked in a ledger.
 */

const CELL_TIMEOUT_MS = 2000;
/** The router's breaker sheds a failing cell's requests for this long before it probes again: short, so T-100 recovers soon after the restart. */
const BREAKER_COOLDOWN_MS = 500;
/** Each client request's own deadline: well above the router's cell timeout, so a hang shows up as a failure. */
const CLIENT_TIMEOUT_MS = 5 * CELL_TIMEOUT_MS;

let sandbox: Sandbox;
const runId = Math.random().toString(36).slice(2, 8);
const { send, tokenOf } = sandboxClient(() => sandbox, CLIENT_TIMEOUT_MS);

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, cellTimeoutMs: CELL_TIMEOUT_MS, breakerCooldownMs: BREAKER_COOLDOWN_MS });
});

afterAll(async () => {
  await sandbox?.close();
});

const tenantCases = [
  { tenantId: "T-100", cellId: "alpha", cloud: "aws" },
  { tenantId: "T-200", cellId: "beta", cloud: "azure" },
] as const;

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
