import { CELL_HEALTH_VERSION, EDGE_LATENCY_BUCKETS_MS, type CellEntry, type CellHealthReport } from "../contract";
import { applyOutcome, decide, emptyState, recordStart, MAX_RESUME_ATTEMPTS, type TickDecision, type WatchAction, type WatchState } from "../control/watch/decide";
import { parsePolicy, type WatchPolicy } from "../control/watch/policy";
import type { CellObservation, EdgeFigures } from "../control/watch/signals";

/**
 * The control loop's decisions, pure, on a simulated world with a clock we step: cells whose health we
 * set window by window, actions that take effect at once (or stop, or run on), and the guard rails.
 * Hysteresis, rate limits, targets, the kill switch, approval, failover without standby support,
 * recovery and flapping.
 */

type Health = "ok" | "slow" | "down" | "unreachable";

interface SimCell {
  status: CellEntry["status"];
  tenants: string[];
  capacity: number;
  health: Health;
  edge?: EdgeFigures;
}

const T0 = Date.parse("2026-11-30T10:00:00Z");
const MIN = 60_000;

const policyOf = (over: Record<string, unknown> = {}): WatchPolicy =>
  parsePolicy({ onDegraded: "evacuate", onDown: "evacuate", hysteresis: { degradedAfter: 3, downAfter: 3, healthyAfter: 4 }, approval: { aboveTenants: 100, aboveShare: 1 }, ...over }, "test policy", "test");

const report = (cellId: string, health: Health): CellHealthReport => ({
  v: CELL_HEALTH_VERSION,
  cell_id: cellId,
  cloud: "aws",
  generated_at: new Date(T0).toISOString(),
  probe: health === "down" ? { ok: false, write_ms: null, read_ms: null, error: "StoreUnavailableError: ECONNREFUSED" } : { ok: true, write_ms: health === "slow" ? 900 : 4, read_ms: health === "slow" ? 900 : 3, error: null },
  recent: { window_seconds: 10, requests: 0, errors: 0, latency_ms: { p50: null, p99: null, histogram: new Array(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0) } },
});

/** A world of cells; `tick` decides one window and carries the actions out the way the real actions would. */
class World {
  state: WatchState = emptyState();
  now = T0;
  kill = { on: false, reason: undefined as string | undefined };
  approved = new Set<string>();
  /** Moves that keep running (never finish) while set. */
  stallMoves = false;
  /** Moves that stop at a journaled step while set. */
  stopMoves = false;
  /** While set, a running move's tenant shows as the real cells show it mid-move: fenced on its source, active nowhere. */
  fenceRunning = false;
  readonly running = new Set<string>();
  readonly log: TickDecision[] = [];
  readonly done: WatchAction[] = [];

  constructor(readonly cells: Record<string, SimCell>) {}

  observations(): CellObservation[] {
    return Object.entries(this.cells).map(([cellId, c]) => ({
      cell: { v: 1, cellId, cloud: "aws", region: "us-east-1", url: `https://${cellId}.example`, status: c.status },
      capacity: c.capacity,
      tenants: c.health === "unreachable" ? undefined : c.tenants.map((tenantId) => ({ tenantId, epoch: 1, state: this.fenceRunning && this.running.has(tenantId) ? ("fenced" as const) : ("active" as const), updatedAt: "x" })),
      deep: c.health === "unreachable" ? { ok: false as const, error: "did not answer within 5000 ms" } : { ok: true as const, report: report(cellId, c.health) },
      edge: c.edge,
    }));
  }

  tick(policy: WatchPolicy): TickDecision {
    const placements = new Map(Object.entries(this.cells).flatMap(([cellId, c]) => c.tenants.map((t) => [t, cellId] as [string, string])));
    const d = decide({ now: this.now, policy, observations: this.observations(), state: this.state, killSwitch: this.kill, approved: this.approved, running: this.running, placements });
    this.state = d.state;
    for (const a of d.actions) this.execute(a);
    this.log.push(d);
    this.now += policy.intervalSeconds * 1000;
    return d;
  }

