import { Headers, MAX_BODY_BYTES, MAX_JSON_DEPTH, PROBLEM_CONTENT_TYPE, isTenantId, parseCellHealthReport, problemCode, type Cloud, type OwnershipState, type SigningKey } from "../../contract";
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
  /** The key the router signs data requests with. */
  readonly key: SigningKey;
  /** The cell's admin key. */
  readonly adminKey: SigningKey;
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
    /** Signs as `cellctl` would, with the admin key. */
    const admin = async (spec: RequestSpec, tenantId: string, key: SigningKey = cell.adminKey) =>
      cell.send(await signed({ ...spec, headers: { "content-type": "application/json", ...spec.headers } }, { tenantId, cellId: cell.cellId, key }));
    const setOwnership = (tenantId: string, body: Record<string, unknown>) =>
      admin({ method: "PUT", path: `/admin/tenants/${tenantId}/ownership`, body: JSON.stringify(body) }, tenantId);
    /** A tenant this cell owns (active at epoch 1), as the sandbox or `cellctl place` creates it. */
    const aTenant = async (state: OwnershipState = "active", epoch = 1, movedTo?: { cell_id: string; epoch: number }): Promise<string> => {
      const t = aTenantId("T");
      const reply = await setOwnership(t, { epoch, state, moved_to: movedTo ?? null, expected: null });
      expect(reply.status).toBe(200);
      return t;
    };
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
        const tenantId = await aTenant();
        const reply = await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: tenantId, payload: { n: 1 } }), headers: { [Headers.requestId]: "req-123" } }, tenantId);
        expect(reply.status).toBe(200);
        expect(json(reply)).toEqual(expect.objectContaining({ status: "processed", tenant_id: tenantId, cell_id: cell.cellId, cloud: cell.cloud, request_id: "req-123" }));
        expect(reply.headers).toEqual(expect.objectContaining({ [Headers.cellId]: cell.cellId, [Headers.processedByCloud]: cell.cloud, [Headers.requestId]: "req-123" }));
      });
    });

    describe("records", () => {
      test("create, read, replace with the current version, delete", async () => {
        const t = await aTenant();
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
        const t = await aTenant();
        await put(t, "r", { data: { v: 1 } });
        await put(t, "r", { data: { v: 2 }, expected_version: 1 });
        const stale = expectProblem(await put(t, "r", { data: { v: "lost" }, expected_version: 1 }), 409, "version_conflict");
        expect(stale.currentVersion).toBe(2);
        expectProblem(await put(t, "r", { data: { v: "blind" } }), 409, "version_conflict");
        expect(json(await get(t, "r")).data).toEqual({ v: 2 });
      });

      test("delete with a stale expected_version is a 409 and the record stays", async () => {
        const t = await aTenant();
        await put(t, "r", { data: {} });
        expectProblem(await send({ method: "DELETE", path: `/api/tenants/${t}/records/r`, query: "expected_version=5" }, t), 409, "version_conflict");
        expect((await get(t, "r")).status).toBe(200);
      });

      test("list pages through a tenant's records in id order with an opaque cursor", async () => {
        const t = await aTenant();
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
        const [a, b] = [await aTenant(), await aTenant()];
        await put(a, "shared-id", { data: { owner: "a" } });
        expectProblem(await get(b, "shared-id"), 404, "record_not_found");
        const list = json(await send({ method: "GET", path: `/api/tenants/${b}/records` }, b));
        expect(list).toEqual({ records: [], next_cursor: null });
      });
    });

    describe("idempotency keys", () => {
      test("a retried write with the same key returns the first result and writes nothing twice", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { n: 0 } });
        const first = await put(t, "r", { data: { n: 1 }, expected_version: 1 }, { [Headers.idempotencyKey]: "key-1" });
        const retry = await put(t, "r", { data: { n: 1 }, expected_version: 1 }, { [Headers.idempotencyKey]: "key-1" });
        expect(first.status).toBe(200);
        expect({ status: retry.status, body: json(retry) }).toEqual({ status: 200, body: json(first) });
        expect(retry.headers["idempotent-replayed"]).toBe("true");
        expect(json(await get(t, "r")).version).toBe(2);
      });

      test("the same key with a different body is a 422", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { n: 0 } }, { [Headers.idempotencyKey]: "key-2" });
        expectProblem(await put(t, "r", { data: { n: 9 } }, { [Headers.idempotencyKey]: "key-2" }), 422, "idempotency_key_reused");
      });

      test("a large keyed write of escaped quotes is stored once and replayed byte for byte", async () => {
        const t = await aTenant();
        const body = { data: { s: '"'.repeat(120_000) } };
        const first = await put(t, "quotes", body, { [Headers.idempotencyKey]: "big-1" });
        expect(first.status).toBe(201);
        const retry = await put(t, "quotes", body, { [Headers.idempotencyKey]: "big-1" });
        expect({ status: retry.status, same: retry.body === first.body, replayed: retry.headers["idempotent-replayed"] }).toEqual({ status: 201, same: true, replayed: "true" });
      });

      test("a malformed key is a 400", async () => {
        const t = await aTenant();
        expectProblem(await put(t, "r", { data: {} }, { [Headers.idempotencyKey]: "spaces are not allowed" }), 400, "invalid_request");
      });
    });

    describe("bad input gets a problem+json with the right status", () => {
      let t = "";
      beforeAll(async () => {
        t = await aTenant();
      });
      const cases: Array<[string, () => RequestSpec, number, string]> = [
        ["invalid JSON", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: "{not json" }), 400, "invalid_json"],
        ["a body that is not UTF-8", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 400, "invalid_json"],
        ["a JSON array body", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: "[1,2]" }), 400, "invalid_json"],
        ["data of the wrong type", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: [1] }) }), 400, "invalid_request"],
        ["expected_version of the wrong type", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: {}, expected_version: "one" }) }), 400, "invalid_request"],
        ["expected_version as a string of digits", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: JSON.stringify({ data: {}, expected_version: "1" }) }), 400, "invalid_request"],
        ["JSON nested deeper than the limit", () => ({ method: "PUT", path: `/api/tenants/${t}/records/r`, body: `{"data":${"[".repeat(MAX_JSON_DEPTH)}1${"]".repeat(MAX_JSON_DEPTH)}}` }), 400, "invalid_request"],
        ["a delete's expected_version that is not digits", () => ({ method: "DELETE", path: `/api/tenants/${t}/records/r`, query: "expected_version=1.5" }), 400, "invalid_request"],
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
        expect(reply.headers.allow).toBe("GET, HEAD, PUT, DELETE");
      });
    });

    describe("records: versions, deletes and HEAD", () => {
      test("a create that finds the record says so and names the version to replace", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { v: 1 } });
        const refused = expectProblem(await put(t, "r", { data: { v: "again" } }), 409, "version_conflict");
        expect(refused.detail).toMatch(/already exists at version 1; send expected_version 1/);
        expect(refused.currentVersion).toBe(1);
      });

      test("versions never repeat: a record created again after a delete continues after its tombstone", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { v: 1 } });
        expect(json(await send({ method: "DELETE", path: `/api/tenants/${t}/records/r` }, t))).toEqual({ tenant_id: t, record_id: "r", deleted_version: 1 });
        expectProblem(await get(t, "r"), 404, "record_not_found");
        expect(json(await send({ method: "GET", path: `/api/tenants/${t}/records` }, t)).records).toEqual([]);
        const again = await put(t, "r", { data: { v: 3 } });
        expect(again.status).toBe(201);
        expect(json(again).version).toBe(3);
      });

      test("HEAD on a record and on a list answers like GET without a body", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { v: 1 } });
        const head = await send({ method: "HEAD", path: `/api/tenants/${t}/records/r` }, t);
        expect({ status: head.status, body: head.body }).toEqual({ status: 200, body: "" });
        expect(head.headers[Headers.processedByCloud]).toBe(cell.cloud);
        expect((await send({ method: "HEAD", path: `/api/tenants/${t}/records` }, t)).status).toBe(200);
        const missing = await send({ method: "HEAD", path: `/api/tenants/${t}/records/nope` }, t);
        expect({ status: missing.status, body: missing.body }).toEqual({ status: 404, body: "" });
      });
    });

    describe("tenant ownership decides what the cell serves", () => {
      test("a tenant the cell never held is a 404 for reads and writes alike, and nothing is written", async () => {
        const t = aTenantId("T");
        expectProblem(await get(t, "r"), 404, "unknown_tenant");
        expectProblem(await put(t, "r", { data: {} }), 404, "unknown_tenant");
        expectProblem(await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: t }) }, t), 404, "unknown_tenant");
      });

      test("a fenced tenant keeps serving reads; its writes are a 503 with a short Retry-After and change nothing", async () => {
        const t = await aTenant();
        await put(t, "r", { data: { v: 1 } });
        expect((await setOwnership(t, { epoch: 2, state: "fenced", expected: { epoch: 1, state: "active" } })).status).toBe(200);
        expect((await get(t, "r")).status).toBe(200);
        const refused = await put(t, "r", { data: { v: 2 }, expected_version: 1 }, { [Headers.idempotencyKey]: "fenced-1" });
        expectProblem(refused, 503, "tenant_fenced");
        expect(refused.headers[Headers.retryAfter]).toBe("1");
        expectProblem(await send({ method: "DELETE", path: `/api/tenants/${t}/records/r` }, t), 503, "tenant_fenced");
        expect((await setOwnership(t, { epoch: 3, state: "active", expected: { epoch: 2, state: "fenced" } })).status).toBe(200);
        // The refusal was not stored against the key: the retry runs once the tenant is active again.
        expect((await put(t, "r", { data: { v: 2 }, expected_version: 1 }, { [Headers.idempotencyKey]: "fenced-1" })).status).toBe(200);
      });

      test("a moved tenant is a 409 tenant_moved naming the new cell and epoch, for reads and writes", async () => {
        const t = await aTenant("moved", 4, { cell_id: "elsewhere", epoch: 4 });
        for (const reply of [await get(t, "r"), await put(t, "r", { data: {} })]) {
          expect(expectProblem(reply, 409, "tenant_moved")).toEqual(expect.objectContaining({ cell: "elsewhere", epoch: 4 }));
        }
      });

      test("a tenant still importing here serves nothing: 503 with Retry-After", async () => {
        const t = await aTenant("importing", 2);
        const reply = await get(t, "r");
        expectProblem(reply, 503, "tenant_unavailable");
        expect(Number(reply.headers[Headers.retryAfter])).toBeGreaterThan(0);
      });
    });

    describe("admin API", () => {
      const ownershipOf = async (t: string) => json(await admin({ method: "GET", path: `/admin/tenants/${t}/ownership` }, t));

      test("the router's key cannot call admin routes, and the admin key cannot call data routes", async () => {
        const t = await aTenant();
        expectProblem(await admin({ method: "GET", path: `/admin/tenants/${t}/ownership` }, t, cell.key), 401, "unauthenticated");
        expectProblem(await admin({ method: "PUT", path: `/admin/tenants/${t}/ownership`, body: JSON.stringify({ epoch: 9, state: "fenced", expected: { epoch: 1, state: "active" } }) }, t, cell.key), 401, "unauthenticated");
        expect((await ownershipOf(t)).state).toBe("active");
        expectProblem(await send({ method: "GET", path: `/api/tenants/${t}/records` }, t, { key: cell.adminKey }), 401, "unauthenticated");
      });

      test("the deep health check probes the store, counts the recent tenant requests, answers the admin key only and lists no probe as a tenant", async () => {
        const t = await aTenant();
        for (let i = 0; i < 3; i++) await put(t, `h-${i}`, { data: { i } });
        const reply = await admin({ method: "GET", path: "/admin/health", query: "window=60" }, "*");
        expect(reply.status).toBe(200);
        const report = parseCellHealthReport(json(reply));
        if (!report.ok) throw new Error(report.error);
        expect(report.value).toEqual(expect.objectContaining({ cell_id: cell.cellId, cloud: cell.cloud, probe: { ok: true, write_ms: expect.any(Number), read_ms: expect.any(Number), error: null } }));
        expect(report.value.recent.window_seconds).toBe(60);
        expect(report.value.recent.requests).toBeGreaterThanOrEqual(3);
        expect(report.value.recent.latency_ms.p99).toEqual(expect.any(Number));
        expectProblem(await admin({ method: "GET", path: "/admin/health" }, "*", cell.key), 401, "unauthenticated");
        expectProblem(await admin({ method: "GET", path: "/admin/health", query: "window=0" }, "*"), 400, "invalid_request");
        const tenants = json(await admin({ method: "GET", path: "/admin/tenants" }, "*")).tenants.map((o: any) => o.tenant_id);
        expect(tenants.every((id: string) => isTenantId(id))).toBe(true);
      });

      test("ownership changes are compare-and-set: a stale expectation is a 409 naming what is there; a repeat is a no-op", async () => {
        const t = await aTenant();
        const fence = { epoch: 2, state: "fenced", expected: { epoch: 1, state: "active" } };
        expect(json(await setOwnership(t, fence))).toEqual(expect.objectContaining({ tenant_id: t, epoch: 2, state: "fenced", moved_to: null }));
        expect((await setOwnership(t, fence)).status).toBe(200);
        const stale = expectProblem(await setOwnership(t, { epoch: 3, state: "active", expected: { epoch: 1, state: "active" } }), 409, "epoch_conflict");
        expect(stale.current).toEqual(expect.objectContaining({ epoch: 2, state: "fenced" }));
        expectProblem(await setOwnership(t, { epoch: 1, state: "active", expected: { epoch: 2, state: "fenced" } }), 409, "ownership_state");
        expectProblem(await setOwnership(t, { epoch: 3, state: "moved", expected: { epoch: 2, state: "fenced" } }), 409, "ownership_state");
        expectProblem(await setOwnership(t, { epoch: 3, state: "sleeping", expected: null }), 400, "invalid_request");
        expect(json(await setOwnership(t, { epoch: 2, state: "moved", moved_to: { cell_id: "elsewhere", epoch: 2 }, expected: { epoch: 2, state: "fenced" } })).moved_to).toEqual({ cell_id: "elsewhere", epoch: 2 });
        expect(json(await admin({ method: "GET", path: "/admin/tenants" }, "*")).tenants).toEqual(expect.arrayContaining([expect.objectContaining({ tenant_id: t, state: "moved" })]));
      });

      test("the change stream lists every committed change of the tenant, oldest first, from a point in time", async () => {
        const t = await aTenant();
        await put(t, "a", { data: { n: 1 } });
        await put(t, "a", { data: { n: 2 }, expected_version: 1 });
        await send({ method: "DELETE", path: `/api/tenants/${t}/records/a` }, t);
        const all = json(await admin({ method: "GET", path: `/admin/tenants/${t}/changes` }, t)).changes;
        expect(all.map((c: any) => [c.id, c.kind, c.cell_id, c.cloud])).toEqual([
          [`${t}/a/1`, "created", cell.cellId, cell.cloud],
          [`${t}/a/2`, "replaced", cell.cellId, cell.cloud],
          [`${t}/a/3`, "deleted", cell.cellId, cell.cloud],
        ]);
        const later = json(await admin({ method: "GET", path: `/admin/tenants/${t}/changes`, query: `since=${encodeURIComponent(all[2].committed_at)}` }, t)).changes;
        expect(later).toEqual(all.filter((c: any) => c.committed_at >= all[2].committed_at));
        expect(later.map((c: any) => c.id)).toContain(`${t}/a/3`);
        expectProblem(await admin({ method: "GET", path: `/admin/tenants/${t}/changes`, query: "since=yesterday" }, t), 400, "invalid_request");
      });

      test("an operation id makes a repeated change a no-op and the same change by another operation a 409", async () => {
        const t = await aTenant();
        const fence = (operation: string) => setOwnership(t, { epoch: 2, state: "fenced", operation, expected: { epoch: 1, state: "active" } });
        expect(json(await fence("move-a")).operation).toBe("move-a");
        expect((await fence("move-a")).status).toBe(200);
        expectProblem(await fence("move-b"), 409, "epoch_conflict");
        // Even having read the fence, another operation cannot claim it as its own.
        expectProblem(await setOwnership(t, { epoch: 2, state: "fenced", operation: "move-b", expected: { epoch: 2, state: "fenced" } }), 409, "ownership_state");
        expectProblem(await setOwnership(t, { epoch: 3, state: "active", operation: "not valid!", expected: { epoch: 2, state: "fenced" } }), 400, "invalid_request");
      });

      test("export, import into an importing tenant, digest and purge carry a tenant's data with its versions", async () => {
        const source = await aTenant();
        await put(source, "a", { data: { n: 1 } });
        await put(source, "a", { data: { n: 2 }, expected_version: 1 });
        await put(source, "b", { data: { n: 3 } });
        await send({ method: "DELETE", path: `/api/tenants/${source}/records/b` }, source);
        await put(source, "c", { data: { nested: { deep: [1, { x: "ü" }] } } });
        const page = json(await admin({ method: "GET", path: `/admin/tenants/${source}/export`, query: "limit=2" }, source));
        expect(page.items.map((i: any) => [i.record_id, i.version, i.deleted])).toEqual([["a", 2, false], ["b", 2, true]]);
        const rest = json(await admin({ method: "GET", path: `/admin/tenants/${source}/export`, query: `cursor=${page.next_cursor}` }, source));
        expect(rest.next_cursor).toBeNull();
        const versions = json(await admin({ method: "GET", path: `/admin/tenants/${source}/export`, query: "fields=versions" }, source));
        expect(versions.items.map((i: any) => Object.keys(i).sort())).toEqual([["committed_by", "deleted", "record_id", "updated_at", "version"], ["committed_by", "deleted", "record_id", "updated_at", "version"], ["committed_by", "deleted", "record_id", "updated_at", "version"]]);

        const named = json(await admin({ method: "GET", path: `/admin/tenants/${source}/export`, query: "ids=c,b,nope" }, source));
        expect(named.items.map((i: any) => [i.record_id, i.version, i.deleted, i.data])).toEqual([["c", 1, false, { nested: { deep: [1, { x: "ü" }] } }], ["b", 2, true, undefined]]);
        expectProblem(await admin({ method: "GET", path: `/admin/tenants/${source}/export`, query: `ids=${"x,".repeat(60)}y` }, source), 400, "invalid_request");

        const active = await aTenant();
        const items = JSON.stringify({ items: [...page.items, ...rest.items] });
        expectProblem(await admin({ method: "POST", path: `/admin/tenants/${active}/import`, body: items }, active), 409, "ownership_state");
        const target = await aTenant("importing", 2);
        expect(json(await admin({ method: "POST", path: `/admin/tenants/${target}/import`, body: items }, target))).toEqual({ written: 3, skipped: 0 });
        expect(json(await admin({ method: "POST", path: `/admin/tenants/${target}/import`, body: items }, target))).toEqual({ written: 0, skipped: 3 });
        expectProblem(await admin({ method: "POST", path: `/admin/tenants/${target}/import`, body: JSON.stringify({ items: [{ record_id: "x", version: 0 }] }) }, target), 400, "invalid_request");

        const digestOf = async (t: string) => json(await admin({ method: "GET", path: `/admin/tenants/${t}/digest` }, t));
        const [d1, d2] = [await digestOf(source), await digestOf(target)];
        expect(d1).toEqual(expect.objectContaining({ count: 2, tombstones: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }));
        expect(d2.hash).toBe(d1.hash);
        await put(source, "a", { data: { n: 99 }, expected_version: 2 });
        expect((await digestOf(source)).hash).not.toBe(d1.hash);

        expectProblem(await admin({ method: "POST", path: `/admin/tenants/${source}/purge` }, source), 409, "ownership_state");
        await setOwnership(source, { epoch: 2, state: "fenced", expected: { epoch: 1, state: "active" } });
        await setOwnership(source, { epoch: 2, state: "moved", moved_to: { cell_id: "elsewhere", epoch: 2 }, expected: { epoch: 2, state: "fenced" } });
        let more = true;
        while (more) more = json(await admin({ method: "POST", path: `/admin/tenants/${source}/purge`, query: "limit=2" }, source)).more;
        expect((await digestOf(source))).toEqual(expect.objectContaining({ count: 0, tombstones: 0 }));
        expect((await ownershipOf(source)).state).toBe("moved");
      });
    });

    describe("request verification", () => {
      const path = (t: string) => `/api/tenants/${t}/records`;

      test("an unsigned request is a 401", async () => {
        expectProblem(await cell.send({ method: "GET", path: path("T-1") }), 401, "unauthenticated");
      });

      test("a timestamp that is not unix seconds is a 401, not a 500", async () => {
        const t = await aTenant();
        const spec = await signed({ method: "GET", path: path(t) }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expectProblem(await cell.send({ ...spec, headers: { ...spec.headers, [Headers.timestamp]: "soon" } }), 401, "unauthenticated");
      });

      test("a request whose body was changed after signing is a 401", async () => {
        const t = await aTenant();
        const spec = await signed({ method: "PUT", path: `${path(t)}/r`, body: JSON.stringify({ data: { amount: 1 } }) }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expectProblem(await cell.send({ ...spec, body: JSON.stringify({ data: { amount: 1000 } }) }), 401, "unauthenticated");
        expectProblem(await get(t, "r"), 404, "record_not_found");
      });

      test("a request whose query was changed after signing is a 401", async () => {
        const t = await aTenant();
        const spec = await signed({ method: "GET", path: path(t), query: "limit=1" }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expectProblem(await cell.send({ ...spec, query: "limit=100" }), 401, "unauthenticated");
      });

      test("a signature made with another key, or an unknown key id, is a 401", async () => {
        const t = await aTenant();
        expectProblem(await send({ method: "GET", path: path(t) }, t, { key: { keyId: cell.key.keyId, secret: "not-the-secret" } }), 401, "unauthenticated");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { key: { keyId: "someone-else-v1", secret: cell.key.secret } }), 401, "unauthenticated");
      });

      test("a timestamp outside the window (past or future) is a 401", async () => {
        const t = await aTenant();
        const now = Math.floor(Date.now() / 1000);
        expectProblem(await send({ method: "GET", path: path(t) }, t, { timestamp: now - 120 }), 401, "stale_request");
        expectProblem(await send({ method: "GET", path: path(t) }, t, { timestamp: now + 120 }), 401, "stale_request");
      });

      test("a replayed write is refused and writes nothing; a repeated read is allowed", async () => {
        const t = await aTenant();
        const write = await signed({ method: "PUT", path: `${path(t)}/r`, body: JSON.stringify({ data: { n: 1 } }) }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expect((await cell.send(write)).status).toBe(201);
        expectProblem(await cell.send(write), 401, "replayed_request");
        const read = await signed({ method: "GET", path: `${path(t)}/r` }, { tenantId: t, cellId: cell.cellId, key: cell.key });
        expect((await cell.send(read)).status).toBe(200);
        expect((await cell.send(read)).status).toBe(200);
      });

      test("a request signed for one tenant but naming another is a 403", async () => {
        const [signedFor, named] = [await aTenant(), await aTenant()];
        expectProblem(await send({ method: "GET", path: path(named) }, signedFor), 403, "tenant_mismatch");
        expectProblem(await send({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: named }) }, signedFor), 403, "tenant_mismatch");
      });

      test("a request signed for another cell is a 421", async () => {
        const t = await aTenant();
        expectProblem(await send({ method: "GET", path: path(t) }, t, { cellId: "some-other-cell" }), 421, "misdirected_request");
      });

      test("query parameters sign in canonical form, whatever their order and encoding", async () => {
        const t = await aTenant();
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
