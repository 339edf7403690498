import type { ChangeEvent, ExportItem } from "../../contract";
import type { AdminClient } from "../admin-client";

/**
 * The copy steps a move and a standby's seed share: a tenant's records (and tombstones) exported from
 * one cell page by page and imported into another while the first keeps serving, and the source's
 * change stream read from a time. Imports keep versions and skip what the target already has, so any
 * page may be copied twice.
 */

/** Items per bulk-copy page (an import page stays far below the admin body limit). */
export const BULK_PAGE = 200;
/** Changes read per page of a source's change stream. */
const CHANGES_PAGE = 1000;

/**
 * Copies every page from `cursor` (null: from the start) to the end, calling `onPage` after each
 * page is imported with the page's items and the cursor of the next (null: done), so a caller can
 * journal its progress and resume there.
 */
export async function copyPages(
  source: AdminClient,
  target: AdminClient,
  tenantId: string,
  cursor: string | null,
  onPage: (items: readonly ExportItem[], next: string | null) => void | Promise<void>,
): Promise<void> {
  do {
    const page = await source.exportPage(tenantId, { cursor: cursor ?? undefined, fields: "full", limit: BULK_PAGE });
    if (page.items.length > 0) await target.importPage(tenantId, page.items);
    cursor = page.next_cursor;
    await onPage(page.items, cursor);
  } while (cursor !== null);
}

/** Reads a cell's change stream of `tenantId` from `since` (ISO, inclusive) to its end, oldest first. */
export async function changesSince(cell: AdminClient, tenantId: string, since: string): Promise<ChangeEvent[]> {
  const all: ChangeEvent[] = [];
  for (;;) {
    const page = await cell.changes(tenantId, { since, limit: CHANGES_PAGE });
    all.push(...page);
    if (page.length < CHANGES_PAGE) break;
    const last = page[page.length - 1]!.committed_at;
    if (last === since) break; // a full page within one millisecond: what follows it was read already
    since = last;
  }
  return all;
}
