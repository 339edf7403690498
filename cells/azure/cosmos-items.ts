/**
 * The layout of the Azure cell's single Cosmos DB container: one container per cell, partitioned on
 * `/tenantId` (see `CONTAINER_SCHEMA`), holding every kind of item of a tenant side by side. Records
 * keep their id as the item id; every other kind gets a prefix with a `:`, which record ids can never
 * contain (`RECORD_ID_PATTERN`), so the kinds never collide inside a tenant's partition.
 */

/** The `kind` field of every item, so queries can select one kind. */
export const ITEM_KINDS = {
  ownership: "ownership",
  record: "record",
  idempotency: "idempotency",
  change: "change",
  nonce: "nonce",
} as const;

/** Item id of the tenant's ownership record (one per partition). */
export const OWNERSHIP_ITEM_ID = "ownership:";

/** Item id of a keyed write's stored answer. */
export const idempotencyItemId = (key: string): string => `idem:${key}`;

/** Item id of a nonce. */
export const nonceItemId = (nonce: string): string => `nonce:${nonce}`;

/** Item id of an outbox entry: one per (record, version), which never repeats (tombstones keep versions growing). */
export const changeItemId = (recordId: string, version: number): string => `chg:${recordId}:${version}`;

/**
 * Seconds added to an item's `ttl` beyond its logical expiry. Cosmos DB counts `ttl` from its own
 * last-write time (`_ts`), not from the cell's clock; the margin keeps a small clock difference from
 * sweeping a nonce or idempotency key before the adapters themselves consider it expired.
 */
export const TTL_MARGIN_SECONDS = 60;

/**
 * The per-item `ttl` (whole seconds, at least 1) for an item that logically expires at `expiresAtSec`,
 * written at `nowSec`. Cosmos DB deletes the item some time after that; until it does (and always on
 * the emulator, which does not enforce TTL) the adapters treat `expiresAt <= now` as absent.
 */
export function ttlSeconds(expiresAtSec: number, nowSec: number): number {
  return Math.max(1, Math.ceil(expiresAtSec - nowSec)) + TTL_MARGIN_SECONDS;
}
