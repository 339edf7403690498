/**
 * Largest request body the router forwards and a cell accepts, in bytes. 256 KiB keeps a record
 * (plus its envelope) under DynamoDB's 400 KB item limit, the tightest store limit we run on.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Longest request target (path and query, as sent) the router forwards, bytes; longer is a 414 from
 * the router. Azure's front ends refuse URLs over 4 KB and API Gateway counts the request line into
 * its 10 KB limit, so a cell never sees a URL it would refuse.
 */
export const MAX_URL_BYTES = 4096;

/**
 * Largest block of client headers the router forwards to a cell (each header's name, value and
 * 4 bytes of `: ` and CRLF), bytes; larger is a 431 from the router. With `MAX_URL_BYTES` and the
 * router's own headers (about 350 bytes) it stays under API Gateway's 10 KB for the request line and
 * headers. Headers the router does not forward (hop-by-hop, `cf-*`, a verified `Authorization`)
 * do not count.
 */
export const MAX_HEADER_BYTES = 5 * 1024;

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
