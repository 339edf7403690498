import { createHash } from "node:crypto";
import type { CellCondition } from "../../contract";
import { chooseCell, type CellLoad } from "../placement";
import type { WatchPolicy } from "./policy";
import { judgeWindow, type CellObservation, type WindowJudgement, type WindowVerdict } from "./signals";

/**
 * The control loop's brain, pure: one window's observations, the loop's memory and the policy in;
 * per-cell conditions (with hysteresis), the actions to take now and the ones a guard rail holds back
 * out. No I/O and no clock of its own (`now` comes in), so every guard rail is unit-tested.
 *
 * Guard rails, in the order they apply:
 * - hysteresis: a cell is degraded after `degradedAfter` bad windows in a row (down after `downAfter`
 *   down windows), healthy again after `healthyAfter` good ones: a single bad window moves nothing,
 *   and a flapping cell never changes condition;
 * - the kill switch holds every action (the loop keeps watching and logging);
 * - a tenant goes only to an active cell that is healthy, whose last window was good, and that stays
 *   within `maxUtilisation` of its capacity, counting the moves planned in the same tick;
 * - at most `maxInFlight` moves at once (stopped ones included: their tenants are mid-move) and
 *   `maxMovesPerHour` started in any hour;
 * - a tenant the loop moved is not moved again by it for `tenantCooldownMinutes`: no bounce;
 * - a plan above the blast radius (`approval`) moves nothing until `cellctl approve <plan>`;
 * - a recovered cell gets nothing back unless the policy says `return`, and then only the tenants
 *   this loop moved off it, each after its cooldown.
 */

/** A move this loop started: what the rate limits, cooldowns and returns count. */
export interface MoveRecord {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly planId: string;
  /** `evacuate`: off a failing cell; `return`: back to a recovered one. */
  readonly reason: "evacuate" | "return";
  /** Epoch ms. */
  readonly startedAt: number;
  /** `running` in a process; `stopped` at a journaled step (to be resumed); `done`; `failed` (never started, or given up). */
  status: "running" | "stopped" | "done" | "failed";
  attempts: number;
  finishedAt?: number;
  error?: string;
}

/** The hysteresis of one cell. */
export interface CellTrack {
  condition: CellCondition;
  /** Since when (epoch ms) the cell has had its condition. */
  since: number;
  /** Consecutive windows: good ones, bad ones (degraded or down), down ones, and degraded-but-not-down ones. */
  ok: number;
  bad: number;
  down: number;
  degradedOnly: number;
}

/** The loop's response to one failing cell, from the condition change until it is healthy again and nothing is left to undo. */
export interface Episode {
  readonly cellId: string;
  /** The plan's id, what `cellctl approve` names: stable for the episode. */
  readonly planId: string;
  readonly condition: Exclude<CellCondition, "healthy">;
  readonly action: "none" | "drain" | "evacuate" | "failover";
  readonly since: number;
  /** The cell's active tenants when the episode began: the plan's blast radius. */
  readonly tenants: readonly string[];
  /**
   * Their share of all active tenants when the episode began. Kept, not recomputed: while its
   * tenants are mid-move they are active nowhere, and the share of what is left would grow.
   */
  readonly share?: number;
  /** Whether the plan is above the blast radius of the policy in force (judged every window). */
  needsApproval: boolean;
  /** The plan was written where `cellctl approve` finds it. */
  requested: boolean;
  /** This loop drained the cell (so it may put it back into placement). */
  drained: boolean;
  /** The failover action answered that none of the episode's tenants has a standby. */
  failoverUnsupported: boolean;
}

/** Everything the loop remembers between windows (and between runs: `state.ts` keeps it in a file). */
export interface WatchState {
  readonly v: 1;
  /** The system this memory is about (`systemOf` in state.ts); the state file sets it. */
  system?: string;
  /** When the last window was judged (epoch ms): windows in a row must be consecutive. */
  lastWindowAt?: number;
  cells: Record<string, CellTrack>;
  episodes: Record<string, Episode>;
  moves: MoveRecord[];
}

export const emptyState = (): WatchState => ({ v: 1, cells: {}, episodes: {}, moves: [] });

/** A move that stopped is resumed at most this many times; then an operator decides (`cellctl move <t> --resume | --abort`). */
export const MAX_RESUME_ATTEMPTS = 20;

