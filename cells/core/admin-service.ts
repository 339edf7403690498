import { promotableAt, type ChangeEvent, type ExportItem, type Ownership, type StandbyLink } from "../../contract";
import { TenantDigest, itemHash } from "./digest";
import { EpochConflictError, OwnershipStateError, TenantNotServedError, ValidationError, VersionConflictError } from "./errors";
import { PURGEABLE_STATES, checkTransition, isSameOwnership, type OwnershipChange } from "./ownership-rules";
import type { RecordService } from "./record-service";
import type { Clock, ImportResult, OwnershipExpectation, TenantStore } from "./ports";
import { isTombstone, type RecordItem } from "./records";

/** Items per store read while hashing a whole tenant. */
const SCAN_PAGE = 1000;

/** One item's share of a tenant's digest: what a move compares item by item. */
export interface ItemHashView {
  readonly record_id: string;
  readonly version: number;
  readonly hash: string;
}

export interface ExportOptions {
  readonly after?: string;
  readonly limit: number;
  /** Whole items (data and times) or only id, version and deletion (for delta comparisons). */
  readonly full: boolean;
  /** Stop adding items once the page's JSON passes this many bytes (at least one item is always returned). */
  readonly maxBytes: number;
}

export interface ExportResult {
  readonly items: ExportItem[];
  /** The last record id of the page when more may follow. */
  readonly lastId?: string;
}

export const exportItemOf = (item: RecordItem, full: boolean): ExportItem => {
  if (!full) return { record_id: item.recordId, version: item.version, deleted: isTombstone(item), updated_at: item.updatedAt, committed_by: item.committedBy };
  if (isTombstone(item)) return { record_id: item.recordId, version: item.version, deleted: true, updated_at: item.updatedAt, committed_by: item.committedBy };
  return {
    record_id: item.recordId,
    version: item.version,
    deleted: false,
    data: item.data,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    committed_by: item.committedBy,
  };
};

/** The item an exported one becomes in this cell's store: versions, times and the committing cell are kept. */
export const recordItemOf = (tenantId: string, item: ExportItem): RecordItem =>
  item.deleted
    ? { tenantId, recordId: item.record_id, version: item.version, deleted: true, updatedAt: item.updated_at, committedBy: item.committed_by }
    : {
        tenantId,
        recordId: item.record_id,
        version: item.version,
        data: item.data as Record<string, never>,
        createdAt: item.created_at ?? item.updated_at,
        updatedAt: item.updated_at,
        committedBy: item.committed_by,
      };

/**
 * The control plane's use cases on one cell: ownership compare-and-set, export, import, digest and
 * purge of a tenant, and the list of tenants the cell holds. Only `cellctl` calls them, with the
 * cell's admin key.
 */
export class AdminService {
  constructor(private readonly deps: { readonly cellId: string; readonly store: TenantStore; readonly clock: Clock; readonly records?: RecordService }) {}

  tenants(): Promise<Ownership[]> {
    return this.deps.store.listOwnerships();
  }

  async ownership(tenantId: string): Promise<Ownership> {
    const ownership = await this.deps.store.ownership(tenantId);
    if (!ownership) throw new TenantNotServedError(tenantId, undefined, false);
    return ownership;
  }

  /**
   * Changes a tenant's ownership if it still is what the caller read (`expected`; null: no record yet).
   * Asking for what is already stored succeeds without a write, so a controller may retry a call
   * whose answer it lost.
   */
  async changeOwnership(tenantId: string, change: OwnershipChange, expected: OwnershipExpectation | null): Promise<Ownership> {
    const current = await this.deps.store.ownership(tenantId);
    if (isSameOwnership(current, change)) return current!;
    const matches = expected === null ? current === undefined : current !== undefined && current.epoch === expected.epoch && current.state === expected.state;
    if (!matches) throw new EpochConflictError(tenantId, current, describeConflict(expected, current));
    checkTransition(this.deps.cellId, tenantId, current, change);
    const promoting = current?.state === "standby" && change.state === "active";
    if (promoting) this.assertPromotable(tenantId, current);
    const now = new Date(this.deps.clock.now()).toISOString();
    const next: Ownership = {
      tenantId,
      epoch: change.epoch,
      state: change.state,
      ...(change.movedTo ? { movedTo: change.movedTo } : {}),
      ...(change.operation ? { operation: change.operation } : {}),
      updatedAt: now,
      // A promoted standby keeps what it knew of its old primary: `cellctl reconcile` starts from it.
      ...(promoting ? { replica: { ...current.replica!, promotedAt: now } } : {}),
    };
    // A promotion must not race a sweep's confirmation (which would renew the old primary's lease): the
    // record must be exactly the one whose confirmation time the check above read.
    await this.deps.store.setOwnership(next, promoting ? { epoch: current.epoch, state: current.state, updatedAt: current.updatedAt } : (expected ?? undefined));
    return next;
  }

