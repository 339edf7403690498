import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Headers } from "../contract";
import { AdminClient } from "../control/admin-client";
import { runCellctl } from "../control/cellctl";
import type { Io } from "../control/cli/output";
import { SANDBOX_CONNECTION_FILE, writeConnection } from "../control/connection";
import { startSandbox, type Sandbox } from "../sandbox/sandbox";
import { readerLoop, writerLoop, type Acked, type LoadCall, type LoadClient } from "./support/move-load";

/**
 * `cellctl watch` on the real sandbox, as an operator runs it: faults injected into the AWS cell's store
 * through `cellctl sandbox fault` (slow and failing), the loop judging every cell each second from its
 * deep health and the router's figures. First with the kill switch on (it watches and does nothing),
 * then as a dry run (it says what it would do and does nothing), then for real: the plan is above the
 * policy's blast radius, so it waits for `cellctl approve`, then T-100 moves to the Azure cell by
 * itself while T-200's clients see no error. Faults cleared, alpha recovers and is put back into
 * placement, and nothing moves back.
 */

let sandbox: Sandbox;
let cwd: string;
let policyFile: string;

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 500 });
  cwd = mkdtempSync(path.join(tmpdir(), "watch-"));
  writeConnection(path.join(cwd, SANDBOX_CONNECTION_FILE), sandbox.connection);
  policyFile = path.join(cwd, "watch-policy.json");
  // The built-in 'evacuate', judged every second, a probe over 600 ms a bad window, recovering after 3
  // good windows, and asking a human before any plan that moves a tenant (approval above 0 tenants).
  writeFileSync(
    policyFile,
    JSON.stringify({ onDegraded: "evacuate", onDown: "evacuate", intervalSeconds: 1, thresholds: { probeLatencyMs: 600 }, hysteresis: { degradedAfter: 3, downAfter: 3, healthyAfter: 3 }, approval: { aboveTenants: 0 } }),
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** `cellctl` in this process, its stdout lines collected. */
function cellctl(argv: string[], signal?: AbortSignal): { lines: string[]; err: string[]; done: Promise<number> } {
  const lines: string[] = [];
  const err: string[] = [];
  const io = (json: boolean): Io => ({ out: (t) => void lines.push(...t.split("\n").filter(Boolean)), err: (t) => void err.push(t), interactive: false, json });
  return { lines, err, done: runCellctl(argv, { env: { CELLCTL_OPERATOR: "test" }, cwd, io, signal }) };
}

const records = (lines: readonly string[]): any[] => lines.map((l) => JSON.parse(l));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

const owner = async (tenantId: string) => {
  const holders = await Promise.all(
    Object.values(sandbox.cells).map(async (c) => ({ cellId: c.cellId, o: await new AdminClient({ cellId: c.cellId, url: c.url, key: c.adminKey }).ownership(tenantId) })),
  );
  return holders.filter((h) => h.o?.state === "active").map((h) => h.cellId);
};
const registryCell = async (cellId: string) => JSON.parse((await sandbox.registry.get(`cell:${cellId}`, "text"))!).status;

test("faults on alpha: held by the kill switch, printed by a dry run, then T-100 moves to beta by itself after approval while T-200 sees no error; alpha recovers and gets nothing back", async () => {
  const client: LoadClient = { routers: { edge: sandbox.routerUrl }, token: (t) => sandbox.auth!.tokens[t]! };
  const calls: LoadCall[] = [];
  let stopLoad = false;
  const acked: Acked = new Map();
  const load = [
    writerLoop(client, "edge", "T-200", "b", () => stopLoad, calls, acked),
    readerLoop(client, "edge", "T-200", () => stopLoad, calls, acked),
    writerLoop(client, "edge", "T-100", "a", () => stopLoad, calls, new Map()),
  ];
  try {
    expect((await cellctl(["sandbox", "fault", "alpha", "--delay", "400", "--errors", "0.2"]).done)).toBe(0);
    const faultAt = Date.now();

    // 1. Kill switch on: the loop judges alpha degraded and does nothing.
    expect(await cellctl(["killswitch", "on", "--reason", "drill"]).done).toBe(0);
    const halted = cellctl(["--json", "watch", "--policy", policyFile, "--windows", "4"]);
    expect(await halted.done).toBe(0);
    const a = records(halted.lines);
    const alphaWindows = a.filter((r) => r.type === "cell" && r.cell === "alpha");
    expect(alphaWindows.map((r) => r.condition)).toEqual(["healthy", "healthy", "degraded", "degraded"]);
    expect(alphaWindows.every((r) => r.window !== "ok" && r.reasons.length > 0)).toBe(true);
    expect(a.filter((r) => r.type === "cell" && r.cell === "beta").every((r) => r.condition === "healthy")).toBe(true);
    expect(a.filter((r) => r.type === "action")).toEqual([]);
    expect(a.filter((r) => r.type === "held").map((r) => [r.action, r.why])).toEqual(expect.arrayContaining([["drain", expect.stringMatching(/^kill switch on \(drill\)/)]]));
    expect(await registryCell("alpha")).toBe("active");
    expect(await owner("T-100")).toEqual(["alpha"]);
    const degradedAfterMs = Date.parse(alphaWindows[2].time) - faultAt;

    // 2. Kill switch off, dry run: it says what it would do, and nothing happens.
    expect(await cellctl(["killswitch", "off"]).done).toBe(0);
    const dry = cellctl(["--json", "watch", "--policy", policyFile, "--windows", "2", "--dry-run"]);
    expect(await dry.done).toBe(0);
    const b = records(dry.lines);
    expect(b.filter((r) => r.type === "action").map((r) => [r.action, r.dry_run])).toEqual(expect.arrayContaining([["drain", true], ["request-approval", true]]));
    expect(b.filter((r) => r.type === "outcome")).toEqual([]);
    expect(await registryCell("alpha")).toBe("active");
    expect((await cellctl(["--json", "plans"]).done)).toBe(0);

    // 3. For real: drain, ask for approval, hold the move until a human approves, then move T-100.
    const stop = new AbortController();
    const watch = cellctl(["--json", "watch", "--policy", policyFile], stop.signal);
    const request = await until("the approval request", () => records(watch.lines).find((r) => r.type === "outcome" && r.action === "request-approval" && r.status === "done"), 30_000);
    expect(await registryCell("alpha")).toBe("draining");
    await until("a held move", () => records(watch.lines).find((r) => r.type === "held" && r.action === "move" && r.why.startsWith("awaiting approval")), 10_000);
    const plans = cellctl(["--json", "plans"]);
    await plans.done;
    expect(JSON.parse(plans.lines.join("\n")).plans).toEqual([expect.objectContaining({ id: request.plan, cellId: "alpha", action: "evacuate", tenants: ["T-100"] })]);
    const approvedAt = Date.now();
    expect(await cellctl(["approve", request.plan]).done).toBe(0);
    // A step that hits one of the store's failures stops the move at its journal; the next window resumes it.
    const moved = await until("T-100's move", () => records(watch.lines).find((r) => r.type === "outcome" && (r.action === "move" || r.action === "resume") && r.tenant === "T-100" && r.status !== "stopped"), 120_000);
    expect(moved).toEqual(expect.objectContaining({ status: "done", from: "alpha", to: "beta" }));
    const attempts = records(watch.lines).filter((r) => r.type === "action" && (r.action === "move" || r.action === "resume") && r.tenant === "T-100").length;
    const servedAfterMs = Date.parse(moved.time) - approvedAt;
    expect(await owner("T-100")).toEqual(["beta"]);
    const read = await fetch(`${sandbox.routerUrl}/api/tenants/T-100/records/a-0`, { headers: { authorization: `Bearer ${client.token("T-100")}` } });
    expect({ status: read.status, cloud: read.headers.get(Headers.processedByCloud) }).toEqual({ status: 200, cloud: "azure" });

    // 4. Faults cleared: alpha is healthy again after 3 good windows, back in placement, and gets nothing back.
    expect(await cellctl(["sandbox", "clear", "alpha"]).done).toBe(0);
    await until("alpha back in placement", () => records(watch.lines).find((r) => r.type === "outcome" && r.action === "activate" && r.cell === "alpha" && r.status === "done"), 30_000);
    const settled = records(watch.lines).length;
    await until("three more windows", () => (records(watch.lines).slice(settled).filter((r) => r.type === "cell" && r.cell === "alpha").length >= 3 ? true : undefined), 30_000);
    stop.abort();
    expect(await watch.done).toBe(0);
    const c = records(watch.lines);
    expect(c.filter((r) => r.type === "action" && (r.action === "move" || r.action === "resume") && r.to === "alpha")).toEqual([]);
    expect(c.filter((r) => r.type === "cell" && r.cell === "alpha").at(-1)).toEqual(expect.objectContaining({ condition: "healthy", registry_status: "active" }));
    expect(await owner("T-100")).toEqual(["beta"]);
    expect(await owner("T-200")).toEqual(["beta"]);

    stopLoad = true;
    await Promise.all(load);
    const bystander = calls.filter((call) => call.tenantId === "T-200");
    expect(bystander.length).toBeGreaterThan(20);
    expect(bystander.filter((call) => call.status >= 300)).toEqual([]);
    console.log(
      `watch on the sandbox: alpha judged degraded ${degradedAfterMs} ms after the faults (delay 400 ms, errors 20%, 1 s windows, 3 in a row); ` +
        `T-100 served by beta ${servedAfterMs} ms after the approval (the move on the faulty store, ${attempts} attempt(s)); T-200: ${bystander.length} calls, no error`,
    );
  } finally {
    stopLoad = true;
    await Promise.all(load);
    await cellctl(["sandbox", "clear", "alpha"]).done;
  }
}, 240_000);
