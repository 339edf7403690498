import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Headers } from "../../contract";
import { AdminClient } from "../../control/admin-client";
import { runCellctl } from "../../control/cellctl";
import type { Io } from "../../control/cli/output";
import { SANDBOX_CONNECTION_FILE, writeConnection } from "../../control/connection";
import { startSandbox, type Sandbox } from "../../sandbox/sandbox";
import { readerLoop, writerLoop, type Acked, type LoadCall, type LoadClient } from "../support/move-load";

/**
 * `cellctl watch` on the real sandbox, as an operator runs it: faults injected into the AWS cell's store
 * with `cellctl sandbox fault` (slow and failing), the loop judging every cell each second from its
 * deep health and the router's figures. With the kill switch on it watches and does nothing; as a dry
 * run it says what it would do and does nothing; with a policy that wants a human above its blast
 * radius it drains and waits for `cellctl approve`; then `cellctl watch --policy evacuate` moves T-100
 * to the Azure cell by itself while T-200's clients see no error. Faults cleared, alpha recovers, is put
 * back into placement, and nothing moves back.
 */

let sandbox: Sandbox;
let cwd: string;
let approvalPolicy: string;

/** The built-in policy, judged every second so the test stays short. */
const EVACUATE = ["--policy", "evacuate", "--interval", "1"];

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 500 });
  cwd = mkdtempSync(path.join(tmpdir(), "watch-"));
  writeConnection(path.join(cwd, SANDBOX_CONNECTION_FILE), sandbox.connection);
  approvalPolicy = path.join(cwd, "ask-first.json");
  writeFileSync(approvalPolicy, JSON.stringify({ onDegraded: "evacuate", onDown: "evacuate", intervalSeconds: 1, approval: { aboveTenants: 0 } }));
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** `cellctl` in this process; its stdout lines collected. */
function cellctl(argv: string[], signal?: AbortSignal): { lines: string[]; done: Promise<number> } {
  const lines: string[] = [];
  const io = (json: boolean): Io => ({ out: (t) => void lines.push(...t.split("\n").filter(Boolean)), err: () => {}, interactive: false, json });
  return { lines, done: runCellctl(argv, { env: { CELLCTL_OPERATOR: "test" }, cwd, io, signal }) };
}

/** Runs a bounded `cellctl --json watch ...` to its end; its log records. */
async function watchFor(...argv: string[]): Promise<any[]> {
  const run = cellctl(["--json", "watch", ...argv]);
  expect(await run.done).toBe(0);
  return records(run.lines);
}

const records = (lines: readonly string[]): any[] => lines.map((l) => JSON.parse(l));

/**
 * Runs `cellctl --json watch ...` until its log shows `wanted` (then stops it), at most `windows`
 * windows; its log records. A window in which a healthy cell answered slowly (a busy machine) leaves
 * no target for a move; the next window has one.
 */
async function watchUntil(wanted: (log: any[]) => boolean, windows: number, ...argv: string[]): Promise<any[]> {
  const stop = new AbortController();
  const run = cellctl(["--json", "watch", ...argv, "--windows", String(windows)], stop.signal);
  const finished = run.done.then(() => true);
  while (!wanted(records(run.lines)) && !(await Promise.race([finished, sleep(100).then(() => false)]))) {}
  stop.abort();
  expect(await run.done).toBe(0);
  return records(run.lines);
}
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

/** The cells on which the tenant is active, as the cells themselves say. */
const owners = async (tenantId: string) => {
  const holders = await Promise.all(
    Object.values(sandbox.cells).map(async (c) => ({ cellId: c.cellId, o: await new AdminClient({ cellId: c.cellId, url: c.url, key: c.adminKey }).ownership(tenantId) })),
  );
  return holders.filter((h) => h.o?.state === "active").map((h) => h.cellId);
};
const registryStatus = async (cellId: string) => JSON.parse((await sandbox.registry.get(`cell:${cellId}`, "text"))!).status;
const actions = (log: any[]) => log.filter((r) => r.type === "action").map((r) => [r.action, r.tenant ?? r.cell, r.dry_run]);
/** The distinct actions (a dry run repeats its plan every window). */
const distinct = (log: any[]) => [...new Set(actions(log).map((a) => JSON.stringify(a)))].map((a) => JSON.parse(a));

