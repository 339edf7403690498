import { randomBytes, randomUUID } from "node:crypto";
import type { Io } from "../cli/output";
import { CliError, ControlPlane } from "../control-plane";
import { copyPages } from "../moves/copy";
import { describeHolders, locate, sleep } from "./locate";

/** What `cellctl standby` did. */
export interface StandbyView {
  readonly tenant_id: string;
  readonly primary: { readonly cell_id: string; readonly epoch: number };
  readonly standby: { readonly cell_id: string; readonly epoch: number };
  readonly records_copied: number;
  /** The replication point the standby confirms (primary clock); null when no sweep confirmed it in time. */
  readonly applied_through: string | null;
  readonly lag_ms: number | null;
  readonly ready: boolean;
}

/** A link's key, minted for one primary-standby pair and handed to those two cells only. */
const mintLinkKey = () => ({ keyId: `repl-${randomBytes(8).toString("hex")}`, secret: randomBytes(32).toString("hex") });

/**
 * `cellctl standby <tenant> --cell <cell>`: makes `cellId` the tenant's standby and waits until it is
 * ready.
 *
 * 1. the standby cell takes the tenant as `standby` at epoch e+1 (it serves nothing), with a key
 *    minted for this link;
 * 2. the primary links to it with the same key: from now its replication consumer pushes every
 *    committed change (the fast path) and sweeps (which renew the primary's write lease);
 * 3. the seed: the primary's records are copied page by page while it keeps serving (the move's bulk
 *    copy); changes committed meanwhile arrive by the fast path, and the first sweep after the seed
 *    reads everything since the link was made;
 * 4. the seed is marked done, and the command waits for a sweep to confirm a replication point.
 *
 * Running it again for a standby that exists re-links it with a new key and seeds again (imports skip
 * what is there). Refused for a tenant without a single active owner, or with a standby elsewhere.
 */
export async function setUpStandby(plane: ControlPlane, io: Io, tenantId: string, standbyCell: string, options: { readonly waitMs: number }): Promise<StandbyView> {
  const where = await locate(plane, tenantId);
  const active = where.holders.filter((h) => h.ownership.state === "active");
  if (active.length !== 1) throw new CliError(`tenant '${tenantId}' has no single active owner (${describeHolders(where)}); a standby needs one`);
  const primary = active[0]!;
  if (primary.cellId === standbyCell) throw new CliError(`tenant '${tenantId}' is active on ${standbyCell}; its standby goes on another cell`);
  const report = where.reports.find((r) => r.entry.cellId === standbyCell);
  if (!report) throw new CliError(`cell '${standbyCell}' is not in the registry; cells: ${where.reports.map((r) => r.entry.cellId).join(", ")}`);
  if (report.health !== "ok") throw new CliError(`cell '${standbyCell}' could not be reached: ${report.error ?? "no answer"}`);
  const elsewhere = where.holders.find((h) => h.ownership.state === "standby" && h.cellId !== standbyCell);
  if (elsewhere) throw new CliError(`tenant '${tenantId}' has a standby on ${elsewhere.cellId} already; drop it first ('cellctl standby ${tenantId} --off')`);
  const here = where.holders.find((h) => h.cellId === standbyCell)?.ownership;
  if (here && here.state !== "moved" && here.state !== "standby") throw new CliError(`tenant '${tenantId}' is ${here.state} at epoch ${here.epoch} on ${standbyCell}; finish or abort what is under way there first`);

  const fromEpoch = primary.ownership.epoch;
  // A standby of an earlier link of this primary keeps its epoch; anything else takes one above every epoch seen.
  const epoch = here?.state === "standby" && here.details?.replica?.primary.cellId === primary.cellId && here.details.replica.primary.epoch === fromEpoch ? here.epoch : Math.max(fromEpoch, here?.epoch ?? 0) + 1;
  const [source, target] = await Promise.all([plane.admin(primary.cellId), plane.admin(standbyCell, report.entry)]);
  const key = mintLinkKey();
  const replica = { epoch, primary: { cellId: primary.cellId, epoch: fromEpoch }, ...key, operation: `standby-${randomUUID().slice(0, 8)}` };
  await target.becomeStandby(tenantId, { ...replica, expected: here ? { epoch: here.epoch, state: here.state } : null });
  const linked = await source.setStandby(tenantId, { cellId: standbyCell, url: report.entry.url, ...key }, fromEpoch);
  const since = linked.details?.standby?.since;
  if (since === undefined) throw new CliError(`${primary.cellId} did not confirm the link to ${standbyCell}`);
  io.err(`${tenantId}: ${standbyCell} is its standby at epoch ${epoch}; ${primary.cellId} replicates to it; seeding...`);

  let copied = 0;
  await copyPages(source, target, tenantId, null, (items) => {
    copied += items.length;
  });
  await target.becomeStandby(tenantId, { ...replica, expected: { epoch, state: "standby" }, seededFrom: since });
  io.err(`${tenantId}: seeded ${copied} records on ${standbyCell}; waiting for a sweep of ${primary.cellId} to confirm a replication point...`);

  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const now = (await target.ownership(tenantId))?.details?.replica;
    if (now?.appliedThrough !== undefined) {
      return { tenant_id: tenantId, primary: { cell_id: primary.cellId, epoch: fromEpoch }, standby: { cell_id: standbyCell, epoch }, records_copied: copied, applied_through: now.appliedThrough, lag_ms: now.lagMs ?? null, ready: true };
    }
    if (Date.now() >= deadline) {
      return { tenant_id: tenantId, primary: { cell_id: primary.cellId, epoch: fromEpoch }, standby: { cell_id: standbyCell, epoch }, records_copied: copied, applied_through: null, lag_ms: null, ready: false };
    }
    await sleep(250);
  }
}

/**
 * `cellctl standby <tenant> --off`: the primary drops its link (and its write lease with it), and a
 * standby cell that answers lets go of its copy (`moved` back to the primary at a new epoch, then
 * purged). A standby that does not answer is reported: its copy stays until the command runs again.
 */
export async function dropStandby(plane: ControlPlane, io: Io, tenantId: string): Promise<{ tenant_id: string; primary: string | null; dropped: string[]; unreachable: string[] }> {
  const where = await locate(plane, tenantId);
  const primary = where.holders.find((h) => h.ownership.state === "active");
  if (primary?.ownership.details?.standby) await (await plane.admin(primary.cellId)).dropStandby(tenantId);
  const dropped: string[] = [];
  for (const holder of where.holders.filter((h) => h.ownership.state === "standby")) {
    const cell = await plane.admin(holder.cellId);
    const back = holder.ownership.details?.replica?.primary ?? (primary ? { cellId: primary.cellId, epoch: primary.ownership.epoch } : undefined);
    if (!back) throw new CliError(`the standby of '${tenantId}' on ${holder.cellId} names no primary; nothing dropped`);
    await cell.setOwnership(tenantId, { epoch: holder.ownership.epoch + 1, state: "moved", movedTo: back, expected: { epoch: holder.ownership.epoch, state: "standby" } });
    let purged = 0;
    for (let more = true; more; ) {
      const page = await cell.purge(tenantId);
      purged += page.deleted;
      more = page.more;
    }
    io.err(`${tenantId}: ${holder.cellId} let go of its standby copy (${purged} items purged)`);
    dropped.push(holder.cellId);
  }
  return { tenant_id: tenantId, primary: primary?.cellId ?? null, dropped, unreachable: [...where.unreachable] };
}
