import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { Headers } from "../../contract";
import type { MovePhase } from "../../control/moves/journal";
import { SimulatedCrash } from "../../control/moves/move";
import { moveFaultsSandbox, tenantsOn } from "../support/move-faults";

/**
 * Moves whose controller dies: after each step (finished by `resume` from its journal, in a new
 * process with nothing in memory), or as a real `cellctl` process killed after the fence. After each:
 * every acknowledged write is where the tenant lives, exactly one cell serves it, and the registry
 * names that cell. Aborts, races and evacuation are in `migration-abort.test.ts`.
 */

const CRASH_PHASES = ["planned", "prepared", "copied", "caught-up", "fenced", "synced", "verified", "cut-over"] as const satisfies readonly MovePhase[];

const { controller, write, seed, admin, itemsOn, whereIs, servedBy, cellctl, cliEnv, scratch } = moveFaultsSandbox([
  // Crashes alternate direction: even phases move alpha -> beta, odd ones beta -> alpha.
  ...CRASH_PHASES.map((phase, i) => ({ tenantId: `T-CR-${phase}`, cellId: i % 2 === 0 ? "alpha" : "beta" })),
  ...tenantsOn("alpha", ["T-KILL", "T-SAME"]),
]);

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

test("a cellctl process killed after the fence: the tenant answers 503 until 'move --resume' finishes it", async () => {
  const tenantId = "T-KILL";
  const acked = await seed(tenantId, 10);
  const run = promisify(execFile);
  const env = { ...process.env, ...cliEnv() };
  const bin = path.resolve(__dirname, "../../control/bin/cellctl.cjs");
  const killed = await run(process.execPath, [bin, "move", tenantId, "--to", "beta"], { env: { ...env, CELLCTL_EXIT_AFTER: "fenced" }, cwd: scratch() }).then(
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
