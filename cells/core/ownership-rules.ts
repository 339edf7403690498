import type { MovedTo, Ownership, OwnershipState } from "../../contract";
import { OwnershipStateError, TenantNotServedError } from "./errors";

/**
 * Which requests a tenant's ownership state lets a cell serve, and which ownership changes are
 * allowed. Pure rules, one place, used by the data API and the admin API alike.
 */

/**
 * Throws `TenantNotServedError` unless the cell serves this request: writes need `active` (and, for a
 * tenant with a standby, a write lease that runs past `nowMs`); reads are also served while `fenced`
 * (the data is still here and still current: no write can commit) and while a lease has run out.
 */
export function assertServes(tenantId: string, ownership: Ownership | undefined, write: boolean, nowMs?: number): asserts ownership is Ownership {
  if (ownership?.state === "active") {
    if (write && nowMs !== undefined && !leaseHolds(ownership, nowMs)) throw new TenantNotServedError(tenantId, ownership, write);
    return;
  }
  if (ownership?.state === "fenced" && !write) return;
  throw new TenantNotServedError(tenantId, ownership, write);
}

/** Whether an active tenant may commit at `nowMs`: it has no write lease (no standby confirmed yet), or the lease runs past it. */
export const leaseHolds = (ownership: Pick<Ownership, "leaseUntil">, nowMs: number): boolean => ownership.leaseUntil === undefined || ownership.leaseUntil > nowMs;

/** What a caller asks an ownership record to become. */
export interface OwnershipChange {
  readonly epoch: number;
  readonly state: OwnershipState;
  readonly movedTo?: MovedTo;
  /** The operation (a move's id) making the change; see `Ownership.operation`. */
  readonly operation?: string;
}

/** Changes that may keep the epoch: finishing an import, completing a hand-over the fence started, promoting a standby (a failover). */
const SAME_EPOCH_TRANSITIONS: ReadonlySet<string> = new Set(["importing>active", "fenced>moved", "standby>active"]);

/** True when `current` already is what `change` asks for (a retried call is then a no-op). */
export function isSameOwnership(current: Ownership | undefined, change: OwnershipChange): boolean {
  return (
    current !== undefined &&
    current.epoch === change.epoch &&
    current.state === change.state &&
    current.movedTo?.cellId === change.movedTo?.cellId &&
    current.movedTo?.epoch === change.movedTo?.epoch &&
    current.operation === change.operation
  );
}

/**
 * Checks that `change` is a legal step from `current` on cell `cellId`. Epochs only grow: every
 * change bumps the epoch except finishing an import (`importing` -> `active`) and completing a
 * hand-over (`fenced` -> `moved`). `moved` names where the tenant went, never this cell itself.
 */
export function checkTransition(cellId: string, tenantId: string, current: Ownership | undefined, change: OwnershipChange): void {
  const fail = (why: string) => {
    throw new OwnershipStateError(tenantId, current, why);
  };
  if (!Number.isSafeInteger(change.epoch) || change.epoch < 1) fail(`epoch must be an integer of at least 1, got ${change.epoch}`);
  if (change.state === "moved" && change.movedTo === undefined) fail("state 'moved' needs moved_to {cell_id, epoch}");
  if (change.state !== "moved" && change.movedTo !== undefined) fail(`moved_to is only for state 'moved', got it with '${change.state}'`);
  if (change.movedTo?.cellId === cellId) fail(`a tenant cannot move to the cell it is on ('${cellId}')`);
  if (current === undefined) return;
  if (change.epoch < current.epoch) fail(`epochs only grow: the tenant is at epoch ${current.epoch} here, got ${change.epoch}`);
  if (change.epoch === current.epoch && !SAME_EPOCH_TRANSITIONS.has(`${current.state}>${change.state}`)) {
    fail(`'${current.state}' -> '${change.state}' must bump the epoch (now ${current.epoch})`);
  }
}

/** States in which a cell may let go of the tenant's data: it lives elsewhere now, or never arrived here. */
export const PURGEABLE_STATES: ReadonlySet<OwnershipState> = new Set(["moved", "importing"]);
