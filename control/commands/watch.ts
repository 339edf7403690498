import { emit, table, type Io } from "../cli/output";
import { moveProgress } from "../cli/progress";
import { CliError, type ControlPlane } from "../control-plane";
import type { JournalStore } from "../moves/journal";
import type { MoveHooks } from "../moves/move";
import { cellctlActions } from "../watch/actions";
import { edgeSourceOf } from "../watch/edge-source";
import { WatchLog } from "../watch/log";
import { runWatch } from "../watch/loop";
import { loadPolicy, PolicyError } from "../watch/policy";
import { WatchStateFile, systemOf } from "../watch/state";
import { approvePlan, isPlanId, listPlans, readKillSwitch, readPlan, setKillSwitch } from "../watch/switches";

/** What `cellctl watch` takes. */
export interface WatchOptions {
  readonly policy: string;
  readonly dryRun?: boolean;
  readonly interval?: number;
  readonly windows?: number;
  readonly for?: number;
}

/** Who flips a switch or approves a plan, for the record. */
export const operatorOf = (env: Readonly<Record<string, string | undefined>>): string => env.CELLCTL_OPERATOR ?? env.GITHUB_ACTOR ?? env.USER ?? env.USERNAME ?? "unknown";

const positive = (name: string, value: number | undefined, max: number): number | undefined => {
  if (value === undefined) return undefined;
  if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw new CliError(`${name} must be an integer from 1 to ${max}, got ${value}`, 2);
  return value;
};

/**
 * `cellctl watch --policy <name|file> [--dry-run] [--interval s] [--windows n] [--for s]`: the control
 * loop (see `control/watch/`). Runs in the foreground until Ctrl-C (or `--for` / `--windows`), one log
 * line per decision on stdout.
 */
export async function watchCommand(
  plane: ControlPlane,
  io: Io,
  journals: JournalStore,
  journalRoot: string,
  options: WatchOptions,
  surroundings: { readonly env: Readonly<Record<string, string | undefined>>; readonly cwd: string; readonly signal?: AbortSignal; readonly moveHooks?: Omit<MoveHooks, "progress"> },
): Promise<number> {
  let policy;
  try {
    policy = loadPolicy(options.policy, surroundings.cwd);
  } catch (error) {
    if (error instanceof PolicyError) throw new CliError(error.message, 2);
    throw error;
  }
  const interval = positive("--interval", options.interval, 3600);
  if (interval !== undefined) policy = { ...policy, intervalSeconds: interval };
  const windows = positive("--windows", options.windows, 1_000_000);
  const seconds = positive("--for", options.for, 31 * 24 * 3600);
  const signals = [surroundings.signal, seconds === undefined ? undefined : AbortSignal.timeout(seconds * 1000)].filter((s): s is AbortSignal => s !== undefined);

  const stateFile = new WatchStateFile(journalRoot, systemOf(plane.connection));
  const lock = options.dryRun ? { release: () => {} } : stateFile.lock();
  if ("heldBy" in lock) throw new CliError(`another cellctl watch (pid ${lock.heldBy}) runs with the journal directory ${journalRoot}; run one loop per system`);
  const progress = moveProgress({ ...io, interactive: false });
  const log = new WatchLog(io, Date.now);
  const other = stateFile.otherSystem();
  if (other !== undefined) {
    log.notice(`the loop's state file (${stateFile.file}) is about another system (${other}): starting afresh${options.dryRun ? "" : "; the old one is kept as state.previous.json"}`, { other_system: other });
  }
  try {
    await runWatch(
      {
        plane,
        actions: cellctlActions(plane, journals, { ...surroundings.moveHooks, progress }),
        edge: edgeSourceOf(plane.connection, surroundings.env),
        log,
        state: stateFile,
      },
      { policy, dryRun: options.dryRun ?? false, windows, signal: signals.length === 0 ? undefined : AbortSignal.any(signals) },
    );
  } finally {
    progress.stop();
    lock.release();
  }
  return 0;
}

/** `cellctl killswitch [on|off] [--reason text]`: shows or flips the switch every running `cellctl watch` reads each window. */
export async function killSwitchCommand(plane: ControlPlane, io: Io, state: string | undefined, options: { reason?: string }, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (state !== undefined && state !== "on" && state !== "off") throw new CliError(`killswitch takes 'on' or 'off', got '${state}'`, 2);
  const store = plane.registry.store;
  const now = state === undefined ? await readKillSwitch(store) : await setKillSwitch(store, state === "on", { by: operatorOf(env), reason: options.reason, now: new Date() });
  emit(io, { on: now.on, reason: now.reason ?? null, by: now.by ?? null, at: now.at ?? null }, (d) =>
    d.on
      ? `kill switch ON${d.reason ? ` (${d.reason})` : ""}${d.by ? `, set by ${d.by}` : ""}${d.at ? ` at ${d.at}` : ""}: every cellctl watch keeps watching and does nothing`
      : "kill switch off: cellctl watch acts on its policy",
  );
  return 0;
}

/** `cellctl approve <plan>`: approves a plan a `cellctl watch` holds back above its blast radius. */
export async function approveCommand(plane: ControlPlane, io: Io, planId: string, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (!isPlanId(planId)) throw new CliError(`plan ids look like plan-0123456789, got '${planId}' ('cellctl plans' lists them)`, 2);
  const store = plane.registry.store;
  const before = await readPlan(store, planId);
  const plan = await approvePlan(store, planId, { by: operatorOf(env), now: new Date() });
  if (!plan) throw new CliError(`no plan '${planId}' waits for approval ('cellctl plans' lists them)`);
  emit(io, plan, (p) =>
    `${before?.approvedAt ? "already approved" : "approved"}: ${p.id} ${p.action} ${p.cellId} (${p.condition} since ${p.since}): ${p.tenants.length} tenants (${p.tenants.join(", ")}); the loop acts on it in its next window`,
  );
  return 0;
}

/** `cellctl plans`: the plans the loop asked approval for. */
export async function plansCommand(plane: ControlPlane, io: Io): Promise<number> {
  const plans = await listPlans(plane.registry.store);
  emit(io, { plans }, (d) =>
    table(
      ["PLAN", "CELL", "ACTION", "TENANTS", "REQUESTED", "APPROVED"],
      d.plans.map((p) => [p.id, `${p.cellId} (${p.condition})`, p.action, p.tenants.length, p.requestedAt, p.approvedAt ? `${p.approvedAt} by ${p.approvedBy}` : null]),
    ),
  );
  return 0;
}
