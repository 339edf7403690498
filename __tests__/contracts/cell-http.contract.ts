import { Headers, MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, problemCode, type Cloud, type SigningKey } from "../../contract";
import { aTenantId } from "../support/mothers";
import { signed, type RequestSpec } from "../support/signing";

export interface CellReply {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One cell behind its platform's real request shape (or the core directly). */
export interface CellHarness {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly key: SigningKey;
  send(request: RequestSpec): Promise<CellReply>;
  close(): Promise<void>;
}

const json = (reply: CellReply): any => JSON.parse(reply.body);

/**
 * The cell's HTTP behaviour, written once and run against every handler: the core itself, the Lambda
 * handler with API Gateway v2 events, and the Functions v4 handler with `HttpRequest` objects. If one
 * cloud's cell gains or loses a behaviour, that cloud's run of this suite fails.
 */
export function describeCellHttpContract(name: string, open: () => Promise<CellHarness>): void {
  describe(`cell HTTP contract: ${name}`, () => {
    let cell: CellHarness;
    beforeAll(async () => {
      cell = await open();
    });
    afterAll(async () => cell?.close());

    /** Signs as the router would for this cell. */
    const send = async (spec: RequestSpec, tenantId: string, extra: { timestamp?: number; nonce?: string; key?: SigningKey; cellId?: string } = {}) =>
      cell.send(await signed(spec, { tenantId, cellId: extra.cellId ?? cell.cellId, key: extra.key ?? cell.key, timestamp: extra.timestamp, nonce: extra.nonce }));
    const put = (tenantId: string, recordId: string, body: unknown, headers: Record<string, string> = {}) =>
      send({ method: "PUT", path: `/api/tenants/${tenantId}/records/${recordId}`, body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }, tenantId);
    const get = (tenantId: string, recordId: string) => send({ method: "GET", path: `/api/tenants/${tenantId}/records/${recordId}` }, tenantId);

    function expectProblem(reply: CellReply, status: number, code: string): any {
      expect({ status: reply.status, code: problemCode(safeJson(reply.body)) }).toEqual({ status, code });
      expect(reply.headers["content-type"]).toContain(PROBLEM_CONTENT_TYPE);
      const body = json(reply);
      expect(body).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) }));
      expect(reply.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/); // never a stack trace
      return body;
    }

    describe("health and identity", () => {
      test("GET /healthz answers unsigned with the cell's id and cloud", async () => {
        const reply = await cell.send({ method: "GET", path: "/healthz" });
        expect(reply.status).toBe(200);
        expect(json(reply)).toEqual({ status: "ok", cell_id: cell.cellId, cloud: cell.cloud });
        expect(reply.headers[Headers.processedByCloud]).toBe(cell.cloud);
      });

      test("POST /api/process (the seed's shape) is processed by this cell and echoes the request id", async () => {
        const tenantId = aTenantId("T");
        const reply = await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: tenantId, payload: { n: 1 } }), headers: { [Headers.requestId]: "req-123" } }, tenantId);
        expect(reply.status).toBe(200);
        expect(json(reply)).toEqual(expect.objectContaining({ status: "processed", tenant_id: tenantId, cell_id: cell.cellId, cloud: cell.cloud, request_id: "req-123" }));
        expect(reply.headers).toEqual(expect.objectContaining({ [Headers.cellId]: cell.cellId, [Headers.processedByCloud]: cell.cloud, [Headers.requestId]: "req-123" }));
      });
    });

    describe("records", () => {
      test("create, read, replace with the current version, delete", async () => {
        const t = aTenantId("T");
        const created = await put(t, "order-1", { data: { qty: 2, sku: "A-1" } });
        expect(created.status).toBe(201);
        expect(json(created)).toEqual(expect.objectContaining({ tenant_id: t, record_id: "order-1", version: 1, data: { qty: 2, sku: "A-1" } }));

        const read = await get(t, "order-1");
        expect(read.status).toBe(200);
        expect(json(read)).toEqual(json(created));

        const replaced = await put(t, "order-1", { data: { qty: 3 }, expected_version: 1 });
        expect(replaced.status).toBe(200);
        expect(json(replaced)).toEqual(expect.objectContaining({ version: 2, data: { qty: 3 }, created_at: json(created).created_at }));

        const deleted = await send({ method: "DELETE", path: `/api/tenants/${t}/records/order-1` }, t);
        expect(deleted.status).toBe(200);
        expect(json(deleted)).toEqual({ tenant_id: t, record_id: "order-1", deleted_version: 2 });
        expectProblem(await get(t, "order-1"), 404, "record_not_found");
      });

      test("a stale expected_version is a 409 that names the current version and changes nothing", async () => {
        const t = aTenantId("T");
        await put(t, "r", { data: { v: 1 } });
        await put(t, "r", { data: { v: 2 }, expected_version: 1 });
        const stale = expectProblem(await put(t, "r", { data: { v: "lost" }, expected_version: 1 }), 409, "version_conflict");
        expect(stale.currentVersion).toBe(2);
        expectProblem(await put(t, "r", { data: { v: "blind" } }), 409, "version_conflict");
        expect(json(await get(t, "r")).data).toEqual({ v: 2 });
      });

      test("delete with a stale expected_version is a 409 and the record stays", async () => {
        const t = aTenantId("T");
        await put(t, "r", { data: {} });
        expectProblem(await send({ method: "DELETE", path: `/api/tenants/${t}/records/r`, query: "expected_version=5" }, t), 409, "version_conflict");
        expect((await get(t, "r")).status).toBe(200);
      });

      test("list pages through a tenant's records in id order with an opaque cursor", async () => {
        const t = aTenantId("T");
        for (const id of ["e", "a", "d", "b", "c"]) await put(t, id, { data: { id } });
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: string = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
          const reply = await send({ method: "GET", path: `/api/tenants/${t}/records`, query }, t);
          expect(reply.status).toBe(200);
          const page = json(reply);
          seen.push(...page.records.map((r: any) => r.record_id));
          cursor = page.next_cursor;
          pages++;
        } while (cursor && pages < 10);
        expect(seen).toEqual(["a", "b", "c", "d", "e"]);
        expect(pages).toBe(3);
      });

      test("a tenant sees only its own records", async () => {
        const [a, b] = [aTenantId("T"), aTenantId("T")];
        await put(a, "shared-id", { data: { owner: "a" } });
        expectProblem(await get(b, "shared-id"), 404, "record_not_found");
        const list = json(await send({ method: "GET", path: `/api/tenants/${b}/records` }, b));
        expect(list).toEqual({ records: [], next_cursor: null });
      });
    });

    describe("idempotency keys", () => {
      test("a retried write with the same key returns the first result and writes nothing twice", async () => {
        const t = aTenantId("T");
        await put(t, "r", { data: { n: 0 } });
        const first = await put(t, "r", { data: { n: 1 }, expected_version: 1 }, { [Headers.idempotencyKey]: "key-1" });
        const retry = await put(t, "r", { data: { n: 1 }, expected_version: 1 }, { [Headers.idempotencyKey]: "key-1" });
        expect(first.status).toBe(200);
        expect({ status: retry.status, body: json(retry) }).toEqual({ status: 200, body: json(first) });
        expect(retry.headers["idempotent-replayed"]).toBe("true");
        expect(json(await get(t, "r")).version).toBe(2);
      });

      test("the same key with a different body is a 422", async () => {
        const t = aTenantId("T");
        await put(t, "r", { data: { n: 0 } }, { [Headers.idempotencyKey]: "key-2" });
        expectProblem(await put(t, "r", { data: { n: 9 } }, { [Headers.idempotencyKey]: "key-2" }), 422, "idempotency_key_reused");
      });

      test("a malformed key is a 400", async () => {
        const t = aTenantId("T");
        expectProblem(await put(t, "r", { data: {} }, { [Headers.idempotencyKey]: "spaces are not allowed" }), 400, "invalid_request");
      });
    });

    describe("bad input gets a problem+json with the right status", () => {
      const t = "T-bad";
      const cases: Array<[string, () => RequestSpec, number, string]> = [
        ["invalid JSON", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: "{not json" }), 400, "invalid_json"],
        ["a body that is not UTF-8", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 400, "invalid_json"],
        ["a JSON array body", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: "[1,2]" }), 400, "invalid_json"],
        ["data of the wrong type", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: [1] }) }), 400, "invalid_request"],
        ["expected_version of the wrong type", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: {}, expected_version: "one" }) }), 400, "invalid_request"],
        ["an unknown field", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: {}, expectedVersion: 1 }) }), 400, "invalid_request"],
        ["a body tenant_id that disagrees with the path", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: {}, tenant_id: "T-other" }) }), 400, "invalid_request"],
        ["an invalid record id", () => ({ method: "GET", path: `/api/tenants/${t}/records/${encodeURIComponent("a b")}` }), 400, "invalid_request"],
        ["a limit out of range", () => ({ method: "GET", path: `/api/tenants/${t}/records`, query: "limit=1000" }), 400, "invalid_request"],
        ["a forged cursor", () => ({ method: "GET", path: `/api/tenants/${t}/records`, query: "cursor=%21%21" }), 400, "invalid_request"],
      ];
      test.each(cases)("%s", async (_label, spec, status, code) => {
        expectProblem(await send(spec(), t), status, code);
      });

      test("POST /api/process without tenant_id is a 400", async () => {
        expectProblem(await send({ method: "POST", path: "/api/process", body: JSON.stringify({ payload: 1 }) }, t), 400, "invalid_request");
      });

      test("POST /api/process with a tenant_id of the wrong type is a 400", async () => {
        expectProblem(await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: 100 }) }, t), 400, "invalid_request");
      });

      test("a body over the limit is a 413", async () => {
        const body = JSON.stringify({ data: { blob: "x".repeat(MAX_BODY_BYTES) } });
        expectProblem(await send({ method: "PUT", path: `/api/tenants/${t}/records/big`, body }, t), 413, "payload_too_large");
      });

      test("an unknown route is a 404 and a wrong method a 405 that lists the allowed ones", async () => {
        expectProblem(await send({ method: "GET", path: "/api/nothing-here" }, t), 404, "not_found");
        const reply = await send({ method: "POST", path: `/api/tenants/${t}/records/r`, body: "{}" }, t);
        expectProblem(reply, 405, "method_not_allowed");
        expect(reply.headers.allow).toBe("GET, PUT, DELETE");
      });
    });

    describe("request verification", () => {
      const path = (t: string) => `/api/tenants/${t}/records`;

      test("an unsigned request is a 401", async () => {
        expectProblem(await cell.send({ method: "GET", path: path("T-1") }), 401, "unauthenticated");
      });

      test("a request whose body was changed after signing is a 401", async () => {
        const t = aTenantId("T");
        const spec = await signed({ method: "PUT", path: `${path(t)}/r`, body: JSON.stringify({ data: { amount: 1 } }) }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expectProblem(await cell.send({ ...spec, body: JSON.stringify({ data: { amount: 1000 } }) }), 401, "unauthenticated");
        expectProblem(await get(t, "r"), 404, "record_not_found");
      });

      test("a request whose query was changed after signing is a 401", async () => {
        const t = aTenantId("T");
        const spec = await signed({ method: "GET", path: path(t), query: "limit=1" }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expectProblem(await cell.send({ ...spec, query: "limit=100" }), 401, "unauthenticated");
      });

      test("a signature made with another key, or an unknown key id, is a 401", async () => {
        const t = aTenantId("T");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { key: { keyId: cell.key.keyId, secret: "not-the-secret" } }), 401, "unauthenticated");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { key: { keyId: "someone-else-v1", secret: cell.key.secret } }), 401, "unauthenticated");
      });

      test("a timestamp outside the window (past or future) is a 401", async () => {
        const t = aTenantId("T");
        const now = Math.floor(Date.now() / 1000);
        expectProblem(await send({ method: "GET", path: path(t) }, t, { timestamp: now - 120 }), 401, "stale_request");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { timestamp: now + 120 }), 401, "stale_request");
      });

      test("a replayed write is refused and writes nothing; a repeated read is allowed", async () => {
        const t = aTenantId("T");
        const write = await signed({ method: "PUT", path: `${path(t)}/r`, body: JSON.stringify({ data: { n: 1 } }) }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expect((await cell.send(write)).status).toBe(201);
        expectProblem(await cell.send(write), 401, "replayed_request");
        const read = await signed({ method: "GET", path: `${path(t)}/r` }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expect((await cell.send(read)).status).toBe(200);
        expect((await cell.send(read)).status).toBe(200);
      });

      test("a request signed for one tenant but naming another is a 403", async () => {
        const [signedFor, named] = [aTenantId("T"), aTenantId("T")];
        expectProblem(await send({ method: "GET", path: path(named) }, signedFor), 403, "tenant_mismatch");
        expectProblem(await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: named }) }, signedFor), 403, "tenant_mismatch");
      });

      test("a request signed for another cell is a 421", async () => {
        const t = aTenantId("T");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { cellId: "some-other-cell" }), 421, "misdirected_request");
      });

      test("query parameters sign in canonical form, whatever their order and encoding", async () => {
        const t = aTenantId("T");
        await put(t, "r", { data: {} });
        const spec = await signed({ method: "GET", path: path(t), query: "limit=5&note=a%20b" }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        const reply = await cell.send({ ...spec, query: "note=a+b&limit=5" });
        expect(reply.status).toBe(200);
        expect(json(reply).records).toHaveLength(1);
      });
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
