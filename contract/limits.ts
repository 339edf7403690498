/**
 * Largest request body the router forwards and a cell accepts, in bytes. 256 KiB keeps a record
 * (plus its envelope) under DynamoDB's 400 KB item limit, the tightest store limit we run on.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** How far a signed request's timestamp may be from the cell's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 60;

/**
 * Deepest nesting of JSON a cell accepts in a request body (objects and arrays, the body itself is
 * level 1). Cosmos DB refuses documents nested deeper than 128 levels and a record sits two levels
 * down in its stored item; 32 leaves room on both clouds and is far beyond any sane record.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Largest stored form of one item a cell writes, bytes (record, tombstone or idempotency outcome).
 * DynamoDB's item limit is 400 KB (names and values); Cosmos DB's is 2 MB. A write whose stored
 * form would exceed this is refused with 413 before anything is written.
 */
export const MAX_STORED_ITEM_BYTES = 380_000;

/**
 * Largest body of an admin API call (`cellctl` to a cell), bytes: an import page carries whole
 * records, each up to `MAX_BODY_BYTES`, plus their envelope. Lambda accepts 6 MB per invocation.
 */
export const MAX_ADMIN_BODY_BYTES = 4 * 1024 * 1024;
