import { MoveError, SimulatedCrash } from "../../control/moves/move";
import type { MovePhase } from "../../control/moves/journal";
import { moveFaultsSandbox, tenantsOn } from "../support/move-faults";

/**
 * Moves that are called off or fought over: `abort` after each step before the cut-over (and refused
 * after it), two controllers moving the same tenant at once, and an evacuation of a whole cell while
 * the other cells' tenants keep working. After each: every acknowledged write is where the tenant
 * lives, exactly one cell serves it, and the registry names that cell. Crashes are in
 * `migration-crash.test.ts`.
 */

const ABORT_PHASES = ["planned", "prepared", "copied", "caught-up", "fenced", "synced", "verified"] as const satisfies readonly MovePhase[];
const EVACUEES = Array.from({ length: 20 }, (_, i) => `T-EV-${String(i).padStart(2, "0")}`);

const { controller, write, seed, controlPlane, itemsOn, whereIs, servedBy, cellctl } = moveFaultsSandbox([
  ...tenantsOn("alpha", ABORT_PHASES.map((phase) => `T-AB-${phase}`)),
  ...tenantsOn("alpha", ["T-RACE-1", "T-RACE-2", "T-STAY-A"]),
  ...tenantsOn("beta", ["T-STAY-B"]),
  ...tenantsOn("gamma", EVACUEES),
]);

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

  const cells = controlPlane();
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
