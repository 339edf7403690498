import { reasonOf, type ControlPlane } from "../control-plane";
import { setCellStatus } from "../commands/cell-status";
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

/** What this build answers to a failover: the standby support (issue 13) is not in it. */
export const NO_STANDBY_SUPPORT = "no standby support in this build: fail-over needs the standby commands (cellctl standby / failover); the loop does nothing else instead";

/**
 * The watch's failover of a down cell's tenants to their standbys: the one place the standby
 * support plugs in (run what `cellctl failover` runs for each tenant; `{ ok: true, detail }` when
 * done, `{ ok: false, error }` when not). This build has no standby support, so it says so, and the
 * loop holds the failover every window and does nothing else instead.
 */
export async function failoverToStandbys(_plane: ControlPlane, _cellId: string, _tenantIds: readonly string[]): Promise<ActionOutcome> {
  return { ok: false, unsupported: true, error: NO_STANDBY_SUPPORT };
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
