import { randomBytes } from "node:crypto";
import { createAzureCell, type AzureCellRuntime } from "../cells/azure/composition";
import { functionsHttpHandler, splitUrl } from "../cells/azure/functions-http";
import { PROBLEM_CONTENT_TYPE, problemCode, type SigningKey } from "../contract";
import { describeCellHttpContract } from "./contracts/cell-http.contract";
import { startCosmosEmulator, type CosmosEmulator } from "../sandbox/emulators/cosmos";
import { functionsHttpRequest, functionsReply, invocationContext } from "../sandbox/hosts/azure-cell-host";
import { CosmosTenantStore } from "../cells/azure/cosmos-tenant-store";
import { aTenantId, anOwnership } from "./support/mothers";
import { signed, type RequestSpec } from "./support/signing";

const HOST = "https://beta-cell.azurewebsites.net";

const toHttpRequest = (spec: RequestSpec) => functionsHttpRequest(spec, HOST);
const toReply = functionsReply;
const anInvocationContext = (logs: unknown[][] = []) => invocationContext((level, ...args) => void logs.push([level, ...args]));

/** The Azure cell "beta" as its composition root builds it, on the emulator, with a per-run secret. */
async function openAzureCell(): Promise<{ emulator: CosmosEmulator; cell: AzureCellRuntime; key: SigningKey; adminKey: SigningKey }> {
  const emulator = await startCosmosEmulator();
  const key: SigningKey = { keyId: "beta-v1", secret: randomBytes(32).toString("hex") };
  const adminKey: SigningKey = { keyId: "beta-admin-v1", secret: randomBytes(32).toString("hex") };
  const cell = createAzureCell(
    {
      CELL_ID: "beta",
      COSMOS_ENDPOINT: emulator.endpoint,
      COSMOS_DATABASE: emulator.databaseId,
      COSMOS_CONTAINER: emulator.containerId,
      COSMOS_KEY: emulator.key,
      SIGNING_KEY_ID: key.keyId,
      SIGNING_SECRET: key.secret,
      ADMIN_KEY_ID: adminKey.keyId,
      ADMIN_SECRET: adminKey.secret,
    },
    { cosmosClientOptions: emulator.clientOptions, logger: { log: () => {} } },
  );
  return { emulator, cell, key, adminKey };
}

describeCellHttpContract("Azure Functions v4 handler (HttpRequest)", async () => {
  const { emulator, cell, key, adminKey } = await openAzureCell();
  return {
    cellId: "beta",
    cloud: "azure",
    key,
    adminKey,
    send: async (spec) => toReply(await cell.handler(toHttpRequest(spec), anInvocationContext())),
    close: async () => {
      cell.close();
      await emulator.close();
    },
  };
});

describe("Functions v4 adapter", () => {
  let opened: Awaited<ReturnType<typeof openAzureCell>>;
  beforeAll(async () => {
    opened = await openAzureCell();
  });
  afterAll(async () => {
    opened?.cell.close();
    await opened?.emulator.close();
  });

  const send = async (spec: RequestSpec, tenantId: string) =>
    toReply(await opened.cell.handler(toHttpRequest(await signed(spec, { tenantId, cellId: "beta", key: opened.key })), anInvocationContext()));
  const activeTenant = async () => {
    const t = aTenantId("T");
    await new CosmosTenantStore(opened.emulator.container).setOwnership(anOwnership(t), undefined);
    return t;
  };

  test("a query the URL parser re-encodes still verifies, because the signature is over the canonical form", async () => {
    const t = await activeTenant();
    // `'` is percent-encoded by the WHATWG URL serializer in special-scheme queries, `+` is kept.
    const reply = await send({ method: "GET", path: `/api/tenants/${t}/records`, query: "limit=5&note=it's+ok" }, t);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ records: [], next_cursor: null });
  });

  test("the body bytes reach the core unchanged, multi-byte UTF-8 included", async () => {
    const t = await activeTenant();
    const body = JSON.stringify({ data: { text: "héllo ✓ 🚀", n: 0.1 } });
    const created = await send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: new TextEncoder().encode(body) }, t);
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body).data).toEqual({ text: "héllo ✓ 🚀", n: 0.1 });
  });

  test("header names arrive lower-cased whatever case the client used", async () => {
    const t = await activeTenant();
    const spec = await signed({ method: "GET", path: `/api/tenants/${t}/records` }, { tenantId: t, cellId: "beta", key: opened.key });
    const shouted = Object.fromEntries(Object.entries({ ...spec.headers, "X-Request-Id": "Req-Upper-1" }).map(([k, v]) => [k.toUpperCase(), v]));
    const reply = await toReply(await opened.cell.handler(toHttpRequest({ ...spec, headers: shouted }), anInvocationContext()));
    expect(reply.status).toBe(200);
    expect(reply.headers["x-request-id"]).toBe("Req-Upper-1");
  });

  test("a cell that throws becomes a 500 problem naming the invocation, with the stack in the log only", async () => {
    const logs: unknown[][] = [];
    const context = anInvocationContext(logs);
    const failing = functionsHttpHandler(async () => {
      throw new Error("cosmos exploded at /srv/app/cells/azure/cosmos-tenant-store.ts:42");
    });
    const reply = await toReply(await failing(toHttpRequest({ method: "GET", path: "/healthz" }), context));
    expect(reply.status).toBe(500);
    expect(reply.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
    expect(problemCode(JSON.parse(reply.body))).toBe("internal");
    expect(JSON.parse(reply.body).requestId).toBe(context.invocationId);
    expect(reply.body).not.toMatch(/exploded|\.ts:\d+|\n\s+at /);
    expect(JSON.stringify(logs)).toContain("cosmos exploded");
  });
});

describe("splitUrl", () => {
  test.each([
    ["https://h.example/api/x?a=1&b=%20", { path: "/api/x", query: "a=1&b=%20" }],
    ["https://h.example/healthz", { path: "/healthz", query: "" }],
    ["https://h.example", { path: "/", query: "" }],
    ["https://h.example/?", { path: "/", query: "" }],
    ["https://h.example/a?x=1?y=2#frag", { path: "/a", query: "x=1?y=2" }],
    ["https://h.example:8443/a%2Fb?q=a+b", { path: "/a%2Fb", query: "q=a+b" }],
  ])("%s", (url, expected) => {
    expect(splitUrl(url)).toEqual(expected);
  });
});