  /**
   * A standby may become the owner only when its seed is complete, a sweep has confirmed a
   * replication point, and its primary's write lease has run out (the last confirmation plus the
   * lease and the guard for writes in flight): from then on the old primary cannot commit, wherever
   * it is and whatever its clients or stale edge locations send it.
   */
  private assertPromotable(tenantId: string, current: Ownership): void {
    const replica = current.replica;
    const refuse = (why: string) => {
      throw new OwnershipStateError(tenantId, current, why);
    };
    if (replica?.seededAt === undefined) refuse(`the standby of '${tenantId}' on '${this.deps.cellId}' is not seeded yet; it cannot be promoted`);
    if (replica!.appliedThrough === undefined) refuse(`no sweep of '${replica!.primary.cellId}' has confirmed a replication point on '${this.deps.cellId}' yet; it cannot be promoted`);
    const at = promotableAt(replica!)!;
    if (this.deps.clock.now() < at) {
      refuse(`${replica!.primary.cellId}'s write lease for '${tenantId}' may run until ${new Date(at).toISOString()}; a promotion before then could race its writes`);
    }
  }

  /**
   * On the tenant's primary (active here): links it to a standby, or changes nothing when that link
   * is there already. Replaces another link; the write lease starts with the first confirmation.
   */
  async setStandby(tenantId: string, link: Omit<StandbyLink, "since" | "confirmedThrough" | "seeded">, expected: { epoch: number }): Promise<Ownership> {
    if (link.cellId === this.deps.cellId) throw new ValidationError(`a tenant's standby cannot be the cell it is on ('${this.deps.cellId}')`);
    const current = await this.ownership(tenantId);
    if (current.state !== "active" || current.epoch !== expected.epoch) {
      throw new EpochConflictError(tenantId, current, `expected active at epoch ${expected.epoch}, found ${current.state} at epoch ${current.epoch}`);
    }
    if (current.standby?.keyId === link.keyId && current.standby.cellId === link.cellId && current.standby.url === link.url) return current;
    const now = new Date(this.deps.clock.now()).toISOString();
    const { leaseUntil: _dropped, ...rest } = current;
    const next: Ownership = { ...rest, standby: { ...link, since: now }, updatedAt: now };
    await this.deps.store.setOwnership(next, { epoch: current.epoch, state: current.state, updatedAt: current.updatedAt });
    return next;
  }

  /** On the tenant's primary: drops its standby link and with it the write lease. A tenant without one is left as it is. */
  async dropStandby(tenantId: string): Promise<Ownership> {
    const current = await this.ownership(tenantId);
    if (current.standby === undefined && current.leaseUntil === undefined) return current;
    const { standby: _link, leaseUntil: _lease, ...rest } = current;
    const next: Ownership = { ...rest, updatedAt: new Date(this.deps.clock.now()).toISOString() };
    await this.deps.store.setOwnership(next, { epoch: current.epoch, state: current.state, updatedAt: current.updatedAt });
    return next;
  }

  /**
   * Writes one record on the tenant's owner as a new version (a client write: committed with the
   * ownership check, in the change stream, replicated), only if the record is still at
   * `expectedVersion` (0: absent or deleted) — never over a change made since. A `VersionConflictError` otherwise.
   */
  async reconcileWrite(tenantId: string, recordId: string, expectedVersion: number, change: { readonly data: Record<string, never> } | { readonly deleted: true }): Promise<ExportItem> {
    const records = this.deps.records;
    if (!records) throw new Error("reconcileWrite needs the record service");
    const here = await this.deps.store.getItem(tenantId, recordId);
    const live = here !== undefined && !("deleted" in here && here.deleted === true);
    if ((live ? here.version : 0) !== expectedVersion) {
      throw new VersionConflictError(tenantId, recordId, `record '${recordId}' is at ${live ? `version ${here!.version}` : "no live version"} here, not ${expectedVersion}: it changed since; not overwritten`, live ? here!.version : undefined);
    }
    const planned = "deleted" in change ? await records.planDelete(tenantId, recordId, expectedVersion) : await records.planPut(tenantId, recordId, change.data, expectedVersion);
    await records.commit(planned);
    return exportItemOf(planned.write.item, true);
  }