export type WatchAction =
  | { readonly kind: "drain"; readonly cellId: string; readonly planId: string; readonly why: string }
  | { readonly kind: "activate"; readonly cellId: string; readonly planId: string; readonly why: string }
  | { readonly kind: "move"; readonly tenantId: string; readonly from: string; readonly to: string; readonly planId: string; readonly reason: MoveRecord["reason"]; readonly why: string }
  | { readonly kind: "resume"; readonly tenantId: string; readonly from: string; readonly to: string; readonly planId: string; readonly why: string }
  | { readonly kind: "failover"; readonly cellId: string; readonly tenants: readonly string[]; readonly planId: string; readonly why: string }
  | { readonly kind: "request-approval"; readonly plan: PlanView; readonly why: string };

/** What the policy wanted and a guard rail held back, and which one. */
export interface HeldAction {
  readonly kind: WatchAction["kind"];
  readonly cellId: string;
  readonly tenants: readonly string[];
  readonly why: string;
}

/** A plan as an operator approves it. */
export interface PlanView {
  readonly id: string;
  readonly cellId: string;
  readonly condition: Episode["condition"];
  readonly action: Episode["action"];
  readonly tenants: readonly string[];
  /** ISO time the episode began. */
  readonly since: string;
  readonly blast: { readonly tenants: number; readonly share: number };
}

/** One cell's decision in one window: its condition and the evidence. */
export interface CellDecision extends WindowJudgement {
  readonly cellId: string;
  readonly condition: CellCondition;
  readonly previous: CellCondition;
  readonly changed: boolean;
  readonly registryStatus: string;
  readonly streak: { readonly ok: number; readonly bad: number; readonly down: number };
  readonly needed: { readonly degraded: number; readonly down: number; readonly healthy: number };
}

export interface TickInput {
  readonly now: number;
  readonly policy: WatchPolicy;
  readonly observations: readonly CellObservation[];
  readonly state: WatchState;
  readonly killSwitch: { readonly on: boolean; readonly reason?: string };
  /** Plan ids an operator approved. */
  readonly approved: ReadonlySet<string>;
  /** Tenants whose moves run in this process right now. */
  readonly running: ReadonlySet<string>;
  /** Tenant id -> cell id, as the registry places them: a cell that does not answer is known to hold these. */
  readonly placements: ReadonlyMap<string, string>;
}

export interface TickDecision {
  readonly state: WatchState;
  readonly cells: readonly CellDecision[];
  readonly actions: readonly WatchAction[];
  readonly held: readonly HeldAction[];
}

const HOUR_MS = 3_600_000;
/** More than this many intervals without a window is a gap: the windows on either side are not in a row. */
export const GAP_WINDOWS = 3;
const SEVERITY: Readonly<Record<CellCondition, number>> = { down: 0, degraded: 1, healthy: 2 };

/** Next hysteresis state of a cell after one window. */
export function track(previous: CellTrack | undefined, verdict: WindowVerdict, now: number, h: WatchPolicy["hysteresis"]): CellTrack {
  const t: CellTrack = previous ? { ...previous } : { condition: "healthy", since: now, ok: 0, bad: 0, down: 0, degradedOnly: 0 };
  if (verdict === "ok") Object.assign(t, { ok: t.ok + 1, bad: 0, down: 0, degradedOnly: 0 });
  else Object.assign(t, { ok: 0, bad: t.bad + 1, down: verdict === "down" ? t.down + 1 : 0, degradedOnly: verdict === "degraded" ? t.degradedOnly + 1 : 0 });
  let next = t.condition;
  if (t.condition === "healthy") next = t.down >= h.downAfter ? "down" : t.bad >= h.degradedAfter ? "degraded" : "healthy";
  else if (t.ok >= h.healthyAfter) next = "healthy";
  else if (t.condition === "degraded" && t.down >= h.downAfter) next = "down";
  else if (t.condition === "down" && t.degradedOnly >= h.degradedAfter) next = "degraded";
  if (next !== t.condition) Object.assign(t, { condition: next, since: now });
  return t;
}

/** The plan id of an episode: the same cell, condition, action, start and tenants give the same id in any process. */
export function planIdOf(e: Pick<Episode, "cellId" | "condition" | "action" | "since" | "tenants">): string {
  const text = [e.cellId, e.condition, e.action, String(e.since), ...e.tenants].join("\n");
  return `plan-${createHash("sha256").update(text).digest("hex").slice(0, 10)}`;
}

