import { type ChangeEvent, type MovedTo, type Ownership, type ReplicaRequest, type ReplicationAck, type ReplicationPush, type ReplicaState } from "../../contract";
import { EpochConflictError, OwnershipStateError, ValidationError } from "./errors";
import { parseChangeEvent } from "./lake";
import { checkTransition } from "./ownership-rules";
import type { Clock, TenantStore } from "./ports";
import { isTombstone, type RecordItem } from "./records";

/** How often a progress write that lost a race with another one is tried again. */
const PROGRESS_ATTEMPTS = 8;

/**
 * The standby side of replication, on the cell that holds the copy: becoming a standby, the link's
 * key (the replication route is signed with it), and applying a primary's pushes. A push is taken only
 * from the primary and epoch the standby was set up for, and only while the tenant is `standby`
 * here: once a failover promoted this cell, the old primary's pushes are refused and it learns it
 * was superseded (the answer names this cell's ownership).
 */
export class ReplicaService {
  constructor(private readonly deps: { readonly cellId: string; readonly store: TenantStore; readonly clock: Clock }) {}

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /**
   * Makes this cell the tenant's standby (a compare-and-set from what the caller read, like any
   * ownership change), or, when it already is the standby of that link, records the seed as done.
   */
  async becomeStandby(tenantId: string, request: ReplicaRequest): Promise<Ownership> {
    if (request.primary.cellId === this.deps.cellId) throw new ValidationError(`a tenant cannot be the standby of the cell it is on ('${this.deps.cellId}')`);
    const current = await this.deps.store.ownership(tenantId);
    const replica = current?.state === "standby" ? current.replica : undefined;
    if (current && replica && current.epoch === request.epoch && samePrimary(replica.primary, request.primary)) {
      const unchanged = { epoch: current.epoch, state: current.state, updatedAt: current.updatedAt };
      if (replica.keyId !== request.keyId) {
        // A new link to the same primary (`cellctl standby` run again): a new key, and a seed to redo.
        const next: Ownership = { ...current, replica: { primary: request.primary, keyId: request.keyId, secret: request.secret }, updatedAt: this.isoNow() };
        await this.deps.store.setOwnership(next, unchanged);
        return next;
      }
      if (request.seededFrom === undefined || replica.seededAt !== undefined) return current;
      const next: Ownership = { ...current, replica: { ...replica, seededAt: this.isoNow(), seededFrom: request.seededFrom }, updatedAt: this.isoNow() };
      await this.deps.store.setOwnership(next, unchanged);
      return next;
    }
    const expected = request.expected;
    const matches = expected === null ? current === undefined : current !== undefined && current.epoch === expected.epoch && current.state === expected.state;
    if (!matches) throw new EpochConflictError(tenantId, current, `expected ${expected === null ? "no ownership record" : `${expected.state} at epoch ${expected.epoch}`}, found ${current ? `${current.state} at epoch ${current.epoch}` : "none"}`);
    checkTransition(this.deps.cellId, tenantId, current, { epoch: request.epoch, state: "standby" });
    const next: Ownership = {
      tenantId,
      epoch: request.epoch,
      state: "standby",
      ...(request.operation ? { operation: request.operation } : {}),
      updatedAt: this.isoNow(),
      replica: { primary: request.primary, keyId: request.keyId, secret: request.secret },
    };
    await this.deps.store.setOwnership(next, expected ?? undefined);
    return next;
  }

  /** The key the tenant's replication calls must be signed with here, while it is a standby (or was promoted from one). */
  async linkKey(tenantId: string): Promise<{ keyId: string; secret: string } | undefined> {
    const replica = (await this.deps.store.ownership(tenantId))?.replica;
    return replica && { keyId: replica.keyId, secret: replica.secret };
  }

  /**
   * Applies a push: each record's newest change in it is imported when newer than what is here
   * (so a record never goes back, a change delivered twice or late is a no-op, and versions are the
   * primary's). A sweep's last push also records the replication point and the confirmation that
   * renews the primary's lease, in a compare-and-set that fails once a failover has promoted this cell.
   */
  async apply(tenantId: string, push: ReplicationPush): Promise<ReplicationAck> {
    const ownership = await this.deps.store.ownership(tenantId);
    const replica = this.assertStandbyOf(tenantId, ownership, push);
    const changes = push.changes.map((raw, i) => {
      const parsed = parseChangeEvent(raw);
      if (!parsed.ok) throw new ValidationError(`changes[${i}]: ${parsed.error}`);
      if (parsed.value.tenant_id !== tenantId) throw new ValidationError(`changes[${i}] is a change of tenant '${parsed.value.tenant_id}', not '${tenantId}'`);
      return parsed.value;
    });
    const items = await this.itemsOf(tenantId, changes);
    const { written, skipped } = items.length === 0 ? { written: 0, skipped: 0 } : await this.deps.store.importItems(tenantId, items);
    const result = { applied: written, skipped: skipped + (changes.length - items.length) };
    if (push.sweep === undefined) return { ...result, seeded: replica.seededAt !== undefined, applied_through: replica.appliedThrough ?? null };
    const confirmed = await this.confirmSweep(tenantId, push, written);
    return { ...result, seeded: confirmed.seededAt !== undefined, applied_through: confirmed.appliedThrough ?? null };
  }

