/**
 * Identifier rules shared by the constructs (validation at synth time), the router and the cells.
 * Every id that ends up in a KV key, a header or a canonical string is restricted to characters
 * that need no escaping anywhere, so no layer can disagree about what an id is.
 */

/** Cell ids: lower-case, start with a letter, 2 to 21 characters. Used in stack names and resource names. */
export const CELL_ID_PATTERN = /^[a-z][a-z0-9-]{1,20}$/;

/** Tenant ids: letters, digits, `-` and `_`, 1 to 64 characters, e.g. `T-100`. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Record ids: letters, digits, `.`, `-`, `_`, 1 to 128 characters (safe as a DynamoDB sort key and a Cosmos DB id). */
export const RECORD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Signing key ids: `<cellId>-v<n>`-style tokens. */
export const KEY_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const isCellId = (value: unknown): value is string => typeof value === "string" && CELL_ID_PATTERN.test(value);
export const isTenantId = (value: unknown): value is string => typeof value === "string" && TENANT_ID_PATTERN.test(value);
export const isRecordId = (value: unknown): value is string => typeof value === "string" && RECORD_ID_PATTERN.test(value);
export const isKeyId = (value: unknown): value is string => typeof value === "string" && KEY_ID_PATTERN.test(value);
