import {
  REGISTRY_VERSION,
  buildRegistryEntries,
  cellKey,
  parseCellEntry,
  parseTenantEntry,
  tenantKey,
  type CellEntry,
  type TenantEntry,
  type UrlPolicy,
} from "../../contract";
import type { RegistryStore } from "./port";

/** One registry entry as read: parsed, or why it could not be. */
export type Parsed<T> = { readonly key: string; readonly entry: T } | { readonly key: string; readonly error: string };

/** A backup of the whole registry (`cellctl registry export`), restorable with `registry import`. */
export interface RegistryBackup {
  readonly v: 1;
  readonly exported_at: string;
  readonly source: string;
  readonly entries: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

const CELL_PREFIX = cellKey("");
const TENANT_PREFIX = tenantKey("");

/**
 * The registry's entries, read and written with the wire contract's parsers and builders, so the
 * control plane can never write an entry the router would refuse.
 */
export class Registry {
  constructor(
    readonly store: RegistryStore,
    private readonly urlPolicy: UrlPolicy,
  ) {}

  async cells(): Promise<Array<Parsed<CellEntry>>> {
    return this.readAll(CELL_PREFIX, (key, text) => parseCellEntry(text, this.urlPolicy, key.slice(CELL_PREFIX.length)));
  }

  async tenants(): Promise<Array<Parsed<TenantEntry>>> {
    return this.readAll(TENANT_PREFIX, (key, text) => parseTenantEntry(text, key.slice(TENANT_PREFIX.length)));
  }

  async cell(cellId: string): Promise<CellEntry | undefined> {
    const text = await this.store.get(cellKey(cellId));
    if (text === undefined) return undefined;
    const parsed = parseCellEntry(text, this.urlPolicy, cellId);
    if (!parsed.ok) throw new Error(`registry entry '${cellKey(cellId)}' is invalid: ${parsed.error}`);
    return parsed.value;
  }

  async tenant(tenantId: string): Promise<TenantEntry | undefined> {
    const text = await this.store.get(tenantKey(tenantId));
    if (text === undefined) return undefined;
    const parsed = parseTenantEntry(text, tenantId);
    if (!parsed.ok) throw new Error(`registry entry '${tenantKey(tenantId)}' is invalid: ${parsed.error}`);
    return parsed.value;
  }

  /** Writes a tenant's placement, built by the contract's builder (which checks the ids). */
  async putTenant(entry: Omit<TenantEntry, "v">, cell: Pick<CellEntry, "cellId" | "cloud" | "region" | "url">): Promise<void> {
    const [, record] = buildRegistryEntries([cell], [entry]);
    await this.store.put(record!.key, record!.value);
  }

  /** Rewrites a cell's entry with a new status (drain, activate, down). */
  async putCellStatus(cell: CellEntry, status: CellEntry["status"]): Promise<CellEntry> {
    const next: CellEntry = { ...cell, v: REGISTRY_VERSION, status };
    const [record] = buildRegistryEntries([next], []);
    await this.store.put(record!.key, record!.value);
    return next;
  }

  async export(): Promise<RegistryBackup> {
    const keys = [...(await this.store.list(CELL_PREFIX)), ...(await this.store.list(TENANT_PREFIX))];
    const entries: Array<{ key: string; value: string }> = [];
    for (const key of keys) {
      const value = await this.store.get(key);
      if (value !== undefined) entries.push({ key, value });
    }
    return { v: 1, exported_at: new Date().toISOString(), source: this.store.description, entries };
  }

  /**
   * Checks a backup with the contract's parsers (every entry, all problems at once) and, unless
   * `dryRun`, writes it: cells first, so a restored tenant never points at a missing cell.
   */
  async import(backup: unknown, dryRun: boolean): Promise<{ written: number; problems: string[] }> {
    const problems: string[] = [];
    if (typeof backup !== "object" || backup === null || (backup as { v?: unknown }).v !== 1 || !Array.isArray((backup as { entries?: unknown }).entries)) {
      return { written: 0, problems: ["not a registry backup: expected {\"v\": 1, \"entries\": [{\"key\", \"value\"}, ...]} as `cellctl registry export` writes it"] };
    }
    const entries = (backup as RegistryBackup).entries;
    const cells = new Set<string>();
    const ordered = [...entries].sort((a, b) => Number(b.key.startsWith(CELL_PREFIX)) - Number(a.key.startsWith(CELL_PREFIX)));
    for (const [i, e] of ordered.entries()) {
      if (typeof e?.key !== "string" || typeof e.value !== "string") {
        problems.push(`entries[${i}]: key and value must be strings`);
      } else if (e.key.startsWith(CELL_PREFIX)) {
        const parsed = parseCellEntry(e.value, this.urlPolicy, e.key.slice(CELL_PREFIX.length));
        if (parsed.ok) cells.add(parsed.value.cellId);
        else problems.push(`${e.key}: ${parsed.error}`);
      } else if (e.key.startsWith(TENANT_PREFIX)) {
        const parsed = parseTenantEntry(e.value, e.key.slice(TENANT_PREFIX.length));
        if (!parsed.ok) problems.push(`${e.key}: ${parsed.error}`);
        else if (!cells.has(parsed.value.cellId) && (await this.store.get(cellKey(parsed.value.cellId))) === undefined) {
          problems.push(`${e.key}: placed on cell '${parsed.value.cellId}', which neither the backup nor the registry has`);
        }
      } else {
        problems.push(`${e.key}: not a registry key (cell:<id> or tenant:<id>)`);
      }
    }
    if (problems.length > 0 || dryRun) return { written: 0, problems };
    for (const e of ordered) await this.store.put(e.key, e.value);
    return { written: ordered.length, problems };
  }

  private async readAll<T>(prefix: string, parse: (key: string, text: string) => { ok: true; value: T } | { ok: false; error: string }): Promise<Array<Parsed<T>>> {
    const out: Array<Parsed<T>> = [];
    for (const key of await this.store.list(prefix)) {
      const text = await this.store.get(key);
      if (text === undefined) continue;
      const parsed = parse(key, text);
      out.push(parsed.ok ? { key, entry: parsed.value } : { key, error: parsed.error });
    }
    return out;
  }
}