export const planView = (e: Episode, totalTenants: number): PlanView => ({
  id: e.planId,
  cellId: e.cellId,
  condition: e.condition,
  action: e.action,
  tenants: e.tenants,
  since: new Date(e.since).toISOString(),
  blast: { tenants: e.tenants.length, share: e.share ?? (totalTenants === 0 ? 0 : e.tenants.length / totalTenants) },
});

/** A cell's active tenants as it reports them; for a cell that does not answer, the ones the registry places on it. */
const tenantsOf = (o: CellObservation, placements: ReadonlyMap<string, string>): string[] =>
  (o.tenants === undefined ? [...placements].filter(([, cellId]) => cellId === o.cell.cellId).map(([t]) => t) : o.tenants.filter((t) => t.state === "active").map((t) => t.tenantId)).sort();
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Decides one window. Pure: the input's state is not changed; the returned state is the loop's next. */
export function decide(input: TickInput): TickDecision {
  const { now, policy, observations } = input;
  const state: WatchState = structuredClone(input.state);
  const actions: WatchAction[] = [];
  const held: HeldAction[] = [];
  const hold = (kind: WatchAction["kind"], cellId: string, tenants: readonly string[], why: string) => held.push({ kind, cellId, tenants, why });

  // 1. Judge every cell's window and move its hysteresis on. After a gap (the loop was stopped, a
  //    scheduled job's next run), windows before it are not "in a row" with the next: streaks restart,
  //    conditions stay.
  if (state.lastWindowAt !== undefined && now - state.lastWindowAt > GAP_WINDOWS * policy.intervalSeconds * 1000) {
    for (const t of Object.values(state.cells)) Object.assign(t, { ok: 0, bad: 0, down: 0, degradedOnly: 0 });
  }
  state.lastWindowAt = now;
  const judged = new Map<string, { o: CellObservation; j: WindowJudgement }>();
  const cells: CellDecision[] = [];
  for (const o of [...observations].sort((a, b) => (a.cell.cellId < b.cell.cellId ? -1 : 1))) {
    const id = o.cell.cellId;
    const j = judgeWindow(o, policy.thresholds);
    const before = state.cells[id];
    const t = track(before, j.verdict, now, policy.hysteresis);
    state.cells[id] = t;
    judged.set(id, { o, j });
    const previous = before?.condition ?? "healthy";
    cells.push({
      ...j,
      cellId: id,
      condition: t.condition,
      previous,
      changed: t.condition !== previous,
      registryStatus: o.cell.status,
      streak: { ok: t.ok, bad: t.bad, down: t.down },
      needed: { degraded: policy.hysteresis.degradedAfter, down: policy.hysteresis.downAfter, healthy: policy.hysteresis.healthyAfter },
    });
  }
  for (const id of Object.keys(state.cells)) if (!judged.has(id)) delete state.cells[id];

  // Where every tenant is active now (the cells' word first, the registry's for cells that do not answer), and how full every cell is.
  const activeTenantsOf = (o: CellObservation) => tenantsOf(o, input.placements);
  const ownerOf = new Map<string, string>();
  for (const { o } of judged.values()) if (o.tenants === undefined) for (const t of activeTenantsOf(o)) ownerOf.set(t, o.cell.cellId);
  for (const { o } of judged.values()) if (o.tenants !== undefined) for (const t of activeTenantsOf(o)) ownerOf.set(t, o.cell.cellId);
  const totalTenants = ownerOf.size;
  const occupancy = new Map<string, number>([...judged.values()].map(({ o }) => [o.cell.cellId, (o.tenants ?? []).filter((t) => t.state !== "moved").length]));
  const targetable = (id: string): boolean => {
    const c = judged.get(id);
    return c !== undefined && c.o.cell.status === "active" && state.cells[id]!.condition === "healthy" && c.j.verdict === "ok" && c.o.tenants !== undefined;
  };
  const pickTarget = (source: string, reserve: boolean): { ok: true; cellId: string } | { ok: false; why: string } => {
    const candidates = [...judged.values()].filter(({ o }) => o.cell.cellId !== source && targetable(o.cell.cellId));
    const loads: CellLoad[] = candidates.map(({ o }) => ({ cell: o.cell, tenants: occupancy.get(o.cell.cellId) ?? 0, capacity: Math.floor(o.capacity * policy.targets.maxUtilisation), reachable: true }));
    const choice = chooseCell(loads);
    if (!choice.ok) {
      const others = [...judged.values()].filter(({ o }) => o.cell.cellId !== source);
      const why = others.map(({ o, j }) => {
        const id = o.cell.cellId;
        const reason =
          o.cell.status !== "active" ? o.cell.status : state.cells[id]!.condition !== "healthy" ? state.cells[id]!.condition : j.verdict !== "ok" ? `last window ${j.verdict}` : o.tenants === undefined ? "unreachable" : `over ${Math.round(policy.targets.maxUtilisation * 100)}% of capacity (${occupancy.get(id)}/${o.capacity})`;
        return `${id}: ${reason}`;
      });
      return { ok: false, why: `no healthy target with room (${why.join("; ") || "no other cells"})` };
    }
    if (reserve) occupancy.set(choice.cellId, (occupancy.get(choice.cellId) ?? 0) + 1);
    return { ok: true, cellId: choice.cellId };
  };

  // 2. The move budget: in flight (stopped moves hold a tenant mid-move too) and started in the last hour.
  const unfinished = state.moves.filter((m) => m.status === "running" || m.status === "stopped");
  let inFlightRoom = policy.limits.maxInFlight - unfinished.length;
  // Start times within the last hour, with the moves planned in this window at `now`.
  const startedInHour = state.moves.filter((m) => m.startedAt > now - HOUR_MS).map((m) => m.startedAt);
  let hourRoom = policy.limits.maxMovesPerHour - startedInHour.length;
  const budgetWhy = (): string | undefined =>
    inFlightRoom <= 0
      ? `at most ${policy.limits.maxInFlight} moves in flight (limits.maxInFlight)`
      : hourRoom <= 0
        ? `at most ${policy.limits.maxMovesPerHour} moves per hour (limits.maxMovesPerHour)${startedInHour.length > 0 ? `; next room at ${clock(Math.min(...startedInHour) + HOUR_MS)}` : ""}`
        : undefined;
  const cooldownMs = policy.limits.tenantCooldownMinutes * 60_000;
  const coolingUntil = (tenantId: string): number | undefined => {
    const last = state.moves.filter((m) => m.tenantId === tenantId && m.status === "done").map((m) => m.finishedAt ?? m.startedAt);
    const until = last.length === 0 ? undefined : Math.max(...last) + cooldownMs;
    return until !== undefined && until > now ? until : undefined;
  };
  // Tenants mid-move (importing or fenced somewhere), this loop's or another controller's: never touched.
  const busy = new Set(unfinished.map((m) => m.tenantId));
  for (const { o } of judged.values()) for (const t of o.tenants ?? []) if (t.state === "importing" || t.state === "fenced") busy.add(t.tenantId);

  // 3. Moves that stopped (or whose process died) are resumed first: their tenants are mid-move.
  for (const m of unfinished) {
    if (input.running.has(m.tenantId)) continue;
    if (m.attempts >= MAX_RESUME_ATTEMPTS) {
      m.status = "failed";
      m.error = `gave up after ${m.attempts} attempts: ${m.error ?? "?"}; an operator decides: 'cellctl move ${m.tenantId} --resume' or '--abort'`;
      hold("resume", m.from, [m.tenantId], m.error);
      continue;
    }
    actions.push({ kind: "resume", tenantId: m.tenantId, from: m.from, to: m.to, planId: m.planId, why: `resuming the ${m.status === "running" ? "interrupted" : "stopped"} move from its journal (attempt ${m.attempts + 1} of ${MAX_RESUME_ATTEMPTS})` });
  }

  // 4. Failing cells, worst first: open or follow their episode and plan its steps.
  const order = [...judged.values()].sort((a, b) => SEVERITY[state.cells[a.o.cell.cellId]!.condition] - SEVERITY[state.cells[b.o.cell.cellId]!.condition] || (a.o.cell.cellId < b.o.cell.cellId ? -1 : 1));
  for (const { o } of order) {
    const id = o.cell.cellId;
    const condition = state.cells[id]!.condition;
    let episode = state.episodes[id];
    if (condition === "healthy") {
      if (episode) recover(episode, o);
      continue;
    }
    const reaction = condition === "degraded" ? policy.onDegraded : policy.onDown;
    if (!episode || episode.condition !== condition || episode.action !== reaction) {
      const tenants = episode?.tenants.length ? [...new Set([...episode.tenants, ...activeTenantsOf(o)])].sort() : activeTenantsOf(o);
      const base = { cellId: id, condition, action: reaction, since: now, tenants };
      episode = {
        ...base,
        planId: planIdOf(base),
        share: totalTenants === 0 ? 0 : tenants.length / totalTenants,
        needsApproval: false,
        requested: false,
        drained: episode?.drained ?? false,
        failoverUnsupported: false,
      };
      state.episodes[id] = episode;
    }
    // The plan's blast radius against the policy in force (a loop restarted with another policy applies it).
    const moving = reaction === "evacuate" || reaction === "failover";
    const share = episode.share ?? (totalTenants === 0 ? 0 : episode.tenants.length / totalTenants);
    episode.needsApproval = moving && (episode.tenants.length > policy.approval.aboveTenants || share > policy.approval.aboveShare);
    if (reaction === "none") continue;
    const e = episode;
    if (o.cell.status === "active") actions.push({ kind: "drain", cellId: id, planId: e.planId, why: `${condition} cell; policy ${policy.name}: ${reaction} (no new tenants land here; its tenants keep being served)` });
    if (reaction === "drain") continue;
    const approved = !e.needsApproval || input.approved.has(e.planId);
    const here = activeTenantsOf(o).filter((t) => e.tenants.includes(t) && !busy.has(t) && !input.running.has(t));
    const elsewhere = activeTenantsOf(o).filter((t) => e.tenants.includes(t) && busy.has(t) && !unfinished.some((m) => m.tenantId === t) && !input.running.has(t));
    if (elsewhere.length > 0) hold(reaction === "failover" ? "failover" : "move", id, elsewhere, "mid-move by another operation (importing or fenced on some cell); left alone");
    if (!approved) {
      // Nothing of the plan left to move here (moved, or moving now): nothing to ask a person about.
      if (here.length === 0) continue;
      const plan = planView(e, totalTenants);
      if (!e.requested) actions.push({ kind: "request-approval", plan, why: `the plan moves ${plan.blast.tenants} tenants (${Math.round(plan.blast.share * 100)}% of all), above the approval threshold` });
      hold(reaction === "failover" ? "failover" : "move", id, here, `awaiting approval: 'cellctl approve ${e.planId}' (${e.tenants.length} tenants, above approval.aboveTenants ${policy.approval.aboveTenants} or approval.aboveShare ${policy.approval.aboveShare})`);
      continue;
    }
    if (reaction === "failover") {
      if (e.failoverUnsupported) hold("failover", id, here, "none of these tenants has a standby to fail over to ('cellctl standby <tenant> --cell <cell>'); nothing else is done instead");
      else if (here.length > 0) actions.push({ kind: "failover", cellId: id, tenants: here, planId: e.planId, why: `down cell; policy ${policy.name}: fail its tenants over to their standbys` });
      continue;
    }
    if (o.tenants === undefined) {
      const waiting = e.tenants.filter((t) => !busy.has(t) && !input.running.has(t));
      if (waiting.length > 0) hold("move", id, waiting, "the cell's tenants could not be listed this window, so none is moved off it");
      continue;
    }
    planMoves(here, id, e.planId, "evacuate", `${condition} cell; policy ${policy.name}: evacuate`);
  }

  /** Plans moves of `tenants` off `from` within the guard rails; what they hold back is logged, grouped by reason. */
  function planMoves(tenants: readonly string[], from: string, planId: string, reason: MoveRecord["reason"], why: string, to?: string): void {
    const holds = new Map<string, string[]>();
    const holdTenant = (tenantId: string, reasonText: string) => holds.set(reasonText, [...(holds.get(reasonText) ?? []), tenantId]);
    for (const tenantId of tenants) {
      const until = coolingUntil(tenantId);
      if (until !== undefined) {
        holdTenant(tenantId, `moved by this loop recently; cooldown until ${clock(until)} (limits.tenantCooldownMinutes)`);
        continue;
      }
      const limit = budgetWhy();
      if (limit) {
        holdTenant(tenantId, limit);
        continue;
      }
      let target: string;
      if (to !== undefined) {
        if (!targetable(to) || (occupancy.get(to) ?? 0) + 1 > Math.floor((judged.get(to)?.o.capacity ?? 0) * policy.targets.maxUtilisation)) {
          holdTenant(tenantId, `${to} cannot take it now (not active, healthy and within its capacity)`);
          continue;
        }
        occupancy.set(to, (occupancy.get(to) ?? 0) + 1);
        target = to;
      } else {
        const choice = pickTarget(from, true);
        if (!choice.ok) {
          holdTenant(tenantId, choice.why);
          continue;
        }
        target = choice.cellId;
      }
      inFlightRoom--;
      hourRoom--;
      startedInHour.push(now);
      actions.push({ kind: "move", tenantId, from, to: target, planId, reason, why: `${why}; ${target} is healthy with room` });
    }
    for (const [reasonText, list] of holds) hold("move", from, list, reasonText);
  }

  /** A cell that is healthy again: put it back into placement if this loop drained it, bring back what the policy says, then close the episode. */
  function recover(e: Episode, o: CellObservation): void {
    const id = e.cellId;
    let open = false;
    if (policy.onRecovered !== "none" && e.drained && o.cell.status === "draining") {
      actions.push({ kind: "activate", cellId: id, planId: e.planId, why: `healthy for ${policy.hysteresis.healthyAfter} windows; policy ${policy.name}: onRecovered ${policy.onRecovered} (this loop drained it)` });
      open = true;
    }
    if (policy.onRecovered === "return") {
      const returnable = state.moves.filter(
        (m) => m.from === id && m.reason === "evacuate" && m.planId === e.planId && m.status === "done" && ownerOf.get(m.tenantId) === m.to && !state.moves.some((n) => n.tenantId === m.tenantId && n.startedAt > m.startedAt),
      );
      const free = returnable.filter((m) => !busy.has(m.tenantId) && !input.running.has(m.tenantId));
      if (free.length > 0 && o.cell.status !== "active") hold("move", id, free.map((m) => m.tenantId), `${id} is ${o.cell.status}; its tenants go back once it is active again`);
      else for (const m of free) planMoves([m.tenantId], m.to, e.planId, "return", `policy ${policy.name}: onRecovered return (${id} is healthy again)`, id);
      if (returnable.length > 0) open = true;
    }
    if (!open) delete state.episodes[id];
  }

  if (input.killSwitch.on) {
    const why = `kill switch on${input.killSwitch.reason ? ` (${input.killSwitch.reason})` : ""}: nothing is done until 'cellctl killswitch off'`;
    for (const a of actions) hold(a.kind, "cellId" in a ? a.cellId : "from" in a ? a.from : a.plan.cellId, "tenantId" in a ? [a.tenantId] : "tenants" in a ? a.tenants : a.kind === "request-approval" ? a.plan.tenants : [], why);
    return { state, cells, actions: [], held };
  }
  return { state, cells, actions, held };
}

