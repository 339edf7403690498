import { StoreUnavailableError } from "../cells/core";
import { Headers, MAX_BODY_BYTES } from "../contract";
import { clockedCell } from "./support/clocked-cell";
import { InMemoryTenantStore } from "./support/in-memory-stores";

/** The cell's HTTP handler itself: routing, limits, headers and what it logs. */

describe("routing", () => {
  test.each(["constructor", "__proto__", "toString"])("an admin path ending in %s is a 404, not a 500 (only a route's own name names it)", async (name) => {
    const cell = clockedCell();
    const reply = await cell.handler({ method: "GET", path: `/admin/tenants/T-1/${name}`, query: "", headers: {}, body: new Uint8Array() });
    expect({ status: reply.status, type: JSON.parse(reply.body).type }).toEqual({ status: 404, type: "urn:problem-type:cells:not_found" });
    expect(cell.logs).toEqual([]);
  });
});

describe("routes and methods", () => {
  test("an unknown route and a method a route does not serve say so", async () => {
    const cell = clockedCell();
    const t = await cell.tenant();
    const missing = await cell.send({ method: "GET", path: "/api/nothing" }, t);
    expect({ status: missing.status, detail: missing.json.detail }).toEqual({ status: 404, detail: "no route for GET /api/nothing" });
    const wrong = await cell.send({ method: "post", path: `/api/tenants/${t}/records/r1`, body: "{}" }, t);
    expect({ status: wrong.status, detail: wrong.json.detail, allow: wrong.headers.allow }).toEqual({
      status: 405,
      detail: `POST is not allowed on /api/tenants/${t}/records/r1; allowed: GET, HEAD, PUT, DELETE`,
      allow: "GET, HEAD, PUT, DELETE",
    });
  });

  test("every answer names the request, the cell and its cloud; only problems are problem+json", async () => {
    const cell = clockedCell();
    const t = await cell.tenant();
    const ok = await cell.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }), headers: { [Headers.requestId]: "req-1" } }, t);
    expect(ok.headers).toEqual({ "content-type": "application/json", [Headers.requestId]: "req-1", [Headers.cellId]: "alpha", [Headers.processedByCloud]: "aws" });
    const refused = await cell.send({ method: "GET", path: `/api/tenants/${t}/records/nothing` }, t);
    expect(refused.headers["content-type"]).toBe("application/problem+json");
  });

  test.each<[string, string, boolean]>([
    ["a client's request id", "req_1.2:3-4", true],
    ["a 128-character request id", "r".repeat(128), true],
    ["a 129-character request id", "r".repeat(129), false],
    ["a request id with a space", "req 1", false],
    ["an empty request id", "", false],
  ])("%s is echoed: %s", async (_label, requestId, echoed) => {
    const cell = clockedCell();
    const reply = await cell.handler({ method: "GET", path: "/healthz", query: "", headers: { [Headers.requestId]: requestId }, body: new Uint8Array() });
    if (echoed) expect(reply.headers[Headers.requestId]).toBe(requestId);
    else expect(reply.headers[Headers.requestId]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe("body limits", () => {
  test("a data request of the limit is read; one byte more is a 413 naming both", async () => {
    const cell = clockedCell();
    const t = await cell.tenant();
    const body = (bytes: number) => {
      const head = JSON.stringify({ data: { s: "" } });
      return JSON.stringify({ data: { s: "x".repeat(bytes - head.length) } });
    };
    expect((await cell.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: body(MAX_BODY_BYTES) }, t)).status).toBe(201);
    const over = await cell.send({ method: "PUT", path: `/api/tenants/${t}/records/r2`, body: body(MAX_BODY_BYTES + 1) }, t);
    expect({ status: over.status, detail: over.json.detail }).toEqual({ status: 413, detail: `request body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES}` });
  });

  test("an admin import may carry more than a data request", async () => {
    const cell = clockedCell();
    const t = await cell.tenant("importing", 2);
    const items = Array.from({ length: 3 }, (_, i) => ({
      record_id: `r${i}`,
      version: 1,
      deleted: false,
      data: { s: "x".repeat(150_000) },
      created_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-01-01T00:00:00.000Z",
      committed_by: "beta",
    }));
    const reply = await cell.admin({ method: "POST", path: `/admin/tenants/${t}/import`, body: JSON.stringify({ items }) }, t);
    expect({ status: reply.status, body: reply.json }).toEqual({ status: 200, body: { written: 3, skipped: 0 } });
  });
});

describe("what the handler logs", () => {
  test.each<[string, () => Promise<never>, number, string | undefined]>([
    ["a bug", async () => Promise.reject(new TypeError("boom")), 500, "error"],
    ["a thrown value that is not an Error", async () => Promise.reject("plain text"), 500, "error"],
    ["a store that does not answer", async () => Promise.reject(new StoreUnavailableError("ETIMEDOUT")), 503, "warn"],
  ])("%s: status %s, logged at %s", async (_label, fail, status, level) => {
    const cell = clockedCell({ overrides: { store: new Proxy(new InMemoryTenantStore(), { get: (target, prop, receiver) => (prop === "ownership" ? fail : Reflect.get(target, prop, receiver)) }) } });
    const reply = await cell.send({ method: "GET", path: "/api/tenants/T-1/records", headers: { [Headers.requestId]: "req-9" } }, "T-1");
    expect(reply.status).toBe(status);
    expect(cell.logs).toEqual([{ level, msg: "request failed", requestId: "req-9", method: "GET", path: "/api/tenants/T-1/records", status, error: expect.any(String) }]);
    expect(cell.logs[0]!.error).toMatch(status === 503 ? /^StoreUnavailableError: ETIMEDOUT\n\s+at / : /boom\n\s+at |^plain text$/);
  });

  test("a refusal is the client's business: nothing is logged", async () => {
    const cell = clockedCell();
    await cell.send({ method: "GET", path: "/api/tenants/T-1/records" }, "T-1");
    await cell.handler({ method: "GET", path: "/api/tenants/T-1/records", query: "", headers: {}, body: new Uint8Array() });
    expect(cell.logs).toEqual([]);
  });
});
