import type { TenantEntry } from "../../contract";
import { reasonOf, type ControlPlane } from "../control-plane";
import { capacityOf } from "../commands/status";
import type { WatchActions } from "./actions";
import { applyOutcome, decide, recordStart, type WatchAction, type WatchState } from "./decide";
import type { EdgeSource } from "./edge-source";
import type { WatchLog } from "./log";
import type { WatchPolicy } from "./policy";
import type { CellObservation } from "./signals";
import { approvedPlans, readKillSwitch } from "./switches";

/** What one run of the loop works with. */
export interface WatchDeps {
  readonly plane: ControlPlane;
  readonly actions: WatchActions;
  /** The edge's figures; undefined when there is no source (then every window says so). */
  readonly edge: EdgeSource | undefined;
  readonly log: WatchLog;
  /** Where the loop's memory lives between windows and runs; `save` is skipped in a dry run. */
  readonly state: { load(): WatchState; save(state: WatchState): void };
  readonly now?: () => number;
}

export interface WatchRun {
  readonly policy: WatchPolicy;
  /** Decide and print, act on nothing, write nothing (no state, no plan, no registry change). */
  readonly dryRun: boolean;
  /** Stop after this many windows. @default until `signal` aborts */
  readonly windows?: number;
  readonly signal?: AbortSignal;
}

/** The deep health check's budget: a slow store must not be mistaken for an unreachable cell too early. */
const HEALTH_TIMEOUT_MS = 10_000;

/** One window's observations: every registered cell's deep health, tenants and edge figures, and the registry's placements. */
export async function gather(plane: ControlPlane, edge: EdgeSource | undefined, windowSeconds: number): Promise<{ observations: CellObservation[]; placements: Map<string, string>; edgeError?: string }> {
  const { cells } = await plane.cellEntries();
  let edgeFigures: Awaited<ReturnType<EdgeSource["read"]>> | null = null;
  let edgeError: string | undefined = edge === undefined ? "no edge figures source (set CLOUDFLARE_API_TOKEN for Analytics Engine)" : undefined;
  const [observations, tenants] = await Promise.all([
    Promise.all(
      [...cells.values()].map(async (entry): Promise<CellObservation> => {
        const capacity = capacityOf(entry.cellId);
        try {
          const admin = await plane.admin(entry.cellId, entry);
          const [report, owned] = await Promise.all([admin.health(Math.min(60, windowSeconds), HEALTH_TIMEOUT_MS), admin.tenants().catch(() => undefined)]);
          return { cell: entry, capacity, tenants: owned, deep: { ok: true, report }, edge: undefined };
        } catch (error) {
          return { cell: entry, capacity, tenants: undefined, deep: { ok: false, error: reasonOf(error) }, edge: undefined };
        }
      }),
    ),
    plane.registry.tenants().catch(() => []),
    edge
      ?.read(windowSeconds)
      .then((figures) => void (edgeFigures = figures))
      .catch((error: unknown) => void (edgeError = `${edge.description}: ${reasonOf(error)}`)),
  ]);
  const placements = new Map(tenants.flatMap((p) => ("entry" in p ? [[p.entry.tenantId, p.entry.cellId] as [string, TenantEntry["cellId"]]] : [])));
  const figures = edgeFigures as Map<string, NonNullable<CellObservation["edge"]>> | null;
  return { observations: observations.map((o) => ({ ...o, edge: figures === null ? null : figures.get(o.cell.cellId) })), placements, edgeError };
}

/** Waits `ms`, or less if `signal` aborts; leaves no listener behind. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * `cellctl watch`: every `intervalSeconds`, gathers the cells' signals, decides (`decide.ts`), logs
 * every decision, and carries the actions out through the ordinary operations: drains and approval
 * requests at once, moves in the background (at most the policy's in flight), each journaled so that
 * a crash of the loop leaves them to `--resume` by the next run or by an operator. Stops when
 * `signal` aborts (then waits for the moves it runs) or after `windows` windows.
 */
export async function runWatch(deps: WatchDeps, run: WatchRun): Promise<void> {
  const now = deps.now ?? Date.now;
  const { policy, dryRun } = run;
  const { log } = deps;
  let state = deps.state.load();
  const running = new Map<string, Promise<void>>();
  const save = () => {
    if (!dryRun) deps.state.save(state);
  };
  log.notice(
    `watching every ${policy.intervalSeconds} s with policy '${policy.name}' (degraded: ${policy.onDegraded}, down: ${policy.onDown}, recovered: ${policy.onRecovered})${dryRun ? "; dry run: nothing is done" : ""}`,
    { policy: policy.name, interval_seconds: policy.intervalSeconds, dry_run: dryRun, edge: deps.edge?.description ?? null },
  );

  const startMove = (action: Extract<WatchAction, { kind: "move" | "resume" }>) => {
    recordStart(state, action, now());
    save();
    const work = (action.kind === "move" ? deps.actions.move(action.tenantId, action.to) : deps.actions.resume(action.tenantId)).then((outcome) => {
      applyOutcome(state, action, outcome, now());
      log.outcome(action, outcome);
      running.delete(action.tenantId);
      save();
    });
    running.set(action.tenantId, work);
  };

  for (let window = 0; run.windows === undefined || window < run.windows; window++) {
    if (run.signal?.aborted) break;
    const started = now();
    try {
      const seen = await gather(deps.plane, deps.edge, policy.intervalSeconds);
      if (seen.edgeError) log.notice(`edge figures unavailable this window: ${seen.edgeError}`, { edge_error: seen.edgeError });
      const killSwitch = await readKillSwitch(deps.plane.registry.store);
      const waiting = Object.values(state.episodes).map((e) => e.planId);
      const approved = await approvedPlans(deps.plane.registry.store, waiting);
      const decision = decide({ now: now(), policy, observations: seen.observations, state, killSwitch, approved, running: new Set(running.keys()), placements: seen.placements });
      state = decision.state;
      for (const cell of decision.cells) log.cell(cell);
      for (const h of decision.held) log.held(h);
      for (const action of decision.actions) {
        log.action(action, dryRun);
        if (dryRun) continue;
        if (action.kind === "move" || action.kind === "resume") {
          startMove(action);
          continue;
        }
        const outcome = await (action.kind === "drain"
          ? deps.actions.drain(action.cellId)
          : action.kind === "activate"
            ? deps.actions.activate(action.cellId)
            : action.kind === "failover"
              ? deps.actions.failover(action.cellId, action.tenants)
              : deps.actions.requestApproval(action.plan));
        applyOutcome(state, action, outcome, now());
        log.outcome(action, outcome);
      }
      save();
    } catch (error) {
      log.notice(`nothing judged this window: ${reasonOf(error)}`, { error: reasonOf(error) });
    }
    if (run.windows !== undefined && window + 1 >= run.windows) break;
    await sleep(Math.max(0, started + policy.intervalSeconds * 1000 - now()), run.signal);
  }
  if (running.size > 0) {
    log.notice(`waiting for ${running.size} move(s) to finish (each is journaled: a second interrupt leaves them to 'cellctl move <tenant> --resume')`);
    await Promise.all(running.values());
  }
  save();
}
