import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Headers, PROBLEM_CONTENT_TYPE, problem, problemCode, type SigningKey } from "../contract";
import { coreCell } from "./support/core-cell";
import { closeServer, startHttpCell, type HttpCell } from "./support/http-cell";
import { startRouter, type RouterHarness, type RouterReply } from "./support/router-harness";

/**
 * The router follows a moved tenant (the control plane's redirect): a cell that no longer owns a
 * tenant answers 409 `tenant_moved` naming the new cell and epoch; the bundled Worker in workerd
 * re-signs the request for that cell and sends it there once, and remembers the newer placement.
 *
 * Real core cells on loopback (alpha on "aws", beta on "azure") are the new owners; the old owners
 * are HTTP cells that answer the `tenant_moved` problem the way the cell core does.
 *
 * - `stale`: 60 s registry cache, so its view of KV stays old for the whole file;
 * - `short`: 100 ms registry cache, so it sees KV changes at once.
 */

const KEYS: Record<string, SigningKey> = Object.fromEntries(
  ["alpha", "beta", "old", "hop1", "hop2", "lost", "todrain", "drain", "selfish"].map((id) => [id, { keyId: `${id}-v1`, secret: `${id}-secret-0123456789abcdef` }]),
);

let router: RouterHarness;
let alpha: HttpCell;
let beta: HttpCell;
const servers: Server[] = [];
/** Requests each old cell received, by cell id. */
const received: Record<string, Array<{ method: string; url: string; body: string }>> = {};

