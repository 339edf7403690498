import { runDeployCli } from "../control/deploy/command";
import { deployMatrix } from "../control/deploy/matrix";
import { planDeploy } from "../control/deploy/plan";
import { UsageError } from "../control/deploy/usage-error";
import { startHttpHost, type HttpHost } from "../sandbox/hosts/http-host";
import type { Topology } from "../topology";
import { fakeCdktf, type FakeCdktf } from "./support/fake-cdktf";

/**
 * `npm run deploy` against a stand-in `cdktf` (records its calls, writes outputs files, fails the
 * stacks it is told to) and cells' `/healthz` served on loopback with the documented shape
 * `{"status":"ok","cell_id","cloud"}`. Everything but cdktf and the clouds is real: the CLI parsing,
 * the plan, the child processes, the outputs files, the HTTP health probes.
 */

const TOPOLOGY: Topology = {
  cells: [
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
    { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
    { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 1 },
    { cloud: "aws", cellId: "delta", region: "us-west-2", wave: 1 },
  ],
  tenants: [{ tenantId: "T-1", cellId: "alpha" }],
};
const CLOUD: Record<string, string> = { alpha: "aws", beta: "azure", gamma: "aws", delta: "aws" };

/**
 * How a loopback cell answers `/healthz`: healthy; always a status code; healthy for the first n
 * probes, then 503; 503 for the first n probes, then healthy; healthy but as another cell.
 */
type Behaviour = "healthy" | number | { healthyProbes: number } | { sickProbes: number } | { answersAs: string };

interface HealthCell {
  readonly host: HttpHost;
  probes: number;
}

async function healthCell(cellId: string, behaviour: Behaviour): Promise<HealthCell> {
  const cell = { probes: 0 } as HealthCell & { probes: number };
  const ok = (id: string) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "ok", cell_id: id, cloud: CLOUD[cellId] }) });
  const host = await startHttpHost(async (request) => {
    if (request.path !== "/healthz") return { status: 404, headers: {}, body: "" };
    cell.probes += 1;
    if (behaviour === "healthy") return ok(cellId);
    if (typeof behaviour === "number") return { status: behaviour, headers: {}, body: "" };
    if ("answersAs" in behaviour) return ok(behaviour.answersAs);
    if ("sickProbes" in behaviour) return cell.probes > behaviour.sickProbes ? ok(cellId) : { status: 503, headers: {}, body: "" };
    return cell.probes <= behaviour.healthyProbes ? ok(cellId) : { status: 503, headers: {}, body: "" };
  });
  return Object.assign(cell, { host });
}

const FAST = ["--bake-seconds", "0.15", "--health-interval-seconds", "0.05", "--health-timeout-seconds", "1"];

/** One test's world: its own stand-in cdktf and its own loopback cells, so tests run concurrently. */
interface Rollout {
  readonly cdktf: FakeCdktf;
  cells: Record<string, HealthCell>;
  /** Starts a loopback `/healthz` per cell; returns each stack's endpoint URL. */
  startCells(behaviours?: Partial<Record<string, Behaviour>>): Promise<Record<string, string>>;
  /** `npm run deploy -- <argv>` in process; what it printed and its exit code. */
  deploy(argv: string[], stand?: { urls?: Record<string, string>; fail?: string[]; delayMs?: number }, topology?: unknown): Promise<{ code: number; stdout: string; stderr: string[] }>;
}

function rollout(): Rollout & { close(): Promise<void> } {
  const cdktf = fakeCdktf();
  const r = {
    cdktf,
    cells: {} as Record<string, HealthCell>,
    async startCells(behaviours: Partial<Record<string, Behaviour>> = {}) {
      for (const id of Object.keys(CLOUD)) r.cells[id] = await healthCell(id, behaviours[id] ?? "healthy");
      return Object.fromEntries(Object.entries(r.cells).map(([id, c]) => [`cell-${id}`, c.host.url]));
    },
    async deploy(argv: string[], stand: { urls?: Record<string, string>; fail?: string[]; delayMs?: number } = {}, topology: unknown = TOPOLOGY) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runDeployCli(argv, { topology, env: cdktf.env(stand), cwd: process.cwd(), stdout: (t) => stdout.push(t), stderr: (l) => stderr.push(l) });
      return { code, stdout: stdout.join(""), stderr };
    },
    async close() {
      cdktf.remove();
      await Promise.all(Object.values(r.cells).map((c) => c.host.stop()));
    },
  };
  return r;
}

