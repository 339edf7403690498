import { RegistryUnavailableError, type RegistryStore } from "./port";

/** The sandbox's registry endpoint (`sandbox/registry-server.ts`): its Workers KV namespace over loopback HTTP. */
export class SandboxRegistry implements RegistryStore {
  readonly description: string;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.description = `the sandbox registry at ${url}`;
  }

  async get(key: string): Promise<string | undefined> {
    const response = await this.call("GET", `/kv/${encodeURIComponent(key)}`);
    if (response.status === 404) return undefined;
    await this.expectOk(response, `reading '${key}'`);
    return response.text();
  }

  async put(key: string, value: string): Promise<void> {
    await this.expectOk(await this.call("PUT", `/kv/${encodeURIComponent(key)}`, value), `writing '${key}'`);
  }

  async delete(key: string): Promise<void> {
    await this.expectOk(await this.call("DELETE", `/kv/${encodeURIComponent(key)}`), `deleting '${key}'`);
  }

  async list(prefix: string): Promise<string[]> {
    const response = await this.call("GET", `/kv?prefix=${encodeURIComponent(prefix)}`);
    await this.expectOk(response, `listing '${prefix}*'`);
    const { keys } = (await response.json()) as { keys: string[] };
    return [...keys].sort();
  }

  private async call(method: string, path: string, body?: string): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.url}${path}`, { method, body, headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new RegistryUnavailableError(`${this.description} could not be reached (${error instanceof Error ? error.message : String(error)}); is the sandbox running ('npm start')?`);
    }
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    throw new RegistryUnavailableError(`${this.description} failed ${what}: ${response.status} ${await response.text()}`);
  }
}