/** An old owner: answers `tenant_moved` (or, while `serving` says so, 200 as the owner) and records what it got. */
async function oldCell(cellId: string, movedTo: () => { cell: string; epoch: number }, serving: () => boolean = () => false): Promise<string> {
  received[cellId] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received[cellId]!.push({ method: req.method ?? "", url: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
      const requestId = String(req.headers[Headers.requestId] ?? "");
      if (serving()) {
        res.writeHead(200, { "content-type": "application/json", [Headers.cellId]: cellId });
        res.end(JSON.stringify({ records: [], next_cursor: null, served_by: cellId }));
        return;
      }
      const body = problem("tenant_moved", `the tenant has moved to cell '${movedTo().cell}'`, requestId, movedTo());
      res.writeHead(409, { "content-type": PROBLEM_CONTENT_TYPE, [Headers.cellId]: cellId, [Headers.processedByCloud]: "aws" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let oldServesT200 = true;

beforeAll(async () => {
  alpha = await startHttpCell(coreCell({ cellId: "alpha", cloud: "aws", key: KEYS.alpha, activeTenants: "all" }).handler);
  beta = await startHttpCell(coreCell({ cellId: "beta", cloud: "azure", key: KEYS.beta, activeTenants: "all" }).handler);
  const old = await oldCell("old", () => ({ cell: "alpha", epoch: 2 }), () => oldServesT200);
  const hop1 = await oldCell("hop1", () => ({ cell: "hop2", epoch: 2 }));
  const hop2 = await oldCell("hop2", () => ({ cell: "alpha", epoch: 3 }));
  const lost = await oldCell("lost", () => ({ cell: "omega", epoch: 2 }));
  const toDrain = await oldCell("todrain", () => ({ cell: "drain", epoch: 2 }));
  const selfish = await oldCell("selfish", () => ({ cell: "selfish", epoch: 2 }));

  const local = { ROUTER_MODE: "local", AUTH_MODE: "none", CELL_TIMEOUT_MS: "2000" } as const;
  router = await startRouter([
    { name: "stale", settings: { ...local, REGISTRY_CACHE_TTL_MS: "60000", REGISTRY_NEGATIVE_TTL_MS: "60000" }, keys: KEYS },
    { name: "short", settings: { ...local, REGISTRY_CACHE_TTL_MS: "100", REGISTRY_NEGATIVE_TTL_MS: "100" }, keys: KEYS },
  ]);
  await router.seed(
    [
      { cellId: "alpha", cloud: "aws", region: "us-east-1", url: alpha.url },
      { cellId: "beta", cloud: "azure", region: "eastus", url: beta.url },
      { cellId: "old", cloud: "aws", region: "us-east-1", url: old },
      { cellId: "hop1", cloud: "aws", region: "us-east-1", url: hop1 },
      { cellId: "hop2", cloud: "aws", region: "us-east-1", url: hop2 },
      { cellId: "lost", cloud: "aws", region: "us-east-1", url: lost },
      { cellId: "todrain", cloud: "aws", region: "us-east-1", url: toDrain },
      { cellId: "drain", cloud: "aws", region: "us-east-1", url: alpha.url, status: "draining" },
      { cellId: "selfish", cloud: "aws", region: "us-east-1", url: selfish },
    ],
    [
      { tenantId: "T-100", cellId: "old" },
      { tenantId: "T-200", cellId: "old" },
      { tenantId: "T-300", cellId: "old" },
      { tenantId: "T-HOPS", cellId: "hop1" },
      { tenantId: "T-LOST", cellId: "lost" },
      { tenantId: "T-DRAIN", cellId: "todrain" },
      { tenantId: "T-SELF", cellId: "selfish" },
    ],
  );
});

afterAll(async () => {
  await router?.dispose();
  await Promise.all([alpha?.close(), beta?.close(), ...servers.map(closeServer)]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function logOf(reply: RouterReply): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 50; i++) {
    const line = router.logs.find((l) => l.requestId === reply.headers[Headers.requestId]);
    if (line) return line;
    await sleep(20);
  }
  return undefined;
}

const count = (cellId: string) => received[cellId]!.length;
const alphaCount = (tenantId: string) => alpha.received.filter((r) => r.path.includes(`/${tenantId}/`)).length;

describe("following a moved tenant", () => {
  test("a stale router (old KV value, long cache) still reaches the new owner: one hop, re-signed for it", async () => {
    oldServesT200 = true;
    const warm = await router.send("stale", "/api/tenants/T-200/records");
    expect({ status: warm.status, cell: warm.headers[Headers.cellId] }).toEqual({ status: 200, cell: "old" }); // the stale view is cached now

    // The control plane moves T-200 to alpha at epoch 2: the old cell now answers tenant_moved.
    oldServesT200 = false;
    const before = count("old");
    const reply = await router.send("stale", "/api/tenants/T-200/records");
    expect({ status: reply.status, cell: reply.headers[Headers.cellId], cloud: reply.headers[Headers.processedByCloud] }).toEqual({ status: 200, cell: "alpha", cloud: "aws" });
    expect(reply.json).toEqual({ records: [], next_cursor: null });
    expect(count("old")).toBe(before + 1);
    expect(alpha.received.at(-1)!.headers[Headers.cellId]).toBe("alpha"); // alpha verified a signature made for alpha
    expect(await logOf(reply)).toEqual(
      expect.objectContaining({ status: 200, cellId: "alpha", placement: "moved", attempts: 2, moved: { from: "old", to: "alpha", epoch: 2, followed: true } }),
    );
  });

  test("the newer placement is remembered: the next request goes straight to the new owner", async () => {
    const before = count("old");
    const reply = await router.send("stale", "/api/tenants/T-200/records");
    expect(reply.headers[Headers.cellId]).toBe("alpha");
    expect(count("old")).toBe(before);
    expect(await logOf(reply)).toEqual(expect.objectContaining({ placement: "moved", attempts: 1 }));
  });

  test("a write is re-sent with the same body, once", async () => {
    const body = JSON.stringify({ data: { moved: true } });
    const reply = await router.send("stale", "/api/tenants/T-100/records/w1", { method: "PUT", body, headers: { "content-type": "application/json" } });
    expect({ status: reply.status, cell: reply.headers[Headers.cellId] }).toEqual({ status: 201, cell: "alpha" });
    expect(received.old!.at(-1)).toEqual({ method: "PUT", url: "/api/tenants/T-100/records/w1", body });
    const writes = alpha.received.filter((r) => r.method === "PUT" && r.path === "/api/tenants/T-100/records/w1");
    expect(writes).toHaveLength(1);
    expect(Buffer.from(writes[0]!.body).toString("utf8")).toBe(body);
  });

  test("never a second hop: when the new owner answers tenant_moved too, the client gets that 409", async () => {
    const reply = await router.send("stale", "/api/tenants/T-HOPS/records");
    expect({ status: reply.status, code: problemCode(reply.json), cell: reply.headers[Headers.cellId] }).toEqual({ status: 409, code: "tenant_moved", cell: "hop2" });
    expect([count("hop1"), count("hop2"), alphaCount("T-HOPS")]).toEqual([1, 1, 0]);
    // ...but where it went next is remembered, so the next request lands on alpha at once.
    const next = await router.send("stale", "/api/tenants/T-HOPS/records");
    expect({ status: next.status, cell: next.headers[Headers.cellId] }).toEqual({ status: 200, cell: "alpha" });
    expect([count("hop1"), count("hop2")]).toEqual([1, 1]);
  });

  test.each([
    ["a cell the registry does not know", "T-LOST", "lost", "the registry does not know that cell"],
    ["a cell that is not active", "T-DRAIN", "todrain", "that cell is draining"],
    ["the cell that answered", "T-SELF", "selfish", "it names the cell that answered"],
  ])("not followed to %s: the 409 passes through, after one call", async (_label, tenantId, cellId, why) => {
    const before = { own: count(cellId), alpha: alpha.received.length };
    const reply = await router.send("stale", `/api/tenants/${tenantId}/records`);
    expect({ status: reply.status, code: problemCode(reply.json), cell: reply.headers[Headers.cellId] }).toEqual({ status: 409, code: "tenant_moved", cell: cellId });
    expect({ own: count(cellId), alpha: alpha.received.length }).toEqual({ own: before.own + 1, alpha: before.alpha });
    expect((await logOf(reply))?.moved).toEqual(expect.objectContaining({ from: cellId, followed: false, why }));
    // Nothing was learned: the next request asks the old cell again.
    await router.send("stale", `/api/tenants/${tenantId}/records`);
    expect(count(cellId)).toBe(before.own + 2);
  });
});

describe("a newer epoch wins over an older KV entry", () => {
  test("a learned placement beats KV's older entry; KV's newer entry beats the learned one", async () => {
    // T-300 is on 'old' at epoch 1 in KV; 'old' says it moved to alpha at epoch 2.
    const first = await router.send("short", "/api/tenants/T-300/records");
    expect(first.headers[Headers.cellId]).toBe("alpha");
    const before = count("old");

    // KV is re-read (100 ms cache) and still says 'old' at epoch 1: the learned epoch 2 wins.
    await sleep(150);
    const stillLearned = await router.send("short", "/api/tenants/T-300/records");
    expect(stillLearned.headers[Headers.cellId]).toBe("alpha");
    expect(count("old")).toBe(before);
    expect(await logOf(stillLearned)).toEqual(expect.objectContaining({ placement: "moved" }));

    // The control plane moves T-300 on to beta at epoch 3 and writes KV: KV's newer entry wins.
    await router.putRaw("tenant:T-300", JSON.stringify({ v: 1, tenantId: "T-300", cellId: "beta", status: "active", epoch: 3 }));
    await sleep(150);
    const moved = await router.send("short", "/api/tenants/T-300/records");
    expect({ status: moved.status, cell: moved.headers[Headers.cellId] }).toEqual({ status: 200, cell: "beta" });
    expect(await logOf(moved)).toEqual(expect.objectContaining({ placement: "kv" }));
  });
});