/** A test with its own rollout world, run concurrently with the others (most of the time is waiting). */
const scenario = (name: string, body: (r: Rollout) => Promise<void>) =>
  test.concurrent(name, async () => {
    const r = rollout();
    try {
      await body(r);
    } finally {
      await r.close();
    }
  });

describe("a full rollout", () => {
  scenario("synthesizes once, deploys wave 0, then wave 1, then the edge, each with the flags cdktf needs and the user's", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy(["--auto-approve", ...FAST, "--", "--var", "x=1"], { urls });
    expect(run.code).toBe(0);
    const calls = r.cdktf.calls();
    expect(calls[0]!.args).toEqual(["synth"]);
    const order = r.cdktf.deployOrder();
    expect(order[0]).toBe("cell-alpha");
    expect(order.slice(1, 4).sort()).toEqual(["cell-beta", "cell-delta", "cell-gamma"]);
    expect(order[4]).toBe("edge");
    for (const call of calls.filter((c) => c.args[0] === "deploy")) {
      expect(call.args).toEqual([
        "deploy",
        call.args[1],
        "--skip-synth",
        "--ignore-missing-stack-dependencies",
        "--outputs-file",
        expect.stringMatching(new RegExp(`/${call.args[1]}\\.json$`)),
        "--auto-approve",
        "--var",
        "x=1",
      ]);
    }
    // wave 1 starts only after wave 0 is deployed and healthy; the edge only after wave 1
    const byStack = Object.fromEntries(calls.filter((c) => c.args[0] === "deploy").map((c) => [c.args[1], c]));
    for (const id of ["beta", "gamma", "delta"]) expect(byStack[`cell-${id}`]!.start).toBeGreaterThanOrEqual(byStack["cell-alpha"]!.end);
    for (const id of ["beta", "gamma", "delta"]) expect(byStack.edge!.start).toBeGreaterThanOrEqual(byStack[`cell-${id}`]!.end);
    expect(run.stdout).toMatch(/^Deployed 5 stacks\.\n  deployed: +cell-alpha \(wave 0, healthy\); cell-[a-z]+ \(wave 1, healthy\); .*edge \(edge\)\n$/);
  });

  scenario("checks every deployed cell's /healthz through its endpoint-url output, and again through the bake", async (r) => {
    const urls = await r.startCells();
    await r.deploy(FAST, { urls });
    for (const id of Object.keys(CLOUD)) expect(r.cells[id]!.probes).toBeGreaterThanOrEqual(2);
  });

  scenario("deploys the cells of a wave in parallel, never more than --parallel at once", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy([...FAST, "--parallel", "2"], { urls, delayMs: 250 });
    expect(run.code).toBe(0);
    expect(r.cdktf.maxConcurrentDeploys()).toBe(2);
    const wide = await r.deploy([...FAST, "--parallel", "3", "--wave", "1"], { urls, delayMs: 250 });
    expect(wide.code).toBe(0);
    expect(r.cdktf.maxConcurrentDeploys()).toBe(3);
  });

  scenario("a cell that becomes healthy within the health timeout passes", async (r) => {
    const urls = await r.startCells({ alpha: { sickProbes: 2 } });
    const run = await r.deploy(["--only", "cell-alpha", ...FAST], { urls });
    expect(run.code).toBe(0);
    expect(r.cells.alpha!.probes).toBeGreaterThanOrEqual(3);
    expect(run.stderr).toContain("cell-alpha: healthy");
  });
});

