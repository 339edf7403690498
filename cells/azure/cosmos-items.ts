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
  health: "health",
} as const;

/**
 * The partition of the cell's health probe item: not a tenant id (`TENANT_ID_PATTERN` starts with a
 * letter or digit), so no tenant's queries, exports, digests or purges reach it, and its `kind` is
 * neither a record, an ownership record nor an outbox entry, so no listing or lake consumer takes it.
 */
export const HEALTH_PARTITION = "~health";

/** Item id of the health probe (one per container, overwritten by every deep health check). */
export const PROBE_ITEM_ID = "probe:";

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