  private execute(a: WatchAction): void {
    this.done.push(a);
    switch (a.kind) {
      case "drain":
        this.cells[a.cellId]!.status = "draining";
        return applyOutcome(this.state, a, { ok: true }, this.now);
      case "activate":
        this.cells[a.cellId]!.status = "active";
        return applyOutcome(this.state, a, { ok: true }, this.now);
      case "failover":
        return applyOutcome(this.state, a, { ok: false, unsupported: true, error: "alpha: none of these tenants has a standby" }, this.now);
      case "request-approval":
        return applyOutcome(this.state, a, { ok: true }, this.now);
      case "move":
      case "resume": {
        recordStart(this.state, a, this.now);
        if (this.stallMoves) {
          this.running.add(a.tenantId);
          return;
        }
        if (this.stopMoves) return applyOutcome(this.state, a, { ok: false, journaled: true, error: "store_unavailable" }, this.now);
        const from = this.cells[a.from]!;
        from.tenants = from.tenants.filter((t) => t !== a.tenantId);
        this.cells[a.to]!.tenants.push(a.tenantId);
        return applyOutcome(this.state, a, { ok: true }, this.now);
      }
    }
  }

  /** Every action of a kind taken so far. */
  taken<K extends WatchAction["kind"]>(kind: K): Array<Extract<WatchAction, { kind: K }>> {
    return this.done.filter((a): a is Extract<WatchAction, { kind: K }> => a.kind === kind);
  }

  ticks(policy: WatchPolicy, n: number, each?: (i: number) => void): void {
    for (let i = 0; i < n; i++) {
      each?.(i);
      this.tick(policy);
    }
  }
}

const cell = (tenants: string[], over: Partial<SimCell> = {}): SimCell => ({ status: "active", tenants, capacity: 100, health: "ok", ...over });
const twoCells = (alpha: string[] = ["T-100"], beta: string[] = ["T-200"]) => new World({ alpha: cell(alpha), beta: cell(beta) });

describe("hysteresis", () => {
  test("a single bad window, or two, moves nothing; the third in a row degrades the cell, drains it and moves its tenant", () => {
    const w = twoCells();
    const policy = policyOf();
    w.cells.alpha!.health = "slow";
    w.tick(policy);
    w.cells.alpha!.health = "ok";
    w.ticks(policy, 3);
    expect(w.done).toEqual([]);
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 2);
    expect(w.done).toEqual([]);
    expect(w.log.at(-1)!.cells.find((c) => c.cellId === "alpha")).toEqual(expect.objectContaining({ condition: "healthy", verdict: "degraded", streak: { ok: 0, bad: 2, down: 0 }, reasons: ["store probe 1800 ms > 1000 ms"] }));
    const third = w.tick(policy);
    expect(third.cells.find((c) => c.cellId === "alpha")).toEqual(expect.objectContaining({ condition: "degraded", previous: "healthy", changed: true }));
    expect(third.actions.map((a) => a.kind)).toEqual(["drain", "move"]);
    expect(w.taken("move")).toEqual([expect.objectContaining({ tenantId: "T-100", from: "alpha", to: "beta", reason: "evacuate" })]);
  });

  test("a cell is healthy again only after `healthyAfter` good windows in a row", () => {
    const w = twoCells(["T-100"], []);
    const policy = policyOf({ onDegraded: "drain" });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    w.cells.alpha!.health = "ok";
    w.ticks(policy, 3);
    w.cells.alpha!.health = "slow";
    w.tick(policy);
    w.cells.alpha!.health = "ok";
    w.ticks(policy, 3);
    expect(w.log.at(-1)!.cells.find((c) => c.cellId === "alpha")!.condition).toBe("degraded");
    w.tick(policy);
    expect(w.log.at(-1)!.cells.find((c) => c.cellId === "alpha")!.condition).toBe("healthy");
    expect(w.taken("activate")).toEqual([expect.objectContaining({ cellId: "alpha" })]);
  });

  test("windows on either side of a gap (the loop stopped, or a scheduled job's next run) are not in a row", () => {
    const w = twoCells();
    const policy = policyOf();
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 2);
    w.now += 5 * MIN;
    w.ticks(policy, 2);
    expect(w.log.at(-1)!.cells[0]).toEqual(expect.objectContaining({ condition: "healthy", streak: { ok: 0, bad: 2, down: 0 } }));
    expect(w.done).toEqual([]);
    w.tick(policy);
    expect(w.log.at(-1)!.cells[0]!.condition).toBe("degraded");
  });

  test("down windows in a row make a cell down; a mix of down and slow windows makes it degraded", () => {
    const w = twoCells();
    const policy = policyOf({ onDegraded: "none", onDown: "none" });
    const health: Health[] = ["down", "slow", "down"];
    w.ticks(policy, 3, (i) => (w.cells.alpha!.health = health[i]!));
    expect(w.log.at(-1)!.cells[0]!.condition).toBe("degraded");
    w.cells.alpha!.health = "unreachable";
    w.ticks(policy, 3);
    expect(w.log.at(-1)!.cells[0]).toEqual(expect.objectContaining({ condition: "down", verdict: "down", reasons: ["cell did not answer its health check (did not answer within 5000 ms)"] }));
    expect(w.done).toEqual([]);
  });

  test("the edge's figures count too: an error share or a p99 over the threshold, with enough requests, is a bad window; too few requests are not judged", () => {
    const w = twoCells();
    const policy = policyOf({ onDegraded: "drain" });
    w.cells.alpha!.edge = { requests: 9, errors: 9, timeouts: 0, shed: 0, p99: 20 };
    w.ticks(policy, 3);
    expect(w.done).toEqual([]);
    w.cells.alpha!.edge = { requests: 40, errors: 4, timeouts: 1, shed: 0, p99: 20 };
    w.ticks(policy, 3);
    expect(w.log.at(-1)!.cells[0]!.reasons).toEqual(["edge errors 10% > 5.0% (4/40)"]);
    expect(w.taken("drain")).toHaveLength(1);
  });
});

