/**
 * The registry as the control plane sees it: the raw key-value store behind the router's registry
 * (Workers KV). Two adapters: the sandbox's registry endpoint, and Cloudflare's API through the
 * official `cloudflare` SDK. Everything above this port (`control/registry/registry.ts`) parses and
 * writes entries with the wire contract's own parsers and builders.
 */
export interface RegistryStore {
  /** Where the registry lives, for messages (`sandbox registry at http://...`, `Workers KV namespace ...`). */
  readonly description: string;
  /** The value under `key`, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** The registry could not be read or written; the message names the store and what failed. */
export class RegistryUnavailableError extends Error {
  override readonly name = "RegistryUnavailableError";
}
