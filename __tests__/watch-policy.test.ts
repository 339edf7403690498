import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { runCellctl } from "../control/cellctl";
import type { Io } from "../control/cli/output";
import { writeConnection, type Connection } from "../control/connection";
import { CloudflareRegistry } from "../control/registry/cloudflare-registry";
import { SandboxRegistry } from "../control/registry/sandbox-registry";
import { analyticsEngineEdgeSource, edgeSourceOf } from "../control/watch/edge-source";
import { BUILT_IN_POLICIES, loadPolicy, parsePolicy, PolicyError } from "../control/watch/policy";
import { emptyState } from "../control/watch/decide";
import { WatchStateFile, systemOf } from "../control/watch/state";
import { approvedPlans, approvePlan, readKillSwitch, requestApproval, setKillSwitch } from "../control/watch/switches";
import { startCloudflareApi, type CloudflareApi } from "./support/cloudflare-api";

/**
 * The watch's policy check (every mistake named with what is allowed), its edge figures from a
 * deployed router's Analytics Engine dataset (Cloudflare's API on loopback), and the operator's
 * switches in Workers KV (the same loopback API): kill switch, plans and approvals.
 */

let cwd: string;
let api: CloudflareApi;

beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), "watch-policy-"));
  api = await startCloudflareApi();
});
afterAll(async () => {
  await api?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const problemsOf = (raw: unknown): string[] => {
  try {
    parsePolicy(raw, "p.json", "p");
  } catch (error) {
    if (error instanceof PolicyError) return [...error.problems];
    throw error;
  }
  return [];
};

describe("policy", () => {
  test("every built-in policy passes its own check; a file states its reactions and inherits the defaults", () => {
    for (const name of Object.keys(BUILT_IN_POLICIES)) expect(loadPolicy(name, cwd).name).toBe(name);
    const file = path.join(cwd, "ops-watch.json");
    writeFileSync(file, JSON.stringify({ onDegraded: "drain", onDown: "failover", limits: { maxMovesPerHour: 4 } }));
    expect(loadPolicy(file, cwd)).toEqual(
      expect.objectContaining({ name: "ops-watch", onRecovered: "activate", intervalSeconds: 10, limits: { maxInFlight: 1, maxMovesPerHour: 4, tenantCooldownMinutes: 60 }, hysteresis: { degradedAfter: 3, downAfter: 3, healthyAfter: 5 } }),
    );
  });

  test("each mistake is named by its field with what is allowed, all at once", () => {
    expect(problemsOf({ onDegraded: "evacuat", limits: { maxInFlight: 0, maxMovesPerHour: 1.5 }, thresholds: { errorRate: 2 }, hysteresis: { healthyAftr: 3 } }).sort()).toEqual([
      "thresholds.errorRate: must be a number from 0 to 1 (the share of failed requests), got 2",
      "hysteresis.healthyAftr: unknown field; did you mean 'healthyAfter'?",
      "onDegraded: must be one of 'none', 'drain', 'evacuate', got 'evacuat'; did you mean 'evacuate'?",
      "onDown: is required",
      "limits.maxInFlight: must be an integer from 1 to 32, got 0",
      "limits.maxMovesPerHour: must be an integer from 0 to 10000, got 1.5",
    ].sort());
  });

  test("an unknown name is neither a built-in nor a file; a file that is not JSON says so", () => {
    expect(() => loadPolicy("evacuat", cwd)).toThrow(/--policy 'evacuat' is not a valid watch policy:\n\s+is neither a built-in policy \('observe', 'drain', 'evacuate', 'failover'\); did you mean 'evacuate'\? nor a file/);
    writeFileSync(path.join(cwd, "broken.json"), "{ onDegraded: ");
    expect(() => loadPolicy("broken.json", cwd)).toThrow(/broken.json is not a valid watch policy:\n\s+is not valid JSON/);
  });

  test("cellctl watch refuses a bad policy or option with exit 2 before doing anything", async () => {
    writeFileSync(path.join(cwd, "bad.json"), JSON.stringify({ onDegraded: "evacuate", onDown: "reboot" }));
    let err = "";
    const io = (json: boolean): Io => ({ out: () => {}, err: (t) => void (err += `${t}\n`), interactive: false, json });
    const connection: Connection = { v: 1, kind: "sandbox", router: { url: "http://127.0.0.1:9" }, registry: { kind: "sandbox", url: "http://127.0.0.1:9", token: "t" }, cells: {} };
    writeConnection(path.join(cwd, ".sandbox", "connection.json"), connection);
    expect(await runCellctl(["watch", "--policy", "bad.json"], { env: {}, cwd, io })).toBe(2);
    expect(err).toMatch(/onDown: must be one of 'none', 'drain', 'evacuate', 'failover', got 'reboot'/);
    expect(await runCellctl(["watch", "--policy", "drain", "--interval", "0"], { env: {}, cwd, io })).toBe(2);
    expect(err).toMatch(/--interval must be an integer from 1 to 3600, got 0/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});

describe("edge figures from a deployed router's Analytics Engine dataset", () => {
  test("one SQL query per window, per cell and kind, weighted by the sample interval, folded into the same figures as the local router's", async () => {
    api.sqlRows = [
      { cell: "alpha", kind: "call", requests: "120", errors: 30, timeouts: "4", p99: 812.4 },
      { cell: "alpha", kind: "shed", requests: 7, errors: 0, timeouts: 0, p99: 0 },
      { cell: "beta", kind: "call", requests: 55, errors: "0", timeouts: 0, p99: "20" },
    ];
    const source = analyticsEngineEdgeSource({ accountId: api.accountId, apiToken: api.token, dataset: "cells_edge_router_health", baseUrl: api.baseUrl });
    const figures = await source.read(30);
    expect(Object.fromEntries(figures)).toEqual({
      alpha: { requests: 120, errors: 30, timeouts: 4, shed: 7, p99: 812 },
      beta: { requests: 55, errors: 0, timeouts: 0, shed: 0, p99: 20 },
    });
    const call = api.calls.at(-1)!;
    expect({ method: call.method, path: call.path, auth: call.authorization }).toEqual({ method: "POST", path: `/accounts/${api.accountId}/analytics_engine/sql`, auth: `Bearer ${api.token}` });
    expect(call.sql).toMatch(/FROM cells_edge_router_health\nWHERE timestamp > NOW\(\) - INTERVAL '30' SECOND\nGROUP BY cell, kind/);
    expect(call.sql).toMatch(/SUM\(_sample_interval \* double3\) AS errors/);
  });

  test("a deployed connection reads the dataset with CLOUDFLARE_API_TOKEN, and has no source without it; a wrong token is an error the loop reports", async () => {
    const cloud: Connection = { v: 1, kind: "cloud", router: { url: "https://edge.example" }, registry: { kind: "cloudflare", accountId: api.accountId, namespaceId: api.namespaceId, baseUrl: api.baseUrl }, cells: {}, edge: { dataset: "my_dataset" } };
    expect(edgeSourceOf(cloud, {})).toBeUndefined();
    expect(edgeSourceOf(cloud, { CLOUDFLARE_API_TOKEN: api.token })!.description).toBe("Analytics Engine dataset my_dataset");
    await expect(edgeSourceOf(cloud, { CLOUDFLARE_API_TOKEN: "wrong" })!.read(10)).rejects.toThrow(/answered 401/);
  });
});

describe("the operator's switches in the registry", () => {
  const registry = () => new CloudflareRegistry({ accountId: api.accountId, namespaceId: api.namespaceId, apiToken: api.token, baseUrl: api.baseUrl });

  test("the kill switch is off until set, says who set it and why, and is off again once cleared", async () => {
    const kv = registry();
    expect(await readKillSwitch(kv)).toEqual({ on: false });
    await setKillSwitch(kv, true, { by: "ana", reason: "incident 42", now: new Date("2026-11-30T10:00:00Z") });
    expect(await readKillSwitch(kv)).toEqual({ on: true, by: "ana", reason: "incident 42", at: "2026-11-30T10:00:00.000Z" });
    await setKillSwitch(kv, false, { by: "ana", now: new Date() });
    expect(await readKillSwitch(kv)).toEqual({ on: false });
  });

  test("a kill switch that cannot be read counts as on", async () => {
    const unreachable = new SandboxRegistry("http://127.0.0.1:9", "t");
    expect(await readKillSwitch(unreachable)).toEqual({ on: true, reason: expect.stringMatching(/could not be read .*so it counts as on/) });
    api.kv.set("control:watch-halt", "not json");
    expect((await readKillSwitch(registry())).on).toBe(true);
    api.kv.delete("control:watch-halt");
  });

  test("a plan is approved once, by name; an unknown plan cannot be approved and approval survives a repeated request", async () => {
    const kv = registry();
    const plan = { id: "plan-0123456789", cellId: "alpha", condition: "degraded" as const, action: "evacuate" as const, tenants: ["T-1", "T-2"], since: "2026-11-30T10:00:00.000Z", blast: { tenants: 2, share: 0.5 } };
    await requestApproval(kv, plan, new Date("2026-11-30T10:00:05Z"));
    expect(await approvedPlans(kv, [plan.id])).toEqual(new Set());
    expect(await approvePlan(kv, "plan-9999999999", { by: "ana", now: new Date() })).toBeUndefined();
    expect(await approvePlan(kv, plan.id, { by: "ana", now: new Date("2026-11-30T10:01:00Z") })).toEqual(expect.objectContaining({ approvedBy: "ana", approvedAt: "2026-11-30T10:01:00.000Z" }));
    await requestApproval(kv, plan, new Date());
    expect(await approvedPlans(kv, [plan.id, "plan-9999999999"])).toEqual(new Set([plan.id]));
  });
});

describe("the loop's state file", () => {
  const sandboxConnection = (token: string): Connection => ({ v: 1, kind: "sandbox", router: { url: "http://127.0.0.1:8787" }, registry: { kind: "sandbox", url: "http://127.0.0.1:9000", token }, cells: {} });

  test("belongs to one system: a later sandbox (or another registry) starts afresh and the old file is kept aside on the first save", () => {
    const root = mkdtempSync(path.join(cwd, "state-"));
    const first = systemOf(sandboxConnection("token-of-the-first-npm-start"));
    const earlier = new WatchStateFile(root, first);
    earlier.save({ ...emptyState(), moves: [{ tenantId: "T-100", from: "alpha", to: "beta", planId: "plan-0123456789", reason: "evacuate", startedAt: 1, status: "done", attempts: 1 }] });
    expect(new WatchStateFile(root, first).load().moves).toHaveLength(1);
    expect(JSON.stringify(earlier.load())).not.toContain("token-of-the-first");

    const second = systemOf(sandboxConnection("token-of-the-next-npm-start"));
    const later = new WatchStateFile(root, second);
    expect(later.otherSystem()).toBe(first);
    expect(later.load()).toEqual({ ...emptyState(), system: second });
    later.save(later.load());
    expect(later.otherSystem()).toBeUndefined();
    expect(new WatchStateFile(root, first).otherSystem()).toBe(second);
    expect(JSON.parse(readFileSync(path.join(root, "watch", "state.previous.json"), "utf8")).moves).toHaveLength(1);

    const deployed = (ns: string): Connection => ({ v: 1, kind: "cloud", router: { url: "https://edge.example" }, registry: { kind: "cloudflare", accountId: "acc", namespaceId: ns }, cells: {} });
    expect(systemOf(deployed("ns-1"))).toBe(systemOf(deployed("ns-1")));
    expect(systemOf(deployed("ns-1"))).not.toBe(systemOf(deployed("ns-2")));
  });
});

describe("the bundled cellctl (what the container runs)", () => {
  test("'npm run cellctl:bundle' makes one file that runs the watch with no node_modules beside it", async () => {
    const root = path.resolve(__dirname, "..");
    await promisify(execFile)("npm", ["run", "--silent", "cellctl:bundle"], { cwd: root });
    const alone = path.join(cwd, "alone");
    rmSync(alone, { recursive: true, force: true });
    mkdirSync(alone);
    copyFileSync(path.join(root, ".build", "cellctl", "cellctl.cjs"), path.join(alone, "cellctl.cjs"));
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(alone, "cellctl.cjs"), "watch", "--help"], { cwd: alone });
    expect(stdout).toMatch(/--policy <name\|file>/);
    const failed = await promisify(execFile)(process.execPath, [path.join(alone, "cellctl.cjs"), "killswitch"], { cwd: alone }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toEqual(expect.objectContaining({ code: 1, stderr: expect.stringMatching(/^cellctl: no connection: start the sandbox/) }));
  }, 60_000);
});