describe("flapping never loops", () => {
  test("a cell that alternates good and bad windows never changes condition and nothing moves", () => {
    const w = twoCells();
    const policy = policyOf();
    w.ticks(policy, 200, (i) => (w.cells.alpha!.health = i % 2 === 0 ? "slow" : "ok"));
    expect(w.done).toEqual([]);
    expect(new Set(w.log.map((d) => d.cells[0]!.condition))).toEqual(new Set(["healthy"]));
  });

  test("a cell that keeps degrading and recovering loses each tenant once and gets none back unless the policy says so", () => {
    const w = new World({ alpha: cell(["T-100", "T-101"]), beta: cell(["T-200"]) });
    const policy = policyOf({ limits: { maxInFlight: 2 } });
    // 6 bad windows, 6 good ones, over and over for a simulated day.
    w.ticks(policy, (24 * 3600) / 10, (i) => (w.cells.alpha!.health = Math.floor(i / 6) % 2 === 0 ? "slow" : "ok"));
    const moves = w.taken("move");
    expect(moves.map((m) => [m.tenantId, m.from, m.to])).toEqual([
      ["T-100", "alpha", "beta"],
      ["T-101", "alpha", "beta"],
    ]);
    // It was drained and put back into placement each time it degraded and recovered.
    expect(w.taken("drain").length).toBeGreaterThan(100);
    expect(w.taken("activate").length).toBe(w.taken("drain").length);
  });

  test("with cells degrading in turn a tenant moves at most once per cooldown and the hourly limit holds", () => {
    const w = new World({ alpha: cell(["T-100", "T-101", "T-102"]), beta: cell([]), gamma: cell([]) });
    const policy = policyOf({ limits: { maxInFlight: 3, maxMovesPerHour: 4, tenantCooldownMinutes: 30 } });
    const names = ["alpha", "beta", "gamma"];
    // Every 10 minutes another cell degrades (and the others are fine).
    w.ticks(policy, (6 * 3600) / 10, (i) => {
      const bad = names[Math.floor(i / 60) % 3]!;
      for (const n of names) w.cells[n]!.health = n === bad ? "slow" : "ok";
    });
    const moves = w.taken("move").map((m, i) => ({ ...m, at: w.state.moves[i]!.startedAt }));
    expect(moves.length).toBeGreaterThan(3);
    for (const m of moves) {
      const sameTenant = moves.filter((n) => n.tenantId === m.tenantId && n.at > m.at);
      if (sameTenant.length > 0) expect(sameTenant[0]!.at - m.at).toBeGreaterThanOrEqual(30 * MIN);
      expect(moves.filter((n) => n.at > m.at - 60 * MIN && n.at <= m.at).length).toBeLessThanOrEqual(4);
    }
  });
});

