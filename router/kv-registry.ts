import type { KVNamespace } from "@cloudflare/workers-types/index";
import { cellKey, parseCellEntry, parseTenantEntry, tenantKey, type CellEntry, type Result, type TenantEntry, type UrlPolicy } from "../contract";
import { found, malformed, notFound, unavailable, type Lookup, type Registry } from "./registry";

/**
 * The registry on Workers KV: the only file that touches `KVNamespace`. Every value goes through the
 * contract's strict parsers, so an entry that is not exactly what the edge stack writes is `malformed`
 * (and a cell URL the policy forbids, e.g. `http://` in cloud mode, is malformed too). A read that
 * fails or takes longer than `readTimeoutMs` is `unavailable`.
 */
export class KvRegistry implements Registry {
  constructor(
    private readonly kv: KVNamespace,
    private readonly urlPolicy: UrlPolicy,
    private readonly readTimeoutMs?: number,
  ) {}

  tenant(tenantId: string): Promise<Lookup<TenantEntry>> {
    return this.read(tenantKey(tenantId), (text) => parseTenantEntry(text, tenantId));
  }

  cell(cellId: string): Promise<Lookup<CellEntry>> {
    return this.read(cellKey(cellId), (text) => parseCellEntry(text, this.urlPolicy, cellId));
  }

  private async read<T>(key: string, parse: (text: string) => Result<T>): Promise<Lookup<T>> {
    let text: string | null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const read = this.kv.get(key, "text");
      text =
        this.readTimeoutMs === undefined
          ? await read
          : await Promise.race([
              read,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no answer within ${this.readTimeoutMs} ms`)), this.readTimeoutMs);
              }),
            ]);
    } catch (error) {
      return unavailable(`reading '${key}' failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
    if (text === null) return notFound;
    const parsed = parse(text);
    return parsed.ok ? found(parsed.value) : malformed(`'${key}': ${parsed.error}`);
  }
}