/** What became of an action the loop took, for `applyOutcome`. */
export type ActionOutcome =
  | { readonly ok: true; readonly detail?: string }
  | { readonly ok: false; readonly error: string; readonly unsupported?: boolean; readonly journaled?: boolean };

/** Records that a move or a resume began (before it runs, so a crash leaves it `running` and the next run resumes it). */
export function recordStart(state: WatchState, action: Extract<WatchAction, { kind: "move" | "resume" }>, now: number): void {
  if (action.kind === "move") {
    state.moves.push({ tenantId: action.tenantId, from: action.from, to: action.to, planId: action.planId, reason: action.reason, startedAt: now, status: "running", attempts: 1 });
    return;
  }
  const m = latestMove(state, action.tenantId);
  if (m) Object.assign(m, { status: "running", attempts: m.attempts + 1 });
}

const latestMove = (state: WatchState, tenantId: string): MoveRecord | undefined => state.moves.filter((m) => m.tenantId === tenantId).sort((a, b) => b.startedAt - a.startedAt)[0];

/** Folds an action's outcome into the state. */
export function applyOutcome(state: WatchState, action: WatchAction, outcome: ActionOutcome, now: number): void {
  switch (action.kind) {
    case "move":
    case "resume": {
      const m = latestMove(state, action.tenantId);
      if (!m) return;
      if (outcome.ok) Object.assign(m, { status: "done", finishedAt: now, error: undefined });
      else Object.assign(m, { status: outcome.journaled ? "stopped" : "failed", error: outcome.error, ...(outcome.journaled ? {} : { finishedAt: now }) });
      return;
    }
    case "drain": {
      const e = state.episodes[action.cellId];
      if (e && outcome.ok) e.drained = true;
      return;
    }
    case "activate": {
      const e = state.episodes[action.cellId];
      if (e && outcome.ok) e.drained = false;
      return;
    }
    case "failover": {
      const e = state.episodes[action.cellId];
      if (e && !outcome.ok && outcome.unsupported) e.failoverUnsupported = true;
      return;
    }
    case "request-approval": {
      const e = state.episodes[action.plan.cellId];
      if (e && outcome.ok) e.requested = true;
      return;
    }
  }
}
