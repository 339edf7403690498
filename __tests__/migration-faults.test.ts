import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Headers } from "../contract";
import { runCellctl } from "../control/cellctl";
import type { Io } from "../control/cli/output";
import { writeConnection } from "../control/connection";
import { ControlPlane } from "../control/control-plane";
import { JournalStore, type MovePhase } from "../control/moves/journal";
import { MoveError, Mover, SimulatedCrash } from "../control/moves/move";
import { startSandbox, type Sandbox } from "../sandbox/sandbox";
import type { Topology } from "../topology";

/**
 * Moves that do not go to plan: a controller that dies after each step (finished by `resume` from
 * its journal, or undone by `abort`), a controller process killed mid-move, two controllers moving
 * the same tenant at once, and an evacuation of a whole cell while the other cell's tenants keep
 * working. After each: every acknowledged write is where the tenant lives, exactly one cell serves
 * it, and the registry names that cell.
 */

const CRASH_PHASES = ["planned", "prepared", "copied", "caught-up", "fenced", "synced", "verified", "cut-over"] as const satisfies readonly MovePhase[];
const ABORT_PHASES = ["planned", "prepared", "copied", "caught-up", "fenced", "synced", "verified"] as const satisfies readonly MovePhase[];
const EVACUEES = Array.from({ length: 20 }, (_, i) => `T-EV-${String(i).padStart(2, "0")}`);

const tenantsOn = (cellId: string, ids: readonly string[]) => ids.map((tenantId) => ({ tenantId, cellId }));
const TOPOLOGY: Topology = {
  cells: [
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
    { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
    { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 1 },
  ],
  tenants: [
    // Crashes alternate direction: even phases move alpha -> beta, odd ones beta -> alpha.
    ...CRASH_PHASES.map((phase, i) => ({ tenantId: `T-CR-${phase}`, cellId: i % 2 === 0 ? "alpha" : "beta" })),
    ...tenantsOn("alpha", ABORT_PHASES.map((phase) => `T-AB-${phase}`)),
    ...tenantsOn("alpha", ["T-RACE-1", "T-RACE-2", "T-KILL", "T-SAME", "T-STAY-A"]),
    ...tenantsOn("beta", ["T-STAY-B"]),
    ...tenantsOn("gamma", EVACUEES),
  ],
};

let sandbox: Sandbox;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ topology: TOPOLOGY, routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 0 });
  scratch = mkdtempSync(path.join(tmpdir(), "move-faults-"));
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A controller: its own journal directory, as on its own machine; `crashAfter` kills it after that step. */
function controller(name: string, crashAfter?: MovePhase): Mover {
  const afterStep = (phase: MovePhase) => {
    if (phase === crashAfter) throw new SimulatedCrash(`controller died after '${phase}'`);
  };
  return new Mover(new ControlPlane(sandbox.connection), new JournalStore(path.join(scratch, name)), { afterStep });
}

/** A client write through the router; the tenant's acknowledged writes are kept in `acked`. */
async function write(tenantId: string, recordId: string, acked: Map<string, number>): Promise<Response> {
  const response = await fetch(`${sandbox.routerUrl}/api/tenants/${tenantId}/records/${recordId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${sandbox.auth!.mint(tenantId)}` },
    body: JSON.stringify({ data: { recordId } }),
  });
  if (response.ok) acked.set(recordId, ((await response.clone().json()) as { version: number }).version);
  return response;
}

async function seed(tenantId: string, count: number): Promise<Map<string, number>> {
  const acked = new Map<string, number>();
  for (let i = 0; i < count; i++) expect((await write(tenantId, `r${i}`, acked)).status).toBe(201);
  return acked;
}

const admin = (cellId: string) => new ControlPlane(sandbox.connection).admin(cellId);

/** The tenant's items on a cell; none when the cell does not know the tenant at all. */
async function itemsOn(cellId: string, tenantId: string) {
  const cell = await admin(cellId);
  return (await cell.ownership(tenantId)) === undefined ? [] : (await cell.exportPage(tenantId)).items;
}