  /** Records a sweep: the point it lets this cell claim, and when it heard from the primary (the lease's start). */
  private async confirmSweep(tenantId: string, push: ReplicationPush, written: number): Promise<ReplicaState> {
    const sweep = push.sweep!;
    for (let attempt = 1; ; attempt++) {
      const ownership = await this.deps.store.ownership(tenantId);
      const replica = this.assertStandbyOf(tenantId, ownership, push);
      // A sweep counts only when its read began no later than what is already claimed (the seed's
      // start for the first one), so together they leave no gap.
      const from = replica.appliedThrough ?? replica.seededFrom;
      const counts = replica.seededAt !== undefined && sweep.scanned_since !== null && from !== undefined && sweep.scanned_since <= from;
      const appliedThrough = counts && (replica.appliedThrough === undefined || sweep.through > replica.appliedThrough) ? sweep.through : replica.appliedThrough;
      const next: ReplicaState = {
        ...replica,
        ...(appliedThrough === undefined ? {} : { appliedThrough }),
        lastHeardAt: this.isoNow(),
        sweepMs: sweep.sweep_ms,
        caughtUp: sweep.applied_before + written,
        leaseMs: sweep.lease_ms,
        guardMs: sweep.guard_ms,
      };
      try {
        await this.deps.store.setOwnership({ ...ownership!, replica: next, updatedAt: this.isoNow() }, { epoch: ownership!.epoch, state: "standby", updatedAt: ownership!.updatedAt });
        return next;
      } catch (error) {
        if (!(error instanceof EpochConflictError) || attempt >= PROGRESS_ATTEMPTS) throw error;
      }
    }
  }

  /** The replica state, when this cell is the standby of the push's primary and epoch; throws otherwise (naming what it is). */
  private assertStandbyOf(tenantId: string, ownership: Ownership | undefined, push: ReplicationPush): ReplicaState {
    if (ownership?.state !== "standby" || ownership.replica === undefined) {
      throw new OwnershipStateError(tenantId, ownership, `tenant '${tenantId}' is ${ownership ? `${ownership.state} at epoch ${ownership.epoch}` : "unknown"} on '${this.deps.cellId}', not a standby: replication refused`);
    }
    const { primary } = ownership.replica;
    if (primary.cellId !== push.from_cell || primary.epoch !== push.epoch) {
      throw new OwnershipStateError(tenantId, ownership, `'${this.deps.cellId}' is the standby of '${tenantId}' on ${primary.cellId} at epoch ${primary.epoch}, not on ${push.from_cell} at epoch ${push.epoch}`);
    }
    return ownership.replica;
  }

  /**
   * The items the changes leave behind: each record's newest change, as the primary committed it
   * (version, time, committing cell). A change event has no creation time: a create's is its commit
   * time, a replace keeps the one already here (the create reached this cell first, or the seed did).
   */
  private async itemsOf(tenantId: string, changes: readonly ChangeEvent[]): Promise<RecordItem[]> {
    const newest = new Map<string, ChangeEvent>();
    const created = new Map<string, string>();
    for (const change of changes) {
      if ((newest.get(change.record_id)?.version ?? 0) < change.version) newest.set(change.record_id, change);
      if (change.kind === "created") created.set(`${change.record_id}#${change.version}`, change.committed_at);
    }
    return Promise.all(
      [...newest.values()].map(async (change): Promise<RecordItem> => {
        const base = { tenantId, recordId: change.record_id, version: change.version, updatedAt: change.committed_at, committedBy: change.cell_id };
        if (change.kind === "deleted") return { ...base, deleted: true };
        let createdAt = change.kind === "created" ? change.committed_at : undefined;
        for (let v = change.version - 1; createdAt === undefined && v >= 1 && created.size > 0; v--) createdAt = created.get(`${change.record_id}#${v}`);
        if (createdAt === undefined) {
          const here = await this.deps.store.getItem(tenantId, change.record_id);
          createdAt = here && !isTombstone(here) ? here.createdAt : change.committed_at;
        }
        return { ...base, data: change.data as Record<string, never>, createdAt };
      }),
    );
  }
}

const samePrimary = (a: MovedTo, b: MovedTo): boolean => a.cellId === b.cellId && a.epoch === b.epoch;
