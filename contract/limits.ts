/**
 * Largest request body the router forwards and a cell accepts, in bytes. 256 KiB keeps a record
 * (plus its envelope) under DynamoDB's 400 KB item limit, the tightest store limit we run on.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/** How far a signed request's timestamp may be from the cell's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 60;