/** Where the tenant is served: every cell's ownership state, the registry's cell, and whether all of `acked` is on the owner. */
async function whereIs(tenantId: string, acked: Map<string, number>) {
  const states: Record<string, string> = {};
  for (const cellId of ["alpha", "beta", "gamma"]) states[cellId] = (await (await admin(cellId)).ownership(tenantId))?.state ?? "-";
  const active = Object.keys(states).filter((c) => states[c] === "active");
  const registry = (await new ControlPlane(sandbox.connection).registry.tenant(tenantId))?.cellId;
  const items = active.length === 1 ? await (await admin(active[0]!)).exportItems(tenantId, [...acked.keys()]) : [];
  const missing = [...acked].filter(([id, version]) => items.find((i) => i.record_id === id)?.version !== version).map(([id]) => id);
  return { active, registry, missing };
}

/** A write through the router after the fact must land on `cellId`. */
async function servedBy(tenantId: string, acked: Map<string, number>, recordId = "after"): Promise<string | null> {
  const response = await write(tenantId, recordId, acked);
  expect(response.status).toBeLessThan(300);
  return response.headers.get(Headers.cellId);
}

describe("a controller that dies after a step", () => {
  test.each(CRASH_PHASES.map((phase, i) => ({ phase, from: i % 2 === 0 ? "alpha" : "beta", to: i % 2 === 0 ? "beta" : "alpha" })))(
    "after '$phase' ($from -> $to): resume finishes the move with every acknowledged write",
    async ({ phase, from, to }) => {
      const tenantId = `T-CR-${phase}`;
      const acked = await seed(tenantId, 6);
      await expect(controller(`crash-${phase}`, phase).start(tenantId, to)).rejects.toBeInstanceOf(SimulatedCrash);

      // While the controller is dead, clients keep going: writes land on the source until the fence,
      // and a fenced tenant answers 503 with Retry-After (nothing is accepted that could be lost).
      const during = await write(tenantId, "during", acked);
      const fencedPhases: readonly MovePhase[] = ["fenced", "synced", "verified"];
      if (fencedPhases.includes(phase)) expect({ status: during.status, retryAfter: during.headers.get(Headers.retryAfter) !== null }).toEqual({ status: 503, retryAfter: true });
      else expect(during.status).toBe(201);

      // A new process (nothing in memory) picks the journal up.
      const journal = await controller(`crash-${phase}`).resume(tenantId);
      expect({ phase: journal.phase, source: journal.source, target: journal.target }).toEqual({ phase: "done", source: from, target: to });
      expect(await whereIs(tenantId, acked)).toEqual({ active: [to], registry: to, missing: [] });
      expect(await servedBy(tenantId, acked)).toBe(to);
    },
    30_000,
  );
});

test("a same-cloud move (AWS alpha -> AWS gamma) takes the same path", async () => {
  const acked = await seed("T-SAME", 6);
  expect((await controller("same-cloud").start("T-SAME", "gamma")).phase).toBe("done");
  expect(await whereIs("T-SAME", acked)).toEqual({ active: ["gamma"], registry: "gamma", missing: [] });
});

test("purge deletes the copy a moved tenant left behind, and is refused where the tenant is served", async () => {
  // T-CR-planned moved alpha -> beta above.
  const refused = await cellctl("purge", "T-CR-planned", "--cell", "beta");
  expect({ code: refused.code, err: refused.err }).toEqual({ code: 1, err: expect.stringMatching(/'T-CR-planned' is active at epoch 2 on beta; only a tenant that moved away can be purged/) });
  const purged = await cellctl("--json", "purge", "T-CR-planned", "--cell", "alpha");
  expect({ code: purged.code, deleted: JSON.parse(purged.out).deleted }).toEqual({ code: 0, deleted: expect.any(Number) });
  expect(JSON.parse(purged.out).deleted).toBeGreaterThanOrEqual(7);
  const alpha = await admin("alpha");
  expect((await alpha.ownership("T-CR-planned"))?.state).toBe("moved");
  expect(await itemsOn("alpha", "T-CR-planned")).toEqual([]);
  expect(await servedBy("T-CR-planned", new Map(), "after-purge")).toBe("beta");
});