describe("targets", () => {
  const degradeAlpha = (w: World, policy: WatchPolicy) => {
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
  };

  test("never into a degraded cell: with every other cell failing, the tenants stay and the log says why", () => {
    const w = twoCells();
    const policy = policyOf({ onDegraded: "evacuate" });
    w.cells.beta!.health = "slow";
    degradeAlpha(w, policy);
    expect(w.taken("move")).toEqual([]);
    expect(w.log.at(-1)!.held).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "move", cellId: "alpha", tenants: ["T-100"], why: "no healthy target with room (beta: degraded)" })]));
  });

  test("nor into a healthy cell whose last window was bad, a draining cell, or one that would pass its utilisation ceiling", () => {
    const policy = policyOf({ targets: { maxUtilisation: 0.5 } });
    const slowNow = twoCells();
    slowNow.cells.alpha!.health = "slow";
    slowNow.ticks(policy, 2);
    slowNow.cells.beta!.health = "slow";
    slowNow.tick(policy);
    expect(slowNow.log.at(-1)!.held.map((h) => h.why)).toEqual(["no healthy target with room (beta: last window degraded)"]);

    const drained = new World({ alpha: cell(["T-100"]), beta: cell([], { status: "draining" }) });
    degradeAlpha(drained, policy);
    expect(drained.log.at(-1)!.held.map((h) => h.why)).toEqual(["no healthy target with room (beta: draining)"]);

    const full = new World({ alpha: cell(["T-100", "T-101"]), beta: cell(["T-200", "T-201", "T-202"], { capacity: 8 }) });
    degradeAlpha(full, policyOf({ targets: { maxUtilisation: 0.5 }, limits: { maxInFlight: 5 } }));
    expect(full.taken("move").map((m) => m.tenantId)).toEqual(["T-100"]);
    expect(full.log.at(-1)!.held).toEqual([expect.objectContaining({ tenants: ["T-101"], why: "no healthy target with room (beta: over 50% of capacity (4/8))" })]);
  });

  test("a tenant another operation is moving (importing or fenced somewhere) is left alone", () => {
    const w = new World({ alpha: cell(["T-100", "T-101"]), beta: cell([]), gamma: cell([]) });
    const observations = w.observations.bind(w);
    w.observations = () => observations().map((o) => (o.cell.cellId === "gamma" ? { ...o, tenants: [{ tenantId: "T-101", epoch: 2, state: "importing" as const, updatedAt: "x" }] } : o));
    const policy = policyOf({ limits: { maxInFlight: 2 } });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-100"]);
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ tenants: ["T-101"], why: "mid-move by another operation (importing or fenced on some cell); left alone" })]);
  });

  test("the least utilised healthy cell takes each tenant, counting the moves planned in the same window", () => {
    const w = new World({ alpha: cell(["T-1", "T-2", "T-3"]), beta: cell(["T-9"], { capacity: 10 }), gamma: cell([], { capacity: 10 }) });
    const policy = policyOf({ limits: { maxInFlight: 3 } });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    expect(w.taken("move").map((m) => [m.tenantId, m.to])).toEqual([
      ["T-1", "gamma"],
      ["T-2", "beta"],
      ["T-3", "gamma"],
    ]);
  });
});

describe("rate limits", () => {
  test("at most maxInFlight moves at once: the others wait for a running move to finish", () => {
    const w = new World({ alpha: cell(["T-1", "T-2", "T-3"]), beta: cell([]) });
    const policy = policyOf({ limits: { maxInFlight: 2 } });
    w.stallMoves = true;
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 5);
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-1", "T-2"]);
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ tenants: ["T-3"], why: "at most 2 moves in flight (limits.maxInFlight)" })]);
  });

  test("at most maxMovesPerHour started in any hour; the next one starts when the oldest leaves the hour", () => {
    const w = new World({ alpha: cell(["T-1", "T-2", "T-3"]), beta: cell([]) });
    const policy = policyOf({ limits: { maxInFlight: 5, maxMovesPerHour: 2 } });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-1", "T-2"]);
    expect(w.log.at(-1)!.held[0]!.why).toBe("at most 2 moves per hour (limits.maxMovesPerHour); next room at 11:00:20");
    w.ticks(policy, 359); // up to 11:00:10
    expect(w.taken("move")).toHaveLength(2);
    w.tick(policy); // 11:00:20
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-1", "T-2", "T-3"]);
  });

  test("a stopped move is resumed from its journal (still in flight, not counted again per hour) and given up to an operator after enough attempts", () => {
    const w = new World({ alpha: cell(["T-1", "T-2"]), beta: cell([]) });
    const policy = policyOf({ limits: { maxInFlight: 1, maxMovesPerHour: 1 } });
    w.stopMoves = true;
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3 + MAX_RESUME_ATTEMPTS);
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-1"]);
    expect(w.taken("resume")).toHaveLength(MAX_RESUME_ATTEMPTS - 1);
    w.tick(policy);
    expect(w.state.moves[0]).toEqual(expect.objectContaining({ status: "failed", error: expect.stringMatching(/gave up after 20 attempts.*'cellctl move T-1 --resume' or '--abort'/) }));
  });
});