describe("the health gate stops the rollout", () => {
  scenario("an unhealthy canary stops everything after wave 0, and the report says what to do", async (r) => {
    const urls = await r.startCells({ alpha: 503 });
    const run = await r.deploy([...FAST, "--health-timeout-seconds", "0.2"], { urls });
    expect(run.code).toBe(1);
    expect(r.cdktf.deployOrder()).toEqual(["cell-alpha"]);
    expect(run.stdout).toContain("Deploy stopped at wave 0: a cell is not healthy.");
    expect(run.stdout).toMatch(/deployed: +cell-alpha \(wave 0, unhealthy: GET http:\/\/127\.0\.0\.1:\d+\/healthz answered 503\)/);
    expect(run.stdout).toContain("not deployed:  cell-beta (wave 1); cell-gamma (wave 1); cell-delta (wave 1); edge (edge)");
    expect(run.stdout).toContain("next: cell-alpha is deployed but not healthy: roll back (deploy the last good commit with npm run deploy -- --only cell-alpha) or fix forward, then resume with: npm run deploy -- --from-wave 0");
    expect(run.stderr.at(-1)).toMatch(/^deploy stopped at wave 0; next: /);
  });

  scenario("a canary that answers for another cell is unhealthy (its URL output points elsewhere)", async (r) => {
    const urls = await r.startCells({ alpha: { answersAs: "beta" } });
    const run = await r.deploy([...FAST, "--health-timeout-seconds", "0.2"], { urls });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/cell-alpha \(wave 0, unhealthy: GET .*\/healthz answered for cell "beta" on "aws", expected 'alpha' on 'aws'\)/);
  });

  scenario("a canary that turns unhealthy during the bake stops the rollout", async (r) => {
    const urls = await r.startCells({ alpha: { healthyProbes: 2 } });
    const run = await r.deploy(FAST, { urls });
    expect(run.code).toBe(1);
    expect(r.cdktf.deployOrder()).toEqual(["cell-alpha"]);
    expect(run.stdout).toMatch(/cell-alpha \(wave 0, unhealthy: unhealthy during the bake: GET .* answered 503\)/);
  });

  scenario("a cell with no endpoint-url output cannot be checked, so it is unhealthy", async (r) => {
    const urls = await r.startCells();
    const { "cell-alpha": _alpha, ...rest } = urls;
    const run = await r.deploy(FAST, { urls: rest });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("cell-alpha (wave 0, unhealthy: no endpoint-url output for cell-alpha, so its /healthz cannot be checked)");
  });

  scenario("an unreachable cell is unhealthy once the health timeout passes", async (r) => {
    const urls = await r.startCells();
    await r.cells.alpha!.host.stop();
    const run = await r.deploy([...FAST, "--health-timeout-seconds", "0.2"], { urls });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/cell-alpha \(wave 0, unhealthy: GET http:\/\/127\.0\.0\.1:\d+\/healthz failed: .*ECONNREFUSED/);
  });
});

describe("a failed cdktf deploy stops the rollout", () => {
  scenario("the failing stack's wave finishes what runs, starts nothing new, and the edge is not deployed", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy([...FAST, "--parallel", "1"], { urls, fail: ["cell-gamma"] });
    expect(run.code).toBe(1);
    const order = r.cdktf.deployOrder();
    expect(order).toContain("cell-gamma");
    expect(order).not.toContain("edge");
    expect(order.indexOf("cell-gamma")).toBe(order.length - 1); // nothing started after the failure
    expect(run.stderr).toContain("[cell-gamma] Error: cell-gamma failed to apply (stand-in)");
    expect(run.stdout).toContain("Deploy stopped at wave 1: a step failed.");
    expect(run.stdout).toMatch(/not deployed: .*cell-gamma \(wave 1, failed: cdktf deploy exited 1\).*edge \(edge\)/);
    expect(run.stdout).toContain("next: fix the error above, then resume with: npm run deploy -- --from-wave 1 (cells already deployed are a no-op)");
  });

  scenario("a failed edge deploy says how to deploy the edge alone", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy(FAST, { urls, fail: ["edge"] });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("next: fix the error above, then deploy the edge alone: npm run deploy -- --only edge");
  });
});

