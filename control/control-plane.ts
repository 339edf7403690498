import type { CellEntry, UrlPolicy } from "../contract";
import { AdminCallError, AdminClient, type AdminClientOptions } from "./admin-client";
import type { Connection } from "./connection";
import { CloudflareRegistry } from "./registry/cloudflare-registry";
import type { RegistryStore } from "./registry/port";
import { Registry } from "./registry/registry";
import { SandboxRegistry } from "./registry/sandbox-registry";

/** A command that cannot go on; `exitCode` 1 for a failure the user can act on, 2 for a usage error. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/**
 * What every `cellctl` command works with: the registry (through its port) and an admin client per
 * cell, built from one connection (the sandbox's file, or `CELLCTL_CONNECTION` for deployed cells).
 */
export class ControlPlane {
  readonly registry: Registry;
  private readonly clients = new Map<string, AdminClient>();

  constructor(
    readonly connection: Connection,
    options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly store?: RegistryStore; readonly admin?: AdminClientOptions } = {},
  ) {
    const policy: UrlPolicy = { allowLoopbackHttp: connection.kind === "sandbox" };
    this.registry = new Registry(options.store ?? registryStoreOf(connection, options.env ?? {}), policy);
    this.adminOptions = options.admin ?? {};
  }

  private readonly adminOptions: AdminClientOptions;

  /** The admin client of `cellId`, at the URL the connection names or the cell's registry entry. */
  async admin(cellId: string, entry?: CellEntry): Promise<AdminClient> {
    const known = this.clients.get(cellId);
    if (known) return known;
    const cell = this.connection.cells[cellId];
    if (!cell) throw new CliError(`no admin key for cell '${cellId}' in the connection; cells with keys: ${Object.keys(this.connection.cells).join(", ") || "none"}`);
    const url = cell.url ?? (entry ?? (await this.registry.cell(cellId)))?.url;
    if (!url) throw new CliError(`cell '${cellId}' has no registry entry and the connection names no URL for it`);
    const client = new AdminClient({ cellId, url, key: cell.adminKey }, this.adminOptions);
    this.clients.set(cellId, client);
    return client;
  }

  /** The registry's cells that parse, by id; invalid entries are reported, not thrown. */
  async cellEntries(): Promise<{ cells: Map<string, CellEntry>; invalid: Array<{ key: string; error: string }> }> {
    const cells = new Map<string, CellEntry>();
    const invalid: Array<{ key: string; error: string }> = [];
    for (const parsed of await this.registry.cells()) {
      if ("entry" in parsed) cells.set(parsed.entry.cellId, parsed.entry);
      else invalid.push(parsed);
    }
    return { cells, invalid };
  }
}

/** The registry adapter a connection names. */
export function registryStoreOf(connection: Connection, env: Readonly<Record<string, string | undefined>>): RegistryStore {
  const registry = connection.registry;
  if (registry.kind === "sandbox") return new SandboxRegistry(registry.url, registry.token);
  const apiToken = env.CLOUDFLARE_API_TOKEN;
  if (!apiToken) throw new CliError("CLOUDFLARE_API_TOKEN is not set; the registry is Workers KV and needs an API token with 'Workers KV Storage: Edit'");
  return new CloudflareRegistry({ accountId: registry.accountId, namespaceId: registry.namespaceId, apiToken, baseUrl: registry.baseUrl });
}

/** A cell error said in one line, for tables and messages. */
export const reasonOf = (error: unknown): string => (error instanceof AdminCallError || error instanceof Error ? error.message : String(error));