describe("abort", () => {
  test.each(ABORT_PHASES)("after '%s': the source serves again, the target lets go and is purged, and a new move still works", async (phase) => {
    const tenantId = `T-AB-${phase}`;
    const acked = await seed(tenantId, 8);
    await expect(controller(`abort-${phase}`, phase).start(tenantId, "beta")).rejects.toBeInstanceOf(SimulatedCrash);

    const journal = await controller(`abort-${phase}`).abort(tenantId);
    expect(journal.phase).toBe("aborted");
    expect(await whereIs(tenantId, acked)).toEqual({ active: ["alpha"], registry: "alpha", missing: [] });
    expect(await itemsOn("beta", tenantId)).toEqual([]);
    expect(await servedBy(tenantId, acked)).toBe("alpha");

    // The epochs an abort leaves behind do not get in the way of the next move.
    const again = await controller(`abort-${phase}-again`).start(tenantId, "beta");
    expect(again.phase).toBe("done");
    expect(await whereIs(tenantId, acked)).toEqual({ active: ["beta"], registry: "beta", missing: [] });
  }, 30_000);

  test("after the cut-over it is refused with what to do instead, and resume still finishes", async () => {
    const tenantId = "T-CR-cut-over-abort";
    const mover = controller("abort-cut-over", "cut-over");
    // A tenant of its own, placed with cellctl so the test does not depend on another test's state.
    expect((await cellctl("place", tenantId, "--cell", "alpha")).code).toBe(0);
    const acked = await seed(tenantId, 4);
    await expect(mover.start(tenantId, "beta")).rejects.toBeInstanceOf(SimulatedCrash);
    await expect(controller("abort-cut-over").abort(tenantId)).rejects.toThrow(/has cut over; to undo it, move the tenant back: 'cellctl move T-CR-cut-over-abort --to alpha'/);
    expect((await controller("abort-cut-over").resume(tenantId)).phase).toBe("done");
    expect(await whereIs(tenantId, acked)).toEqual({ active: ["beta"], registry: "beta", missing: [] });
  }, 30_000);
});

describe("two controllers move the same tenant at once", () => {
  test.each([
    { tenantId: "T-RACE-1", targets: ["beta", "beta"] },
    { tenantId: "T-RACE-2", targets: ["beta", "gamma"] },
  ])("$tenantId to $targets: exactly one wins, the other stops saying why, and its abort undoes only its own changes", async ({ tenantId, targets }) => {
    const acked = await seed(tenantId, 30);
    const [a, b] = [controller(`race-${tenantId}-a`), controller(`race-${tenantId}-b`)];
    const results = await Promise.allSettled([a.start(tenantId, targets[0]), b.start(tenantId, targets[1])]);
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ i, journal: r.value }] : []));
    const lost = results.flatMap((r, i) => (r.status === "rejected" ? [{ i, error: r.reason as Error }] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.error).toBeInstanceOf(MoveError);
    expect(lost[0]!.error.message).toMatch(/another controller|already being moved|no single active owner/i);
    const winner = won[0]!.journal.target;

    // The loser cleans up after itself (when it got far enough to leave anything) without touching the winner's move.
    const loser = [a, b][lost[0]!.i]!;
    await loser.abort(tenantId).catch((error: Error) => expect(error.message).toMatch(/no move of/));
    expect(await whereIs(tenantId, acked)).toEqual({ active: [winner], registry: winner, missing: [] });
    expect(await servedBy(tenantId, acked)).toBe(winner);
    // A cell the loser prepared holds nothing after its abort.
    for (const other of ["beta", "gamma"].filter((c) => c !== winner)) expect(await itemsOn(other, tenantId)).toEqual([]);
  }, 30_000);
});