describe("the kill switch", () => {
  test("holds every action while the loop keeps judging; switched off, the loop acts on what it found", () => {
    const w = twoCells();
    const policy = policyOf();
    w.kill = { on: true, reason: "incident 42" };
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 4);
    expect(w.done).toEqual([]);
    const last = w.log.at(-1)!;
    expect(last.cells[0]!.condition).toBe("degraded");
    expect(last.held.map((h) => [h.kind, h.why])).toEqual([
      ["drain", "kill switch on (incident 42): nothing is done until 'cellctl killswitch off'"],
      ["move", "kill switch on (incident 42): nothing is done until 'cellctl killswitch off'"],
    ]);
    w.kill = { on: false, reason: undefined };
    w.tick(policy);
    expect(w.done.map((a) => a.kind)).toEqual(["drain", "move"]);
  });

  test("holds resumes of stopped moves too", () => {
    const w = twoCells();
    const policy = policyOf();
    w.stopMoves = true;
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    w.kill = { on: true, reason: undefined };
    w.ticks(policy, 3);
    expect(w.done.map((a) => a.kind)).toEqual(["drain", "move"]);
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ kind: "resume", tenants: ["T-100"] })]);
  });
});

describe("approval above the blast radius", () => {
  const six = () => new World({ alpha: cell(["T-1", "T-2", "T-3", "T-4", "T-5", "T-6"]), beta: cell(["T-7", "T-8", "T-9", "T-10", "T-11", "T-12", "T-13"]) });

  test("a plan over aboveTenants drains but moves nothing until its plan id is approved; the id stays the same", () => {
    const w = six();
    const policy = policyOf({ limits: { maxInFlight: 6 }, approval: { aboveTenants: 5, aboveShare: 1 } });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 5);
    const request = w.taken("request-approval");
    expect(request).toHaveLength(1);
    expect(request[0]!.plan).toEqual(expect.objectContaining({ cellId: "alpha", action: "evacuate", tenants: ["T-1", "T-2", "T-3", "T-4", "T-5", "T-6"], blast: { tenants: 6, share: 6 / 13 } }));
    expect(w.taken("drain")).toHaveLength(1);
    expect(w.taken("move")).toEqual([]);
    const planId = request[0]!.plan.id;
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ kind: "move", why: expect.stringContaining(`awaiting approval: 'cellctl approve ${planId}'`) })]);
    w.approved.add("plan-someother");
    w.tick(policy);
    expect(w.taken("move")).toEqual([]);
    w.approved.add(planId);
    w.tick(policy);
    expect(w.taken("move")).toHaveLength(6);
  });

  test("a loop restarted with a relaxed policy judges the open plan against it: no approval needed any more", () => {
    const w = six();
    w.cells.alpha!.health = "slow";
    w.ticks(policyOf({ limits: { maxInFlight: 6 }, approval: { aboveTenants: 5, aboveShare: 1 } }), 4);
    expect(w.taken("move")).toEqual([]);
    w.tick(policyOf({ limits: { maxInFlight: 6 }, approval: { aboveTenants: 10, aboveShare: 1 } }));
    expect(w.taken("move")).toHaveLength(6);
  });

  test("a plan within the blast radius when it began asks for no approval while its tenant is mid-move and active nowhere", () => {
    const w = twoCells();
    w.stallMoves = true;
    w.fenceRunning = true;
    w.cells.alpha!.health = "slow";
    w.ticks(policyOf({ approval: { aboveTenants: 5, aboveShare: 0.5 } }), 6);
    expect(w.taken("move").map((m) => m.tenantId)).toEqual(["T-100"]);
    expect(w.taken("request-approval")).toEqual([]);
    expect(w.log.flatMap((d) => d.held).filter((h) => h.why.includes("approval"))).toEqual([]);
  });

  test("a plan over aboveShare needs approval too, below both it does not", () => {
    const over = new World({ alpha: cell(["T-1", "T-2"]), beta: cell(["T-3"]) });
    over.cells.alpha!.health = "slow";
    over.ticks(policyOf({ approval: { aboveTenants: 5, aboveShare: 0.5 } }), 3);
    expect(over.taken("request-approval")).toHaveLength(1);
    expect(over.taken("move")).toEqual([]);
    const under = new World({ alpha: cell(["T-1"]), beta: cell(["T-3"]) });
    under.cells.alpha!.health = "slow";
    under.ticks(policyOf({ approval: { aboveTenants: 5, aboveShare: 0.5 } }), 3);
    expect(under.taken("request-approval")).toEqual([]);
    expect(under.taken("move")).toHaveLength(1);
  });
});

