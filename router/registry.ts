import type { CellEntry, TenantEntry } from "../contract";

/**
 * The answer to one registry lookup. A lookup never throws: a missing entry, a malformed entry and an
 * unreadable store are values the routing logic maps to 404, 502 and 503.
 */
export type Lookup<T> =
  | { readonly kind: "found"; readonly value: T; readonly source?: PlacementSource }
  | { readonly kind: "not_found" }
  /** The entry exists but breaks the contract (bad JSON, wrong fields or version, names another id, URL not allowed). */
  | { readonly kind: "malformed"; readonly error: string }
  /** The store could not be read (a transient failure); never cached. */
  | { readonly kind: "unavailable"; readonly error: string };

/**
 * Where a found entry came from, for the log line: `kv` (read now), `cache` (the isolate's cache,
 * within its TTL), `stale` (the last known good entry, served because KV failed), `snapshot` (the
 * registry the Worker was deployed with, because KV failed and nothing was cached), `moved` (a cell's
 * `tenant_moved` answer, newer than KV's entry).
 */
export type PlacementSource = "kv" | "cache" | "stale" | "snapshot" | "moved";

/** The registry port: where tenants are placed and where cells are. The routing logic sees only this. */
export interface Registry {
  tenant(tenantId: string): Promise<Lookup<TenantEntry>>;
  cell(cellId: string): Promise<Lookup<CellEntry>>;
}

/** Builders of `Lookup` values. */
export const found = <T>(value: T, source?: PlacementSource): Lookup<T> => (source === undefined ? { kind: "found", value } : { kind: "found", value, source });
export const notFound: Lookup<never> = { kind: "not_found" };
export const malformed = (error: string): Lookup<never> => ({ kind: "malformed", error });
export const unavailable = (error: string): Lookup<never> => ({ kind: "unavailable", error });