/** Runs `cellctl` in-process against the sandbox, capturing its output. */
async function cellctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io = (json: boolean): Io => ({ out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), interactive: false, json });
  const env = { CELLCTL_CONNECTION: connectionFile(), CELLCTL_JOURNAL_DIR: path.join(scratch, "cli") };
  const code = await runCellctl(argv, { env, cwd: scratch, io });
  return { code, out, err };
}

let written: string | undefined;
function connectionFile(): string {
  if (!written) writeConnection((written = path.join(scratch, "connection.json")), sandbox.connection);
  return written;
}

test("a cellctl process killed after the fence: the tenant answers 503 until 'move --resume' finishes it", async () => {
  const tenantId = "T-KILL";
  const acked = await seed(tenantId, 10);
  const run = promisify(execFile);
  const env = { ...process.env, CELLCTL_CONNECTION: connectionFile(), CELLCTL_JOURNAL_DIR: path.join(scratch, "cli") };
  const bin = path.resolve(__dirname, "../control/bin/cellctl.cjs");
  const killed = await run(process.execPath, [bin, "move", tenantId, "--to", "beta"], { env: { ...env, CELLCTL_EXIT_AFTER: "fenced" }, cwd: scratch }).then(
    () => ({ code: 0, stderr: "" }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  expect(killed).toEqual({ code: 137, stderr: expect.stringMatching(/fenced on alpha: writes pause/) });
  const fenced = await write(tenantId, "while-dead", acked);
  expect({ status: fenced.status, retryAfter: fenced.headers.get(Headers.retryAfter) !== null }).toEqual({ status: 503, retryAfter: true });
  const moves = await cellctl("--json", "moves");
  expect(JSON.parse(moves.out).moves).toEqual(expect.arrayContaining([expect.objectContaining({ tenant_id: tenantId, phase: "fenced" })]));

  const resumed = await cellctl("move", tenantId, "--resume");
  expect({ code: resumed.code, err: resumed.err }).toEqual({ code: 0, err: expect.any(String) });
  expect(await whereIs(tenantId, acked)).toEqual({ active: ["beta"], registry: "beta", missing: [] });
}, 60_000);

test("evacuating a cell of 20 tenants moves every one with its data while the other cells' tenants see no error", async () => {
  const acked = new Map<string, Map<string, number>>();
  for (const tenantId of EVACUEES) acked.set(tenantId, await seed(tenantId, 2));
  const bystanders = { "T-STAY-A": new Map<string, number>(), "T-STAY-B": new Map<string, number>() };
  const statuses: number[] = [];
  let stop = false;
  const load = Object.entries(bystanders).map(async ([tenantId, mine]) => {
    for (let n = 0; !stop; n++) statuses.push((await write(tenantId, `b${n}`, mine)).status);
  });

  const evacuated = await cellctl("evacuate", "gamma", "--parallel", "4");
  stop = true;
  await Promise.all(load);
  expect({ code: evacuated.code, err: evacuated.err.split("\n").filter((l) => /error|failed|stopped/i.test(l)) }).toEqual({ code: 0, err: [] });

  const cells = new ControlPlane(sandbox.connection);
  expect((await cells.registry.cell("gamma"))?.status).toBe("draining");
  const placed = new Map<string, string>();
  for (const tenantId of EVACUEES) {
    const where = await whereIs(tenantId, acked.get(tenantId)!);
    expect({ tenantId, missing: where.missing, registry: where.registry, active: where.active.length }).toEqual({ tenantId, missing: [], registry: where.active[0], active: 1 });
    placed.set(tenantId, where.active[0]!);
  }
  expect(new Set(placed.values())).not.toContain("gamma");
  expect(statuses.filter((s) => s >= 300)).toEqual([]);
  expect(statuses.length).toBeGreaterThan(10);
}, 120_000);