test("faults on alpha: held by the kill switch, printed by a dry run, waiting for approval under a cautious policy, then with 'evacuate' T-100 moves to beta by itself while T-200 sees no error; alpha recovers and gets nothing back", async () => {
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
    expect(await cellctl(["sandbox", "fault", "alpha", "--delay", "600", "--errors", "0.2"]).done).toBe(0);
    const faultAt = Date.now();

    // 1. Kill switch on: alpha is judged degraded after 3 bad windows in a row, and nothing is done.
    expect(await cellctl(["killswitch", "on", "--reason", "drill"]).done).toBe(0);
    const halted = await watchFor(...EVACUATE, "--windows", "4");
    const alphaWindows = halted.filter((r) => r.type === "cell" && r.cell === "alpha");
    expect(alphaWindows.map((r) => r.condition)).toEqual(["healthy", "healthy", "degraded", "degraded"]);
    expect(alphaWindows.every((r) => r.window !== "ok" && r.reasons.length > 0)).toBe(true);
    expect(halted.filter((r) => r.type === "cell" && r.cell === "beta").every((r) => r.condition === "healthy")).toBe(true);
    expect(actions(halted)).toEqual([]);
    expect(halted.filter((r) => r.type === "held").map((r) => [r.action, r.why])).toEqual(expect.arrayContaining([["drain", expect.stringMatching(/^kill switch on \(drill\)/)], ["move", expect.stringMatching(/^kill switch on/)]]));
    expect(await registryStatus("alpha")).toBe("active");
    const degradedAfterMs = Date.parse(alphaWindows[2].time) - faultAt;

    // 2. Kill switch off, dry run: it says what it would do, and nothing happens.
    expect(await cellctl(["killswitch", "off"]).done).toBe(0);
    const dry = await watchUntil((log) => actions(log).some(([a]) => a === "move"), 5, ...EVACUATE, "--dry-run");
    expect(distinct(dry)).toEqual([["drain", "alpha", true], ["move", "T-100", true]]);
    expect(dry.filter((r) => r.type === "outcome")).toEqual([]);
    expect({ alpha: await registryStatus("alpha"), t100: await owners("T-100") }).toEqual({ alpha: "active", t100: ["alpha"] });

    // 3. A policy that asks a human first: alpha is drained, the plan waits for 'cellctl approve', which the loop then sees.
    const cautious = await watchFor("--policy", approvalPolicy, "--windows", "2");
    expect(actions(cautious)).toEqual([["drain", "alpha", false], ["request-approval", "alpha", false]]);
    const planId = cautious.find((r) => r.type === "action" && r.action === "request-approval").plan;
    expect(cautious.filter((r) => r.type === "held" && r.action === "move").at(-1)).toEqual(expect.objectContaining({ tenants: ["T-100"], why: expect.stringContaining(`awaiting approval: 'cellctl approve ${planId}'`) }));
    expect({ alpha: await registryStatus("alpha"), t100: await owners("T-100") }).toEqual({ alpha: "draining", t100: ["alpha"] });
    const plans = cellctl(["--json", "plans"]);
    await plans.done;
    const open = JSON.parse(plans.lines.join("\n")).plans;
    expect(open).toEqual([expect.objectContaining({ id: planId, cellId: "alpha", action: "evacuate", tenants: ["T-100"] })]);
    expect(open[0].approvedAt).toBeUndefined();
    expect(await cellctl(["approve", planId]).done).toBe(0);
    expect(distinct(await watchUntil((log) => actions(log).length > 0, 5, "--policy", approvalPolicy, "--dry-run"))).toEqual([["move", "T-100", true]]);

    // 4. 'cellctl watch --policy evacuate': T-100 moves to beta by itself.
    const stop = new AbortController();
    const watch = cellctl(["--json", "watch", ...EVACUATE], stop.signal);
    const startedAt = Date.now();
    // A step that hits one of the store's failures stops the move at its journal; the next window resumes it.
    const moved = await until("T-100's move", () => records(watch.lines).find((r) => r.type === "outcome" && (r.action === "move" || r.action === "resume") && r.tenant === "T-100" && r.status !== "stopped"), 120_000);
    expect(moved).toEqual(expect.objectContaining({ status: "done", from: "alpha", to: "beta" }));
    const servedAfterMs = Date.parse(moved.time) - startedAt;
    const attempts = records(watch.lines).filter((r) => r.type === "action" && (r.action === "move" || r.action === "resume") && r.tenant === "T-100").length;
    expect(await owners("T-100")).toEqual(["beta"]);
    const read = await fetch(`${sandbox.routerUrl}/api/tenants/T-100/records/a-0`, { headers: { authorization: `Bearer ${client.token("T-100")}` } });
    expect({ status: read.status, cloud: read.headers.get(Headers.processedByCloud) }).toEqual({ status: 200, cloud: "azure" });

    // 5. Faults cleared: alpha is healthy again after 5 good windows, back in placement, and gets nothing back.
    expect(await cellctl(["sandbox", "clear", "alpha"]).done).toBe(0);
    await until("alpha back in placement", () => records(watch.lines).find((r) => r.type === "outcome" && r.action === "activate" && r.cell === "alpha" && r.status === "done"), 60_000);
    const settled = records(watch.lines).length;
    await until("three more windows", () => (records(watch.lines).slice(settled).filter((r) => r.type === "cell" && r.cell === "alpha").length >= 3 ? true : undefined), 60_000);
    stop.abort();
    expect(await watch.done).toBe(0);
    const log = records(watch.lines);
    expect(log.filter((r) => r.type === "action" && (r.action === "move" || r.action === "resume") && r.to === "alpha")).toEqual([]);
    expect(log.filter((r) => r.type === "cell" && r.cell === "alpha").at(-1)).toEqual(expect.objectContaining({ condition: "healthy", registry_status: "active" }));
    expect({ t100: await owners("T-100"), t200: await owners("T-200") }).toEqual({ t100: ["beta"], t200: ["beta"] });

    stopLoad = true;
    await Promise.all(load);
    const bystander = calls.filter((call) => call.tenantId === "T-200");
    expect(bystander.length).toBeGreaterThan(20);
    expect(bystander.filter((call) => call.status >= 300)).toEqual([]);
    console.log(
      `watch on the sandbox: alpha judged degraded ${degradedAfterMs} ms after the faults (delay 600 ms, errors 20%, 1 s windows, 3 in a row); ` +
        `T-100 served by beta ${servedAfterMs} ms after 'cellctl watch --policy evacuate' started on the degraded cell (${attempts} attempt(s) on the faulty store); ` +
        `T-200: ${bystander.length} calls, no error`,
    );
  } finally {
    stopLoad = true;
    await Promise.all(load);
    await cellctl(["sandbox", "clear", "alpha"]).done;
  }
}, 240_000);
