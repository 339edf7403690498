import { randomUUID } from "node:crypto";
import type { CellEntry, MovedTo } from "../../contract";
import { AdminCallError, type AdminClient } from "../admin-client";
import type { Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";
import { describeHolders, locate, ownershipOn, promotedOwner, sleep } from "./locate";

/** The tenant has no standby (on the cell asked for) to fail over to: nothing was changed. */
export class NoStandbyError extends CliError {}

/** What `cellctl failover` did. */
export interface FailoverView {
  readonly tenant_id: string;
  readonly from: string;
  readonly to: string;
  readonly epoch: number;
  /** Every change committed on `from` at or before this (its clock) is on `to`; later ones may not be. */
  readonly replication_point: string | null;
  /** When `to` last heard from `from` (its own clock). */
  readonly last_heard_at: string | null;
  readonly promoted_at: string | null;
  /** How long the command waited for the old primary's write lease to run out, ms. */
  readonly waited_ms: number;
  /** `unreachable` (it learns it was superseded when it is back) or `moved` (fenced now). */
  readonly old_primary: "unreachable" | "moved";
}

/**
 * `cellctl failover <tenant> [--to <cell>]`: for a primary that cannot be reached. The standby becomes
 * the tenant's owner at its epoch (e+1) and the registry names it.
 *
 * - Refused while the primary answers for the tenant: a reachable primary is moved (`cellctl move`),
 *   never failed over, so nothing it commits can be cut off.
 * - The standby promotes only once the primary's write lease has run out (its last confirmation, plus
 *   the lease, plus the guard for writes in flight); the command waits for that. From then on the old
 *   primary cannot commit, so a client or a stale edge location that still reaches it gets a 503 until
 *   its replication consumer (or `cellctl reconcile`) learns of the new epoch and fences it, and then
 *   `tenant_moved`, which the router follows.
 * - The data-loss window is reported from the standby alone: its replication point.
 *
 * Running it again after it finished (or stopped after the promotion) completes the registry step.
 */
export async function failover(plane: ControlPlane, io: Io, tenantId: string, options: { readonly to?: string; readonly waitMs: number }): Promise<FailoverView> {
  const where = await locate(plane, tenantId);
  const done = promotedOwner(where);
  const standbys = where.holders.filter((h) => h.ownership.state === "standby" && (options.to === undefined || h.cellId === options.to));
  const candidate = done && (options.to === undefined || done.cellId === options.to) ? done : standbys[0];
  if (!candidate) {
    throw new NoStandbyError(`tenant '${tenantId}' has no standby${options.to ? ` on ${options.to}` : ""} to fail over to (${describeHolders(where)}); set one up with 'cellctl standby ${tenantId} --cell <cell>'`);
  }
  if (standbys.length > 1) throw new CliError(`tenant '${tenantId}' has standbys on ${standbys.map((s) => s.cellId).join(" and ")}; name one with --to`);
  const replica = candidate.ownership.details?.replica;
  if (!replica) throw new CliError(`${candidate.cellId} holds '${tenantId}' as a standby but names no primary`);
  const from = replica.primary;
  const target = await plane.admin(candidate.cellId);
  let waited = 0;

  if (candidate.ownership.state === "standby") {
    const primary = await ownershipOn(await plane.admin(from.cellId), tenantId);
    if (primary.reachable && primary.ownership?.state === "active" && primary.ownership.epoch === from.epoch) {
      throw new CliError(
        `${from.cellId} answers and serves '${tenantId}' (active at epoch ${from.epoch}): failover is for a primary that cannot be reached. ` +
          `For a planned switch drop the standby and move the tenant ('cellctl standby ${tenantId} --off', then 'cellctl move ${tenantId} --to ${candidate.cellId}')`,
      );
    }
    io.err(
      `${tenantId}: failing over from ${from.cellId} (${primary.reachable ? `it holds the tenant as ${primary.ownership?.state ?? "nothing"}` : "unreachable"}) to ${candidate.cellId}; ` +
        `replication point ${replica.appliedThrough ?? "none"} (${from.cellId}'s clock), last heard ${replica.lastHeardAt ?? "never"}`,
    );
    waited = await promote(target, tenantId, candidate.ownership.epoch, io, from, options.waitMs);
  }

  const promoted = (await target.ownership(tenantId))!;
  const cell = await cellEntry(plane, candidate.cellId);
  const entry = await plane.registry.tenant(tenantId);
  if (entry?.cellId !== candidate.cellId || entry.epoch !== promoted.epoch || entry.status !== "active") {
    await plane.registry.putTenant({ tenantId, cellId: candidate.cellId, status: "active", epoch: promoted.epoch }, cell);
  }
  const fenced = await fenceOldPrimary(plane, tenantId, from, { cellId: candidate.cellId, epoch: promoted.epoch });
  const details = promoted.details?.replica;
  return {
    tenant_id: tenantId,
    from: from.cellId,
    to: candidate.cellId,
    epoch: promoted.epoch,
    replication_point: details?.appliedThrough ?? null,
    last_heard_at: details?.lastHeardAt ?? null,
    promoted_at: details?.promotedAt ?? null,
    waited_ms: waited,
    old_primary: fenced ? "moved" : "unreachable",
  };
}

/** Promotes the standby, waiting (up to `waitMs`) as long as it says its primary's write lease may still run. */
async function promote(target: AdminClient, tenantId: string, epoch: number, io: Io, from: MovedTo, waitMs: number): Promise<number> {
  const started = Date.now();
  const operation = `failover-${randomUUID().slice(0, 8)}`;
  for (;;) {
    try {
      await target.setOwnership(tenantId, { epoch, state: "active", operation, expected: { epoch, state: "standby" } });
      return Date.now() - started;
    } catch (error) {
      const until = leaseRunsUntil(error);
      if (until === undefined) throw error;
      const left = until - Date.now();
      if (Date.now() - started + left > waitMs) throw new CliError(`${from.cellId}'s write lease for '${tenantId}' runs until ${new Date(until).toISOString()}, past --wait; run 'cellctl failover ${tenantId}' again then`);
      io.err(`${tenantId}: waiting ${Math.ceil(Math.max(left, 0) / 100) / 10} s for ${from.cellId}'s write lease to run out (so it cannot commit once ${target.target.cellId} serves)`);
      await sleep(Math.max(left, 0) + 50);
    }
  }
}

/** When a refused promotion says the old primary's lease may still run until, epoch ms. */
function leaseRunsUntil(error: unknown): number | undefined {
  if (!(error instanceof AdminCallError) || error.code !== "ownership_state") return undefined;
  const current = error.body?.current as { replica?: { promotable_at?: unknown } } | undefined;
  const at = current?.replica?.promotable_at;
  return typeof at === "string" && /write lease/.test(error.message) ? Date.parse(at) : undefined;
}

/**
 * Makes the old primary `moved` to the new owner, if it answers and still holds the tenant as active
 * at its old epoch; true when it is `moved` now. A primary that does not answer learns it on its own
 * when it is back (its replication consumer's next push is refused) or from `cellctl reconcile`.
 */
export async function fenceOldPrimary(plane: ControlPlane, tenantId: string, from: MovedTo, to: MovedTo): Promise<boolean> {
  const old = await plane.admin(from.cellId);
  const state = await ownershipOn(old, tenantId);
  if (!state.reachable) return false;
  const o = state.ownership;
  if (o?.state === "moved") return true;
  if (o?.state !== "active" || o.epoch !== from.epoch) return false;
  try {
    await old.setOwnership(tenantId, { epoch: to.epoch, state: "moved", movedTo: to, operation: `fence-${to.cellId}-${to.epoch}`, expected: { epoch: o.epoch, state: "active" } });
  } catch (error) {
    if (!(error instanceof AdminCallError && error.code === "epoch_conflict")) throw error;
  }
  return (await old.ownership(tenantId))?.state === "moved";
}

async function cellEntry(plane: ControlPlane, cellId: string): Promise<CellEntry> {
  const entry = await plane.registry.cell(cellId);
  if (!entry) throw new CliError(`cell '${cellId}' has no registry entry`);
  return entry;
}