describe("failover", () => {
  test("a down cell's tenants are failed over; when none has a standby the action says so and the loop does nothing else instead", () => {
    const w = twoCells();
    const policy = policyOf({ onDegraded: "drain", onDown: "failover" });
    w.cells.alpha!.health = "unreachable";
    w.ticks(policy, 12);
    expect(w.taken("failover")).toEqual([expect.objectContaining({ cellId: "alpha", tenants: ["T-100"] })]); // from the registry: the cell does not answer
    expect(w.taken("move")).toEqual([]);
    expect(w.done.map((a) => a.kind)).toEqual(["drain", "failover"]);
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ kind: "failover", why: "none of these tenants has a standby to fail over to ('cellctl standby <tenant> --cell <cell>'); nothing else is done instead" })]);
  });
});

describe("recovery", () => {
  const evacuated = (over: Record<string, unknown> = {}) => {
    const w = new World({ alpha: cell(["T-100", "T-101"]), beta: cell(["T-200"]) });
    const policy = policyOf({ limits: { maxInFlight: 2, tenantCooldownMinutes: 10 }, ...over });
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    w.cells.alpha!.health = "ok";
    return { w, policy };
  };

  test("by default a recovered cell is put back into placement and gets nothing back", () => {
    const { w, policy } = evacuated();
    w.ticks(policy, 200);
    expect(w.taken("activate")).toEqual([expect.objectContaining({ cellId: "alpha" })]);
    expect(w.taken("move").map((m) => m.to)).toEqual(["beta", "beta"]);
    expect(w.state.episodes).toEqual({});
  });

  test("with onRecovered 'none' it stays drained; a cell an operator drained is never put back by the loop", () => {
    const none = evacuated({ onRecovered: "none" });
    none.w.ticks(none.policy, 20);
    expect(none.w.taken("activate")).toEqual([]);
    expect(none.w.cells.alpha!.status).toBe("draining");

    const w = new World({ alpha: cell(["T-100"], { status: "draining" }), beta: cell([]) });
    const policy = policyOf();
    w.cells.alpha!.health = "slow";
    w.ticks(policy, 3);
    w.cells.alpha!.health = "ok";
    w.ticks(policy, 10);
    expect(w.taken("drain")).toEqual([]);
    expect(w.taken("activate")).toEqual([]);
  });

  test("with onRecovered 'return' the tenants this loop moved go back, each after its cooldown; others stay", () => {
    const { w, policy } = evacuated({ onRecovered: "return" });
    w.cells.beta!.tenants.push("T-300"); // placed by someone else
    w.ticks(policy, 4);
    expect(w.taken("activate")).toHaveLength(1);
    expect(w.log.at(-1)!.held).toEqual([expect.objectContaining({ tenants: ["T-100", "T-101"], why: "alpha is draining; its tenants go back once it is active again" })]);
    w.tick(policy);
    expect(w.taken("move").filter((m) => m.reason === "return")).toEqual([]);
    expect(w.log.at(-1)!.held).toEqual([
      expect.objectContaining({ tenants: ["T-100"], why: expect.stringMatching(/^moved by this loop recently; cooldown until 10:10:20/) }),
      expect.objectContaining({ tenants: ["T-101"] }),
    ]);
    w.ticks(policy, 60);
    expect(w.taken("move").filter((m) => m.reason === "return").map((m) => [m.tenantId, m.from, m.to])).toEqual([
      ["T-100", "beta", "alpha"],
      ["T-101", "beta", "alpha"],
    ]);
    expect(w.cells.beta!.tenants.sort()).toEqual(["T-200", "T-300"]);
    expect(w.state.episodes).toEqual({});
  });
});
