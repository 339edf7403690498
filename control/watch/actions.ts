import { reasonOf, type ControlPlane } from "../control-plane";
import type { Io } from "../cli/output";
import { setCellStatus } from "../commands/cell-status";
import { NoStandbyError, failover } from "../standby/failover";
import type { JournalStore } from "../moves/journal";
import { Mover, type MoveHooks } from "../moves/move";
import type { ActionOutcome } from "./decide";
import { requestApproval } from "./switches";
import type { PlanView } from "./decide";

/**
 * What `cellctl watch` can do, as a port: every action is an ordinary `cellctl` operation, so an
 * operator can see, resume or undo anything the loop started with the same commands
 * (`cellctl drain|activate`, `cellctl move --resume|--abort`, `cellctl moves`).
 */
export interface WatchActions {
  /** `cellctl drain <cell>`. */
  drain(cellId: string): Promise<ActionOutcome>;
  /** `cellctl activate <cell>`. */
  activate(cellId: string): Promise<ActionOutcome>;
  /** `cellctl move <tenant> --to <cell>`: journaled; an outcome with `journaled` stopped at a step and resumes. */
  move(tenantId: string, to: string): Promise<ActionOutcome>;
  /** `cellctl move <tenant> --resume`. */
  resume(tenantId: string): Promise<ActionOutcome>;
  /** Fails a down cell's tenants over to their standbys. */
  failover(cellId: string, tenantIds: readonly string[]): Promise<ActionOutcome>;
  /** Writes a plan where `cellctl approve <plan>` finds it. */
  requestApproval(plan: PlanView): Promise<ActionOutcome>;
}

/** What the failover action answers when none of the tenants it was given has a standby to promote. */
export const NO_STANDBY = "none of these tenants has a standby (set one up with 'cellctl standby <tenant> --cell <cell>'); the loop does nothing else instead";

/** How long one tenant's failover may wait for its old primary's write lease (as `cellctl failover`'s default). */
const FAILOVER_WAIT_MS = 600_000;

/**
 * The watch's failover of a down cell's tenants to their standbys: for each tenant, what
 * `cellctl failover <tenant>` runs (refused while the primary answers; waits out the primary's write
 * lease, promotes the standby, points the registry at it). Tenants without a standby are left where
 * they are and named; when none of them has one the outcome is `unsupported`, and the loop holds the
 * failover from then on rather than doing anything else instead.
 */
export async function failoverToStandbys(plane: ControlPlane, cellId: string, tenantIds: readonly string[]): Promise<ActionOutcome> {
  const quiet: Io = { out: () => undefined, err: () => undefined, interactive: false, json: false };
  const done: string[] = [];
  const noStandby: string[] = [];
  const failed: string[] = [];
  for (const tenantId of tenantIds) {
    try {
      const view = await failover(plane, quiet, tenantId, { waitMs: FAILOVER_WAIT_MS });
      done.push(`${tenantId} -> ${view.to} (epoch ${view.epoch}, replication point ${view.replication_point ?? "none"})`);
    } catch (error) {
      if (error instanceof NoStandbyError) noStandby.push(tenantId);
      else failed.push(`${tenantId}: ${reasonOf(error)}`);
    }
  }
  const without = noStandby.length > 0 ? `; no standby: ${noStandby.join(", ")}` : "";
  if (failed.length > 0) return { ok: false, error: `${failed.join("; ")}${done.length > 0 ? `; failed over: ${done.join(", ")}` : ""}${without}` };
  if (done.length === 0) return { ok: false, unsupported: true, error: `${cellId}: ${NO_STANDBY}` };
  return { ok: true, detail: `failed over: ${done.join(", ")}${without}` };
}

/** The actions through the control plane, the way `cellctl` itself runs them. */
export function cellctlActions(plane: ControlPlane, journals: JournalStore, hooks: MoveHooks = {}): WatchActions {
  const mover = new Mover(plane, journals, hooks);
  const settle = async (work: () => Promise<string>): Promise<ActionOutcome> => {
    try {
      return { ok: true, detail: await work() };
    } catch (error) {
      return { ok: false, error: reasonOf(error) };
    }
  };
  const moved = async (work: () => Promise<{ tenantId: string; target: string; copied: number; pauseMs?: number }>, tenantId: string): Promise<ActionOutcome> => {
    try {
      const j = await work();
      return { ok: true, detail: `${j.tenantId} is on ${j.target}: ${j.copied} records copied, writes paused ${j.pauseMs ?? "?"} ms` };
    } catch (error) {
      const journal = journals.load(tenantId);
      return { ok: false, error: reasonOf(error), journaled: journal !== undefined && journal.phase !== "done" && journal.phase !== "aborted" };
    }
  };
  return {
    drain: (cellId) => settle(async () => ((await setCellStatus(plane, cellId, "draining")).changed ? `${cellId} drained` : `${cellId} was draining already`)),
    activate: (cellId) => settle(async () => ((await setCellStatus(plane, cellId, "active")).changed ? `${cellId} back in placement` : `${cellId} was active already`)),
    move: (tenantId, to) => moved(() => mover.start(tenantId, to), tenantId),
    resume: (tenantId) => moved(() => mover.resume(tenantId), tenantId),
    failover: (cellId, tenantIds) => failoverToStandbys(plane, cellId, tenantIds),
    requestApproval: (plan) => settle(async () => {
      await requestApproval(plane.registry.store, plan, new Date());
      return `plan ${plan.id} waits for 'cellctl approve ${plan.id}'`;
    }),
  };
}
