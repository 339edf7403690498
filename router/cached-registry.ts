import { cellKey, tenantKey, type CellEntry, type TenantEntry } from "../contract";
import { found, type Lookup, type PlacementSource, type Registry } from "./registry";

/** Upper bound of cached "found" entries per isolate: a few thousand tenants fit in well under 1 MiB. */
export const DEFAULT_MAX_ENTRIES = 5_000;
/**
 * Upper bound of cached "not found" and "malformed" answers, kept apart from the found ones so a
 * client probing random tenant ids cannot evict the hot tenants.
 */
export const DEFAULT_MAX_NEGATIVE_ENTRIES = 500;
/** Longest time the router leaves KV alone after a failed read, ms (and never longer than the cache TTL). */
export const MAX_KV_HOLD_OFF_MS = 5_000;

/** Sizes and lifetimes of the registry cache. */
export interface RegistryCacheOptions {
  /** How long a found entry is served from the cache, ms. 0 disables positive caching. */
  readonly ttlMs: number;
  /** How long a not-found or malformed answer is served from the cache, ms; shorter than `ttlMs`. 0 disables it. */
  readonly negativeTtlMs: number;
  /**
   * How old a found entry may be and still be served when KV fails (stale-if-error), ms. Found entries
   * are kept past their TTL for this long (while they fit in `maxEntries`). 0 keeps none.
   * @default 0
   */
  readonly maxStaleMs?: number;
  /** @default DEFAULT_MAX_ENTRIES */
  readonly maxEntries?: number;
  /** @default DEFAULT_MAX_NEGATIVE_ENTRIES */
  readonly maxNegativeEntries?: number;
  /** Epoch milliseconds; injected so tests can move time. */
  readonly now: () => number;
}

interface Stored<V> {
  readonly value: V;
  /** When it was read from its source. */
  readonly storedAt: number;
  /** Served as fresh until then. */
  readonly freshUntil: number;
}

