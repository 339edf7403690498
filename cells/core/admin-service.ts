import type { ChangeEvent, ExportItem, Ownership } from "../../contract";
import { TenantDigest, itemHash } from "./digest";
import { EpochConflictError, OwnershipStateError, TenantNotServedError } from "./errors";
import { PURGEABLE_STATES, checkTransition, isSameOwnership, type OwnershipChange } from "./ownership-rules";
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
  constructor(private readonly deps: { readonly cellId: string; readonly store: TenantStore; readonly clock: Clock }) {}

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
    const next: Ownership = {
      tenantId,
      epoch: change.epoch,
      state: change.state,
      ...(change.movedTo ? { movedTo: change.movedTo } : {}),
      ...(change.operation ? { operation: change.operation } : {}),
      updatedAt: new Date(this.deps.clock.now()).toISOString(),
    };
    await this.deps.store.setOwnership(next, expected ?? undefined);
    return next;
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