  /** A page of the tenant's items (tombstones included) in record id order, whatever its ownership state. */
  async export(tenantId: string, options: ExportOptions): Promise<ExportResult> {
    await this.ownership(tenantId);
    const rows = await this.deps.store.listItems(tenantId, { limit: options.limit + 1, after: options.after, includeDeleted: true });
    const items: ExportItem[] = [];
    let bytes = 0;
    for (const row of rows.slice(0, options.limit)) {
      const item = exportItemOf(row, options.full);
      bytes += JSON.stringify(item).length;
      if (items.length > 0 && bytes > options.maxBytes) return { items, lastId: items[items.length - 1]!.record_id };
      items.push(item);
    }
    return rows.length > options.limit ? { items, lastId: items[items.length - 1]!.record_id } : { items };
  }

  /** The named items (records or tombstones) as exported, in the order asked for; ids this cell has nothing under are left out. */
  async exportItems(tenantId: string, recordIds: readonly string[]): Promise<ExportItem[]> {
    await this.ownership(tenantId);
    const items = await Promise.all(recordIds.map((id) => this.deps.store.getItem(tenantId, id)));
    return items.flatMap((item) => (item === undefined ? [] : [exportItemOf(item, true)]));
  }

  /** Writes exported items into a tenant that is `importing` here (`OwnershipStateError` otherwise). */
  async import(tenantId: string, items: readonly ExportItem[]): Promise<ImportResult> {
    try {
      return await this.deps.store.importItems(tenantId, items.map((item) => recordItemOf(tenantId, item)));
    } catch (error) {
      if (error instanceof TenantNotServedError) {
        throw new OwnershipStateError(tenantId, error.ownership, `tenant '${tenantId}' is ${error.ownership?.state ?? "unknown"} here; imports go only into an 'importing' tenant`);
      }
      throw error;
    }
  }

  async digest(tenantId: string): Promise<{ count: number; tombstones: number; hash: string }> {
    await this.ownership(tenantId);
    const digest = new TenantDigest();
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.listItems(tenantId, { limit: SCAN_PAGE, after, includeDeleted: true });
      for (const item of page) await digest.add(item);
      if (page.length < SCAN_PAGE) break;
      after = page[page.length - 1]!.recordId;
    }
    return { count: digest.count, tombstones: digest.tombstones, hash: digest.hash };
  }

  /**
   * Each item's share of the digest, in record id order, a page at a time: a move lists them before
   * its fence and asks again only for what changed after, so its write pause does not grow with the
   * tenant's size.
   */
  async itemHashes(tenantId: string, after: string | undefined, limit: number): Promise<{ items: ItemHashView[]; lastId?: string }> {
    await this.ownership(tenantId);
    const rows = await this.deps.store.listItems(tenantId, { limit: limit + 1, after, includeDeleted: true });
    const items = await Promise.all(rows.slice(0, limit).map(async (row) => ({ record_id: row.recordId, version: row.version, hash: await itemHash(row) })));
    return rows.length > limit ? { items, lastId: items[items.length - 1]!.record_id } : { items };
  }

  /** The named items' shares of the digest (ids with nothing stored are left out). */
  async itemHashesOf(tenantId: string, recordIds: readonly string[]): Promise<ItemHashView[]> {
    await this.ownership(tenantId);
    const rows = await Promise.all(recordIds.map((id) => this.deps.store.getItem(tenantId, id)));
    return Promise.all(rows.flatMap((row) => (row === undefined ? [] : [itemHash(row).then((hash) => ({ record_id: row.recordId, version: row.version, hash }))])));
  }

  /** The tenant's committed changes from `since` (an ISO time, inclusive), oldest first, whatever its ownership state. */
  async changes(tenantId: string, since: string | undefined, limit: number): Promise<ChangeEvent[]> {
    await this.ownership(tenantId);
    return this.deps.store.changes(tenantId, { since, limit });
  }

  /** Deletes up to `limit` items of a tenant that lives elsewhere now, or never arrived here. */
  async purge(tenantId: string, limit: number): Promise<{ deleted: number; more: boolean }> {
    const ownership = await this.ownership(tenantId);
    if (!PURGEABLE_STATES.has(ownership.state)) {
      throw new OwnershipStateError(tenantId, ownership, `tenant '${tenantId}' is ${ownership.state} here; only a 'moved' or 'importing' tenant's data may be purged`);
    }
    return this.deps.store.purge(tenantId, limit);
  }
}

function describeConflict(expected: OwnershipExpectation | null, current: Ownership | undefined): string {
  const was = current === undefined ? "no ownership record" : `${current.state} at epoch ${current.epoch}`;
  const wanted = expected === null ? "no ownership record" : `${expected.state} at epoch ${expected.epoch}`;
  return `expected ${wanted}, found ${was}`;
}
