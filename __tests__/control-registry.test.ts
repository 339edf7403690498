import { buildRegistryEntries, cellKey, tenantKey } from "../contract";
import { CloudflareRegistry } from "../control/registry/cloudflare-registry";
import { RegistryUnavailableError } from "../control/registry/port";
import { Registry } from "../control/registry/registry";
import { startCloudflareApi, type CloudflareApi } from "./support/cloudflare-api";

/** The Cloudflare registry adapter with the real `cloudflare` SDK against a loopback server of Cloudflare's documented KV endpoints. */
describe("Cloudflare registry adapter (official SDK, loopback Cloudflare API)", () => {
  let api: CloudflareApi;
  let store: CloudflareRegistry;
  beforeAll(async () => {
    api = await startCloudflareApi();
    store = new CloudflareRegistry({ accountId: api.accountId, namespaceId: api.namespaceId, apiToken: api.token, baseUrl: api.baseUrl });
  });
  afterAll(async () => api?.close());
  beforeEach(() => {
    api.kv.clear();
    api.calls.length = 0;
  });

  const kvPath = `/accounts/023e105f4ecef8ad9ca31a8372d0c353/storage/kv/namespaces/0f2ac74b498b48028cb68387c421e279`;

  test("the SDK's request shapes are the ones this adapter relies on (a changed SDK fails here)", async () => {
    await store.put("tenant:T-100", '{"v":1}');
    expect(await store.get("tenant:T-100")).toBe('{"v":1}');
    expect(await store.get("tenant:missing")).toBeUndefined();
    await store.delete("tenant:T-100");
    expect(await store.list("tenant:")).toEqual([]);
    expect(api.calls.map(({ method, path, contentType, authorization, parts }) => ({ method, path, multipart: contentType?.startsWith("multipart/form-data") ?? false, authorization, parts }))).toEqual([
      { method: "PUT", path: `${kvPath}/values/tenant:T-100`, multipart: true, authorization: `Bearer ${api.token}`, parts: { value: '{"v":1}' } },
      { method: "GET", path: `${kvPath}/values/tenant:T-100`, multipart: false, authorization: `Bearer ${api.token}`, parts: undefined },
      { method: "GET", path: `${kvPath}/values/tenant:missing`, multipart: false, authorization: `Bearer ${api.token}`, parts: undefined },
      { method: "DELETE", path: `${kvPath}/values/tenant:T-100`, multipart: false, authorization: `Bearer ${api.token}`, parts: undefined },
      { method: "GET", path: `${kvPath}/keys`, multipart: false, authorization: `Bearer ${api.token}`, parts: undefined },
    ]);
    expect(api.calls[4]!.query).toEqual(expect.objectContaining({ prefix: "tenant:" }));
  });

  test("list follows the API's cursor through every page and sorts the keys", async () => {
    for (const id of ["T-5", "T-1", "T-3", "T-2", "T-4"]) api.kv.set(`tenant:${id}`, "{}");
    api.kv.set("cell:alpha", "{}");
    expect(await store.list("tenant:")).toEqual(["tenant:T-1", "tenant:T-2", "tenant:T-3", "tenant:T-4", "tenant:T-5"]);
    expect(api.calls.filter((c) => c.path.endsWith("/keys")).map((c) => c.query.cursor)).toEqual([undefined, "2", "4"]);
  });

  test("a refused token is a registry error that names the namespace, not a stack trace", async () => {
    const wrong = new CloudflareRegistry({ accountId: api.accountId, namespaceId: api.namespaceId, apiToken: "not-it", baseUrl: api.baseUrl });
    await expect(wrong.get("cell:alpha")).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(wrong.get("cell:alpha")).rejects.toThrow(/Workers KV namespace 0f2ac74b.*reading 'cell:alpha' failed/);
  });

  test("the typed registry over it reads entries with the contract's parsers and restores a backup", async () => {
    const registry = new Registry(store, { allowLoopbackHttp: false });
    for (const { key, value } of buildRegistryEntries([{ cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://a.example" }], [{ tenantId: "T-100", cellId: "alpha" }])) api.kv.set(key, value);
    api.kv.set(tenantKey("T-BAD"), "{not json");
    expect((await registry.tenants()).map((t) => ("entry" in t ? t.entry.cellId : t.error))).toEqual(["alpha", "tenant entry is not valid JSON"]);
    const backup = await registry.export();
    api.kv.clear();
    expect((await registry.import(backup, false)).problems).toEqual(["tenant:T-BAD: tenant entry is not valid JSON"]);
    expect(api.kv.size).toBe(0);
    const clean = { ...backup, entries: backup.entries.filter((e) => e.key !== tenantKey("T-BAD")) };
    expect(await registry.import(clean, true)).toEqual({ written: 0, problems: [] });
    expect(api.kv.size).toBe(0);
    expect(await registry.import(clean, false)).toEqual({ written: 2, problems: [] });
    expect([...api.kv.keys()].sort()).toEqual([cellKey("alpha"), tenantKey("T-100")]);
  });

  test("a backup naming a tenant on a cell nobody has is refused as a whole", async () => {
    const registry = new Registry(store, { allowLoopbackHttp: false });
    const entries = buildRegistryEntries([{ cellId: "gamma", cloud: "aws", region: "eu-west-1", url: "https://g.example" }], [{ tenantId: "T-1", cellId: "gamma" }]).filter((e) => e.key.startsWith("tenant:"));
    expect((await registry.import({ v: 1, entries }, false)).problems).toEqual(["tenant:T-1: placed on cell 'gamma', which neither the backup nor the registry has"]);
    expect((await registry.import({ entries: [] }, false)).problems).toEqual([expect.stringMatching(/not a registry backup/)]);
  });
});