/** A Map with least-recently-used eviction (a Map iterates in insertion order). */
class BoundedMap<V> {
  private readonly entries = new Map<string, Stored<V>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry, fresh or not, marked most recently used. */
  get(key: string): Stored<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry); // most recently used goes last
    return entry;
  }

  set(key: string, entry: Stored<V>): void {
    this.entries.delete(key);
    if (this.maxEntries <= 0) return;
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * The isolate's registry memory, keyed by KV key (`tenant:<id>`, `cell:<id>`). It lives as long as
 * the isolate, across requests, and holds parsed plain data only (no I/O objects, which workerd does
 * not let one request hand to another).
 *
 * - found entries: fresh for `ttlMs`, then kept as the last known good entry for up to `maxStaleMs`
 *   after they were read, at most `maxEntries`, least recently used evicted first;
 * - not found and malformed: `negativeTtlMs`, in a separate, smaller pool, so a newly registered
 *   tenant or a repaired entry is seen soon and junk ids cannot push hot tenants out;
 * - `unavailable` (the store failed): never cached; instead KV is left alone for a short hold-off.
 */
export class RegistryCache {
  private readonly positive: BoundedMap<Lookup<unknown>>;
  private readonly negative: BoundedMap<Lookup<unknown>>;
  private kvFailingUntil = 0;

  constructor(private readonly options: RegistryCacheOptions) {
    this.positive = new BoundedMap(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.negative = new BoundedMap(options.maxNegativeEntries ?? DEFAULT_MAX_NEGATIVE_ENTRIES);
  }

  /** Number of cached answers (found, stale ones included, and not found or malformed). */
  get size(): { readonly positive: number; readonly negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  /** The cached answer for `key`, if one is still fresh. */
  get<T>(key: string): Lookup<T> | undefined {
    const now = this.options.now();
    for (const pool of [this.positive, this.negative]) {
      const entry = pool.get(key);
      if (entry !== undefined && entry.freshUntil > now) return entry.value as Lookup<T>;
    }
    return undefined;
  }

  /** The last found entry for `key`, fresh or not, if it was read no more than `maxStaleMs` ago. */
  lastKnownGood<T>(key: string): Lookup<T> | undefined {
    const entry = this.positive.get(key);
    if (entry === undefined || this.options.now() - entry.storedAt > (this.options.maxStaleMs ?? 0)) return undefined;
    return entry.value as Lookup<T>;
  }

  /** Remembers an answer for as long as its kind allows. */
  put(key: string, lookup: Lookup<unknown>): void {
    const now = this.options.now();
    const { ttlMs, negativeTtlMs, maxStaleMs = 0 } = this.options;
    if (lookup.kind === "found") {
      this.negative.delete(key);
      if (ttlMs > 0 || maxStaleMs > 0) this.positive.set(key, { value: lookup, storedAt: now, freshUntil: now + ttlMs });
      else this.positive.delete(key);
    } else if (lookup.kind === "not_found" || lookup.kind === "malformed") {
      this.positive.delete(key);
      if (negativeTtlMs > 0) this.negative.set(key, { value: lookup, storedAt: now, freshUntil: now + negativeTtlMs });
      else this.negative.delete(key);
    }
  }

  /** Whether a KV read failed recently enough that the router should not wait on KV again yet. */
  get kvFailing(): boolean {
    return this.options.now() < this.kvFailingUntil;
  }

  /** Notes a failed KV read: KV is left alone for one cache TTL, at most `MAX_KV_HOLD_OFF_MS`. */
  kvFailed(): void {
    this.kvFailingUntil = this.options.now() + Math.min(this.options.ttlMs, MAX_KV_HOLD_OFF_MS);
  }
}

/**
 * A registry that answers from the isolate's cache and asks the inner registry (KV) on a miss, so a
 * hot tenant costs one KV read per isolate per TTL instead of one per request. When KV fails (an
 * error or a read timeout) it stays up (static stability): it answers with the last known good entry
 * if it is no older than the cache's `maxStaleMs`, else with the deploy's snapshot (`fallback`), and
 * only when neither knows the entry does the failure reach the caller. After a failure KV is left
 * alone for a short hold-off, so a hanging KV does not cost every request a read timeout.
 *
 * Concurrent misses for one key are not coalesced into one read: sharing a pending KV promise between
 * two requests is exactly the cross-request I/O workerd forbids, and a few duplicate reads per TTL are cheap.
 */
export class CachedRegistry implements Registry {
  constructor(
    private readonly inner: Registry,
    private readonly cache: RegistryCache,
    private readonly fallback?: Registry,
  ) {}

  tenant(tenantId: string): Promise<Lookup<TenantEntry>> {
    return this.through(tenantKey(tenantId), () => this.inner.tenant(tenantId), () => this.fallback?.tenant(tenantId));
  }

  cell(cellId: string): Promise<Lookup<CellEntry>> {
    return this.through(cellKey(cellId), () => this.inner.cell(cellId), () => this.fallback?.cell(cellId));
  }

  private async through<T>(key: string, load: () => Promise<Lookup<T>>, loadFallback: () => Promise<Lookup<T>> | undefined): Promise<Lookup<T>> {
    const cached = this.cache.get<T>(key);
    if (cached !== undefined) return withSource(cached, "cache");
    if (this.cache.kvFailing) return this.stable(key, { error: `KV failed moments ago; '${key}' not read` }, loadFallback);
    const fresh = await load();
    if (fresh.kind === "unavailable") {
      this.cache.kvFailed();
      return this.stable(key, fresh, loadFallback);
    }
    this.cache.put(key, fresh);
    return withSource(fresh, "kv");
  }

  /** KV failed: the last known good entry, else the snapshot's, else the failure. */
  private async stable<T>(key: string, failure: { readonly error: string }, loadFallback: () => Promise<Lookup<T>> | undefined): Promise<Lookup<T>> {
    const stale = this.cache.lastKnownGood<T>(key);
    if (stale !== undefined) return withSource(stale, "stale");
    const snapshot = await loadFallback();
    if (snapshot?.kind === "found") return withSource(snapshot, "snapshot");
    return { kind: "unavailable", error: snapshot?.kind === "malformed" ? `${failure.error}; and ${snapshot.error}` : `${failure.error}; no last known good entry and none in the snapshot` };
  }
}

const withSource = <T>(lookup: Lookup<T>, source: PlacementSource): Lookup<T> => (lookup.kind === "found" ? found(lookup.value, source) : lookup);
