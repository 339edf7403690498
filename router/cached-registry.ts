import { cellKey, tenantKey, type CellEntry, type TenantEntry } from "../contract";
import type { Lookup, Registry } from "./registry";

/** Upper bound of cached "found" entries per isolate: a few thousand tenants fit in well under 1 MiB. */
export const DEFAULT_MAX_ENTRIES = 5_000;
/**
 * Upper bound of cached "not found" and "malformed" answers, kept apart from the found ones so a
 * client probing random tenant ids cannot evict the hot tenants.
 */
export const DEFAULT_MAX_NEGATIVE_ENTRIES = 500;

/** Sizes and lifetimes of the registry cache. */
export interface RegistryCacheOptions {
  /** How long a found entry is served from the cache, ms. 0 disables positive caching. */
  readonly ttlMs: number;
  /** How long a not-found or malformed answer is served from the cache, ms; shorter than `ttlMs`. 0 disables it. */
  readonly negativeTtlMs: number;
  /** @default DEFAULT_MAX_ENTRIES */
  readonly maxEntries?: number;
  /** @default DEFAULT_MAX_NEGATIVE_ENTRIES */
  readonly maxNegativeEntries?: number;
  /** Epoch milliseconds; injected so tests can move time. */
  readonly now: () => number;
}

/** A Map with a per-entry expiry and least-recently-used eviction (a Map iterates in insertion order). */
class BoundedTtlMap<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry); // most recently used goes last
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (this.maxEntries <= 0) return;
    this.entries.set(key, { value, expiresAt });
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
 * The isolate's registry cache, keyed by KV key (`tenant:<id>`, `cell:<id>`). It lives as long as the
 * isolate, across requests, and holds parsed plain data only (no I/O objects, which workerd does not
 * let one request hand to another).
 *
 * - found entries: `ttlMs`, at most `maxEntries`, least recently used evicted first;
 * - not found and malformed: `negativeTtlMs`, in a separate, smaller pool, so a newly registered
 *   tenant or a repaired entry is seen soon and junk ids cannot push hot tenants out;
 * - `unavailable` (the store failed): never cached, the next request asks again.
 */
export class RegistryCache {
  private readonly positive: BoundedTtlMap<Lookup<unknown>>;
  private readonly negative: BoundedTtlMap<Lookup<unknown>>;

  constructor(private readonly options: RegistryCacheOptions) {
    this.positive = new BoundedTtlMap(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.negative = new BoundedTtlMap(options.maxNegativeEntries ?? DEFAULT_MAX_NEGATIVE_ENTRIES);
  }

  /** Number of cached answers (found, and not found or malformed). */
  get size(): { readonly positive: number; readonly negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  /** The cached answer for `key`, if one is still fresh. */
  get<T>(key: string): Lookup<T> | undefined {
    const now = this.options.now();
    return (this.positive.get(key, now) ?? this.negative.get(key, now)) as Lookup<T> | undefined;
  }

  /** Remembers an answer for as long as its kind allows. */
  put(key: string, lookup: Lookup<unknown>): void {
    const now = this.options.now();
    if (lookup.kind === "found") {
      this.negative.delete(key);
      if (this.options.ttlMs > 0) this.positive.set(key, lookup, now + this.options.ttlMs);
      else this.positive.delete(key);
    } else if (lookup.kind === "not_found" || lookup.kind === "malformed") {
      this.positive.delete(key);
      if (this.options.negativeTtlMs > 0) this.negative.set(key, lookup, now + this.options.negativeTtlMs);
      else this.negative.delete(key);
    }
  }
}

/**
 * A registry that answers from the isolate's cache and asks the inner registry (KV) on a miss, so a
 * hot tenant costs one KV read per isolate per TTL instead of one per request.
 *
 * Concurrent misses for one key are not coalesced into one read: sharing a pending KV promise between
 * two requests is exactly the cross-request I/O workerd forbids, and a few duplicate reads per TTL are cheap.
 */
export class CachedRegistry implements Registry {
  constructor(
    private readonly inner: Registry,
    private readonly cache: RegistryCache,
  ) {}

  tenant(tenantId: string): Promise<Lookup<TenantEntry>> {
    return this.through(tenantKey(tenantId), () => this.inner.tenant(tenantId));
  }

  cell(cellId: string): Promise<Lookup<CellEntry>> {
    return this.through(cellKey(cellId), () => this.inner.cell(cellId));
  }

  private async through<T>(key: string, load: () => Promise<Lookup<T>>): Promise<Lookup<T>> {
    const cached = this.cache.get<T>(key);
    if (cached !== undefined) return cached;
    const fresh = await load();
    this.cache.put(key, fresh);
    return fresh;
  }
}
