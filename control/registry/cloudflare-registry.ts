import Cloudflare from "cloudflare";
import { RegistryUnavailableError, type RegistryStore } from "./port";

export interface CloudflareRegistryOptions {
  readonly accountId: string;
  readonly namespaceId: string;
  /** An API token with `Workers KV Storage: Edit` on the account (from `CLOUDFLARE_API_TOKEN`). */
  readonly apiToken: string;
  /** API base URL; tests point it at a loopback server. @default Cloudflare's */
  readonly baseUrl?: string;
}

const isNotFound = (error: unknown): boolean => typeof error === "object" && error !== null && (error as { status?: unknown }).status === 404;

/**
 * The deployed registry: the edge stack's Workers KV namespace through Cloudflare's API with the
 * official SDK. Writes reach every edge location within about 60 s (Workers KV is eventually
 * consistent); the cells' ownership records, not KV, are the authority, so a stale edge is corrected
 * by the cells' `tenant_moved` answers meanwhile.
 */
export class CloudflareRegistry implements RegistryStore {
  readonly description: string;
  private readonly client: Cloudflare;

  constructor(private readonly options: CloudflareRegistryOptions) {
    this.description = `Workers KV namespace ${options.namespaceId} (account ${options.accountId})`;
    this.client = new Cloudflare({ apiToken: options.apiToken, ...(options.baseUrl ? { baseURL: options.baseUrl } : {}), maxRetries: 2, timeout: 15_000 });
  }

  private get ids() {
    return { account_id: this.options.accountId, namespace_id: this.options.namespaceId };
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const response = await this.client.kv.namespaces.values.get(key, this.ids);
      return await response.text();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failed(`reading '${key}'`, error);
    }
  }

  async put(key: string, value: string): Promise<void> {
    try {
      await this.client.kv.namespaces.values.update(key, { ...this.ids, value });
    } catch (error) {
      throw this.failed(`writing '${key}'`, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.kv.namespaces.values.delete(key, this.ids);
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.failed(`deleting '${key}'`, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const key of this.client.kv.namespaces.keys.list(this.options.namespaceId, { account_id: this.options.accountId, prefix })) keys.push(key.name);
    } catch (error) {
      throw this.failed(`listing '${prefix}*'`, error);
    }
    return keys.sort();
  }

  private failed(what: string, error: unknown): RegistryUnavailableError {
    return new RegistryUnavailableError(`${this.description}: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