describe("resuming and choosing stacks", () => {
  scenario("--from-wave 1 leaves wave 0 alone and deploys wave 1, then the edge", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy([...FAST, "--from-wave", "1"], { urls });
    expect(run.code).toBe(0);
    expect(r.cdktf.deployOrder().sort()).toEqual(["cell-beta", "cell-delta", "cell-gamma", "edge"]);
    expect(r.cells.alpha!.probes).toBe(0);
  });

  scenario("a failure in a --wave or --only run says to run that again", async (r) => {
    const urls = await r.startCells();
    expect((await r.deploy([...FAST, "--wave", "1"], { urls, fail: ["cell-beta"] })).stdout).toContain("resume with: npm run deploy -- --wave 1 (cells");
    expect((await r.deploy([...FAST, "--only", "cell-beta"], { urls, fail: ["cell-beta"] })).stdout).toContain("resume with: the same command (cells");
  });

  scenario("--only deploys just the stacks named, health-checked, edge last", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy([...FAST, "--only", "edge", "--only", "cell-beta"], { urls });
    expect(run.code).toBe(0);
    expect(r.cdktf.deployOrder()).toEqual(["cell-beta", "edge"]);
    expect(r.cells.beta!.probes).toBeGreaterThan(0);
  });

  scenario("--edge-first deploys the edge before wave 0 and again last", async (r) => {
    const urls = await r.startCells();
    const run = await r.deploy([...FAST, "--edge-first"], { urls });
    expect(run.code).toBe(0);
    const order = r.cdktf.deployOrder();
    expect([order[0], order[1], order.at(-1)]).toEqual(["edge", "cell-alpha", "edge"]);
  });

  scenario("--skip-synth is passed on and no synth runs", async (r) => {
    const urls = await r.startCells();
    await r.deploy([...FAST, "--skip-synth", "--only", "cell-alpha"], { urls });
    expect(r.cdktf.calls().map((c) => c.args[0])).toEqual(["deploy"]);
  });
});

describe("what runs nothing", () => {
  scenario("--dry-run prints the waves, the gates and the exact commands, and calls no cdktf", async (r) => {
    const run = await r.deploy(["--dry-run", "--auto-approve", "--parallel", "2", "--bake-seconds", "30"]);
    expect(run.code).toBe(0);
    expect(r.cdktf.calls()).toEqual([]);
    expect(run.stdout.split("\n")).toEqual([
      "Deploy plan (dry run: nothing runs)",
      "",
      "  synth    cdktf synth, once for every stack",
      "  wave 0   cell-alpha (canary)",
      "           then GET /healthz of alpha through the endpoint-url output (up to 300 s), healthy through a bake of 30 s; an unhealthy wave 0 (canary) stops the rollout",
      "  wave 1   cell-beta, cell-gamma, cell-delta, 2 at a time",
      "           then GET /healthz of beta, gamma, delta through the endpoint-url output (up to 300 s), healthy through a bake of 30 s; an unhealthy wave 1 stops the rollout",
      "  edge     edge",
      "",
      "Commands:",
      "  cdktf synth",
      "  cdktf deploy cell-alpha --skip-synth --ignore-missing-stack-dependencies --outputs-file <outputs>/cell-alpha.json --auto-approve",
      "  cdktf deploy cell-beta --skip-synth --ignore-missing-stack-dependencies --outputs-file <outputs>/cell-beta.json --auto-approve",
      "  cdktf deploy cell-gamma --skip-synth --ignore-missing-stack-dependencies --outputs-file <outputs>/cell-gamma.json --auto-approve",
      "  cdktf deploy cell-delta --skip-synth --ignore-missing-stack-dependencies --outputs-file <outputs>/cell-delta.json --auto-approve",
      "  cdktf deploy edge --skip-synth --ignore-missing-stack-dependencies --outputs-file <outputs>/edge.json --auto-approve",
      "",
    ]);
  });

  scenario("--print-matrix prints one JSON document of the waves on stdout, and calls no cdktf", async (r) => {
    const run = await r.deploy(["--print-matrix"]);
    expect(run.code).toBe(0);
    expect(r.cdktf.calls()).toEqual([]);
    expect(run.stdout.endsWith("\n")).toBe(true);
    expect(JSON.parse(run.stdout)).toEqual({
      include: [
        { wave: 0, canary: true, stacks: "cell-alpha", cells: "alpha", environment: "cells-wave-0" },
        { wave: 1, canary: false, stacks: "cell-beta cell-gamma cell-delta", cells: "beta,gamma,delta", environment: "cells-wave-1" },
      ],
    });
  });
});

