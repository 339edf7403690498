import { cellKey, parseCellEntry, parseJsonOrUndefined, parseTenantEntry, tenantKey, type CellEntry, type RegistryRecord, type TenantEntry, type UrlPolicy } from "../contract";
import { SNAPSHOT_BINDING_PREFIX, type SnapshotBindings } from "./bindings";
import { found, malformed, notFound, type Lookup, type Registry } from "./registry";

/**
 * The registry snapshot the Worker carries: the registry as the deploy wrote it, for when Workers KV
 * fails and the isolate has no last known good entry (static stability).
 *
 * Design. Cell URLs are Terraform tokens at synth time (cross-stack references), so no file built at
 * synth can hold them. The snapshot is therefore a set of `plain_text` bindings whose text is a
 * Terraform expression, `jsonencode({"cell:alpha" = {...}, "tenant:T-100" = {...}})`, over the very
 * entries `buildRegistryEntries` writes to KV, resolved at apply time and uploaded with the script in
 * one request, so a script version always carries the snapshot of its own deploy. (The entries go in
 * as objects, not as the JSON strings KV holds: CDKTF does not escape quotes inside strings of an HCL
 * expression, while Terraform's `jsonencode` escapes whatever a reference resolves to.)
 *
 * One Workers variable holds at most 5 KB, so the entries are split over `REGISTRY_SNAPSHOT_1`,
 * `_2`, ... at synth, each part sized with every unresolved URL counted as `URL_SIZE_ESTIMATE` bytes.
 * A snapshot only knows the tenants of the topology: tenants placed later by operations are not in it,
 * and a tenant moved since is corrected by its old cell's `tenant_moved` answer.
 */

/** Largest text of one snapshot part, bytes: Cloudflare's 5 KB limit per variable, less a margin. */
export const SNAPSHOT_PART_MAX_BYTES = 4_800;
/** What an unresolved cell URL is counted as when sizing the parts (real ones are well under 100 bytes). */
export const URL_SIZE_ESTIMATE = 256;

/** The snapshot's form: KV key -> the entry as an object. */
export type RegistrySnapshot = Record<string, unknown>;

/** `buildRegistryEntries` records as snapshot entries (values parsed back into objects). */
export function snapshotOf(records: readonly RegistryRecord[]): RegistrySnapshot {
  return Object.fromEntries(records.map((r) => [r.key, JSON.parse(r.value) as unknown]));
}

/** The binding name of part `index` (0-based): `REGISTRY_SNAPSHOT_1`, ... */
export const snapshotBindingName = (index: number): `${typeof SNAPSHOT_BINDING_PREFIX}${string}` => `${SNAPSHOT_BINDING_PREFIX}${index + 1}`;

/**
 * Splits a snapshot into parts whose JSON text stays within `maxBytes`, in key order, measuring each
 * entry with `sized` (a copy whose unresolved values are replaced by their estimated size).
 * @throws when one entry alone is larger than `maxBytes`.
 */
export function snapshotParts(snapshot: RegistrySnapshot, sized: RegistrySnapshot = snapshot, maxBytes = SNAPSHOT_PART_MAX_BYTES): RegistrySnapshot[] {
  const parts: RegistrySnapshot[] = [];
  let part: RegistrySnapshot = {};
  let bytes = 2; // {}
  for (const key of Object.keys(snapshot)) {
    const size = JSON.stringify(key).length + 1 + JSON.stringify(sized[key]).length + 1;
    if (size + 2 > maxBytes) throw new Error(`registry snapshot entry '${key}' alone is ${size} bytes, over the ${maxBytes} bytes of one part`);
    if (bytes + size > maxBytes) {
      parts.push(part);
      part = {};
      bytes = 2;
    }
    part[key] = snapshot[key];
    bytes += size;
  }
  if (Object.keys(part).length > 0) parts.push(part);
  return parts;
}

/** The snapshot bindings for `records`, as plain JSON text (the local sandbox and the tests; the edge stack writes Terraform expressions). */
export function snapshotBindings(records: readonly RegistryRecord[]): Record<string, string> {
  return Object.fromEntries(snapshotParts(snapshotOf(records)).map((part, i) => [snapshotBindingName(i), JSON.stringify(part)]));
}

/** The snapshot the Worker was deployed with: KV key -> entry text, and what could not be read. */
export interface LoadedSnapshot {
  readonly entries: ReadonlyMap<string, string>;
  /** Parts that were not JSON objects; their entries are missing. */
  readonly errors: readonly string[];
}

/** Reads every `REGISTRY_SNAPSHOT_*` binding (parts in any order; a key in two parts keeps the later part's entry). */
export function loadSnapshot(env: SnapshotBindings): LoadedSnapshot {
  const entries = new Map<string, string>();
  const errors: string[] = [];
  const names = Object.keys(env)
    .filter((name) => name.startsWith(SNAPSHOT_BINDING_PREFIX))
    .sort((a, b) => Number(a.slice(SNAPSHOT_BINDING_PREFIX.length)) - Number(b.slice(SNAPSHOT_BINDING_PREFIX.length)));
  for (const name of names) {
    const text = (env as Record<string, unknown>)[name];
    const part = typeof text === "string" ? parseJsonOrUndefined(text) : undefined;
    if (typeof part !== "object" || part === null || Array.isArray(part)) {
      errors.push(`${name} is not a JSON object`);
      continue;
    }
    for (const [key, entry] of Object.entries(part)) entries.set(key, JSON.stringify(entry));
  }
  return { entries, errors };
}

/** The snapshot as a registry port, with the contract's strict parsers: an entry that breaks the contract is `malformed`. */
export class SnapshotRegistry implements Registry {
  constructor(
    private readonly snapshot: LoadedSnapshot,
    private readonly urlPolicy: UrlPolicy,
  ) {}

  /** Number of entries the Worker carries. */
  get size(): number {
    return this.snapshot.entries.size;
  }

  async tenant(tenantId: string): Promise<Lookup<TenantEntry>> {
    return this.read(tenantKey(tenantId), (text) => parseTenantEntry(text, tenantId));
  }

  async cell(cellId: string): Promise<Lookup<CellEntry>> {
    return this.read(cellKey(cellId), (text) => parseCellEntry(text, this.urlPolicy, cellId));
  }

  private read<T>(key: string, parse: (text: string) => { ok: true; value: T } | { ok: false; error: string }): Lookup<T> {
    const text = this.snapshot.entries.get(key);
    if (text === undefined) return notFound;
    const parsed = parse(text);
    return parsed.ok ? found(parsed.value) : malformed(`snapshot '${key}': ${parsed.error}`);
  }
}