describe("mistakes on the command line or in the topology", () => {
  test.each<[string[], RegExp]>([
    [["--only", "cell-alpah"], /^error: --only: no stack 'cell-alpah'; did you mean 'cell-alpha'\? \(stacks: cell-alpha, cell-beta, cell-gamma, cell-delta, edge\)$/],
    [["--from-wave", "2"], /^error: --from-wave must be a wave of this topology, 0 to 1, got 2$/],
    [["--from-wave", "one"], /^error: option '--from-wave <n>' argument 'one' is invalid\. must be a whole number of at least 0, got 'one'$/],
    [["--parallel", "0"], /^error: option '--parallel <n>' argument '0' is invalid\. must be a whole number of at least 1, got '0'$/],
    [["--wave", "0", "--only", "edge"], /^error: --only and --wave pick stacks in different ways; use one of them$/],
    [["--edge-first", "--only", "cell-beta"], /^error: --edge-first belongs to a whole rollout/],
    [["--dry-rn"], /^error: unknown option '--dry-rn'\n\(Did you mean --dry-run\?\)$/],
    [["cell-alpha"], /^error: too many arguments/],
  ])("%j is a usage error: exit 2, one message, nothing runs", async (argv, message) => {
    const r = rollout();
    try {
      const run = await r.deploy(argv);
      expect(run.code).toBe(2);
      expect(run.stderr.join("\n")).toMatch(message);
      expect(r.cdktf.calls()).toEqual([]);
    } finally {
      await r.close();
    }
  });

  scenario("an invalid topology is reported like synth reports it: exit 1, nothing runs", async (r) => {
    const bad = { ...TOPOLOGY, cells: [{ ...TOPOLOGY.cells[0], wave: 1 }, ...TOPOLOGY.cells.slice(1)] };
    const run = await r.deploy(["--auto-approve"], {}, bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toEqual(["topology.ts: cells: no cell is in wave 0, the canary wave; give one cell (the canary) wave: 0", "Nothing deployed: 1 problem(s) in topology.ts (npm run synth reports the same)."]);
    expect(r.cdktf.calls()).toEqual([]);
  });

  scenario("--help prints the options on stdout, exit 0", async (r) => {
    const run = await r.deploy(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--from-wave <n>");
    expect(run.stdout).toContain("--auto-approve");
  });
});

describe("interruption", () => {
  scenario("an abort lets the running deploy stop (SIGINT to cdktf), starts nothing new, and says how to resume", async (r) => {
    const urls = await r.startCells();
    const abort = new AbortController();
    const stdout: string[] = [];
    const stderr: string[] = [];
    const running = runDeployCli(FAST, { topology: TOPOLOGY, env: r.cdktf.env({ urls, delayMs: 5_000 }), cwd: process.cwd(), stdout: (t) => stdout.push(t), stderr: (l) => stderr.push(l), signal: abort.signal });
    while (!stderr.some((l) => l.startsWith("deploying cell-alpha"))) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the stand-in is up and has set its SIGINT trap
    abort.abort();
    expect(await running).toBe(1);
    expect(r.cdktf.calls().filter((c) => c.args[0] === "deploy")).toEqual([expect.objectContaining({ args: expect.arrayContaining(["cell-alpha"]), signal: "SIGINT" })]);
    expect(stdout.join("")).toContain("Deploy interrupted at wave 0.");
  });
});

describe("plan and matrix (pure)", () => {
  test("the plan lists synth, the waves in order and the edge last; a resume lists what it skips", () => {
    const plan = planDeploy(TOPOLOGY, { fromWave: 1 });
    expect(plan.steps.map((s) => (s.kind === "wave" ? `wave ${s.wave}: ${s.cells.map((c) => c.stack).join(",")}` : s.kind === "edge" ? `edge ${s.when}` : s.kind))).toEqual([
      "synth",
      "wave 1: cell-beta,cell-gamma,cell-delta",
      "edge last",
    ]);
    expect(plan.skipped).toEqual(["cell-alpha"]);
  });

  test("--wave plans one wave and no edge", () => {
    const plan = planDeploy(TOPOLOGY, { wave: 0, skipSynth: true });
    expect(plan.mode).toBe("wave");
    expect(plan.steps).toEqual([{ kind: "wave", wave: 0, cells: [{ stack: "cell-alpha", cellId: "alpha", cloud: "aws", wave: 0 }] }]);
  });

  test("unknown stacks and waves are usage errors", () => {
    expect(() => planDeploy(TOPOLOGY, { wave: 7 })).toThrow(UsageError);
    expect(() => planDeploy(TOPOLOGY, { only: ["cell-omega"] })).toThrow(/no stack 'cell-omega' \(stacks: /);
  });

  test("the matrix has one entry per wave, canary first", () => {
    expect(deployMatrix(TOPOLOGY).include.map((e) => [e.wave, e.stacks])).toEqual([
      [0, "cell-alpha"],
      [1, "cell-beta cell-gamma cell-delta"],
    ]);
  });
});
