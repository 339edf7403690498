import {
  IDEMPOTENCY_TTL_SECONDS,
  IdempotencyKeyTakenError,
  StoreUnavailableError,
  TenantNotServedError,
  VersionConflictError,
  fingerprint,
  runKeyedWrite,
  type CellRequest,
  type IdempotencyEntry,
  type KeyedWork,
  type PlannedWrite,
  type TenantStore,
} from "../cells/core";
import { Headers, sha256Hex } from "../contract";
import { clockedCell } from "./support/clocked-cell";
import { anOwnership } from "./support/mothers";
import { bytes, type RequestSpec } from "./support/signing";

/**
 * Keyed writes (`Idempotency-Key`) at their edges: how long a key is remembered as `runKeyedWrite`
 * sets it, what makes two requests "the same", reads that carry a key, and the races between the
 * look-up, the plan and the commit.
 */

const START_SEC = 1_780_000_000;

/** A cell whose clock starts at `START_SEC` plus 999 ms, and the Idempotency-Key header. */
function cellAt() {
  const c = clockedCell();
  return { ...c, keyed: (key: string) => ({ [Headers.idempotencyKey]: key }) };
}

describe("how long a key is remembered", () => {
  test.each<[string, (t: string) => RequestSpec, number]>([
    ["a committed write", (t) => ({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: { n: 1 } }) }), 201],
    ["a refusal", (t) => ({ method: "DELETE", path: `/api/tenants/${t}/records/nothing-here` }), 404],
    ["an answer that writes nothing else", (t) => ({ method: "POST", path: "/api/process", body: JSON.stringify({ tenant_id: t }) }), 200],
  ])("%s is stored for 24 hours from the cell's clock, in whole seconds", async (_label, spec, status) => {
    const c = cellAt();
    const t = await c.tenant();
    const reply = await c.send({ ...spec(t), headers: c.keyed("k-1") }, t);
    expect(reply.status).toBe(status);
    const entry = await c.store.idempotencyEntry(t, "k-1", START_SEC);
    expect(entry).toEqual({ key: "k-1", fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), status, body: reply.body, writtenAtSec: START_SEC, expiresAtSec: START_SEC + IDEMPOTENCY_TTL_SECONDS });
    expect(IDEMPOTENCY_TTL_SECONDS).toBe(24 * 60 * 60);
  });

  test("a retry in the key's last second is replayed; one second later the key is forgotten and the request runs again", async () => {
    const c = cellAt();
    const t = await c.tenant();
    const put = () => c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: { n: 1 } }), headers: c.keyed("k-1") }, t);
    const first = await put();
    expect(first.status).toBe(201);

    c.advance((IDEMPOTENCY_TTL_SECONDS - 1) * 1000);
    const late = await put();
    expect({ status: late.status, replayed: late.headers["idempotent-replayed"], body: late.body }).toEqual({ status: 201, replayed: "true", body: first.body });

    c.advance(1000);
    const expired = await put();
    expect({ status: expired.status, replayed: expired.headers["idempotent-replayed"], code: expired.json.type }).toEqual({
      status: 409,
      replayed: undefined,
      code: "urn:problem-type:cells:version_conflict",
    });
    expect(c.changes).toHaveLength(1);
  });
});

describe("reads that carry a key", () => {
  test.each(["GET", "HEAD"])("a %s with an Idempotency-Key is served fresh every time and stores nothing", async (method) => {
    const c = cellAt();
    const t = await c.tenant();
    await c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: { n: 1 } }) }, t);
    const read = () => c.send({ method, path: `/api/tenants/${t}/records/r1`, headers: c.keyed("read-1") }, t);

    const before = await read();
    await c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: { n: 2 }, expected_version: 1 }) }, t);
    const after = await read();
    expect([before.status, after.status]).toEqual([200, 200]);
    expect([before.headers["idempotent-replayed"], after.headers["idempotent-replayed"]]).toEqual([undefined, undefined]);
    if (method === "GET") expect([before.json.version, after.json.version]).toEqual([1, 2]);
    expect(await c.store.idempotencyEntry(t, "read-1", START_SEC)).toBeUndefined();
  });

  test("a key first sent with a read is still free for a write", async () => {
    const c = cellAt();
    const t = await c.tenant();
    expect((await c.send({ method: "GET", path: `/api/tenants/${t}/records/r1`, headers: c.keyed("k-1") }, t)).status).toBe(404);
    const write = await c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }), headers: c.keyed("k-1") }, t);
    expect({ status: write.status, replayed: write.headers["idempotent-replayed"] }).toEqual({ status: 201, replayed: undefined });
  });
});

describe("what makes two requests the same", () => {
  const req = (overrides: Partial<CellRequest> = {}): CellRequest => ({
    method: "DELETE",
    path: "/api/tenants/T-1/records/r1",
    query: "expected_version=1&note=a%20b",
    headers: {},
    body: new Uint8Array(),
    ...overrides,
  });

  test("is the hash of the upper-case method, canonical path and query, and the body's hash (a known answer: stored keys outlive deploys)", async () => {
    const body = bytes('{"data":{}}');
    const expected = await sha256Hex(`DELETE\n/api/tenants/T-1/records/r1\nexpected_version=1&note=a%20b\n${await sha256Hex(body)}`);
    expect(await fingerprint(req({ method: "delete", body }))).toBe(expected);
  });

  test("method case, query order and percent-encoding do not matter", async () => {
    const same = await fingerprint(req());
    expect(await fingerprint(req({ method: "delete" }))).toBe(same);
    expect(await fingerprint(req({ query: "note=a+b&expected_version=1" }))).toBe(same);
    expect(await fingerprint(req({ path: "/api/tenants/T%2D1/records/r1" }))).toBe(same);
  });

  test.each<[string, Partial<CellRequest>]>([
    ["method", { method: "PUT" }],
    ["path", { path: "/api/tenants/T-1/records/r2" }],
    ["query", { query: "expected_version=2&note=a%20b" }],
    ["body", { body: bytes("{}") }],
  ])("another %s is another request", async (_label, change) => {
    expect(await fingerprint(req(change))).not.toBe(await fingerprint(req()));
  });

  test("the key of one request sent with another is a 422, and the stored answer stays", async () => {
    const c = cellAt();
    const t = await c.tenant();
    const del = (query: string) => c.send({ method: "DELETE", path: `/api/tenants/${t}/records/r1`, query, headers: c.keyed("k-1") }, t);
    const first = await del("expected_version=1");
    expect(first.status).toBe(404);
    expect((await del("expected_version=2")).json).toEqual(
      expect.objectContaining({ type: "urn:problem-type:cells:idempotency_key_reused", detail: "idempotency key 'k-1' was first used with a different request" }),
    );
    const again = await c.send({ method: "DELETE", path: `/api/tenants/${t}/records/r1`, query: "expected_version=1", headers: c.keyed("k-1") }, t);
    expect({ status: again.status, body: again.body, replayed: again.headers["idempotent-replayed"] }).toEqual({ status: 404, body: first.body, replayed: "true" });
  });

  test.each<[string, number, string]>([
    ["128 characters", 201, "k".repeat(128)],
    ["the allowed punctuation", 201, "a_b.c:d-e"],
    ["129 characters", 400, "k".repeat(129)],
    ["a slash", 400, "a/b"],
  ])("a key of %s: status %s", async (_label, status, key) => {
    const c = cellAt();
    const t = await c.tenant();
    const reply = await c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }), headers: c.keyed(key) }, t);
    expect(reply.status).toBe(status);
    if (status === 400) expect(reply.json.detail).toMatch(/^idempotency-key must match/);
  });

  test("a refused key is quoted in the answer up to 140 characters", async () => {
    const c = cellAt();
    const t = await c.tenant();
    const key = `${"k".repeat(139)}/${"z".repeat(60)}`;
    const reply = await c.send({ method: "PUT", path: `/api/tenants/${t}/records/r1`, body: JSON.stringify({ data: {} }), headers: c.keyed(key) }, t);
    expect(reply.json.detail).toBe(`idempotency-key must match /^[A-Za-z0-9_.:-]{1,128}$/, got '${key.slice(0, 140)}'`);
  });
});

describe("races between look-up, plan and commit", () => {
  const NOW = 1_780_000_000_000;
  const REQ: CellRequest = { method: "PUT", path: "/api/tenants/T-1/records/r1", query: "", headers: {}, body: bytes('{"data":{}}') };
  const PLANNED: PlannedWrite = { write: {} as PlannedWrite["write"], outcome: { status: 201, body: '{"mine":true}' } };

  /** A store whose keyed-write methods a test scripts; `entries` are what successive look-ups find. */
  function scriptedStore(script: { entries?: Array<IdempotencyEntry | undefined | Error>; saved?: boolean[] }) {
    const calls: string[] = [];
    const store = {
      idempotencyEntry: async () => {
        calls.push("lookUp");
        const next = script.entries?.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      saveOutcome: async (_t: string, entry: IdempotencyEntry) => {
        calls.push(`save ${entry.status}`);
        return script.saved?.shift() ?? true;
      },
    } as unknown as TenantStore;
    return { store, calls };
  }

  const work = (overrides: Partial<KeyedWork> = {}): KeyedWork & { commits: IdempotencyEntry[] } => {
    const commits: IdempotencyEntry[] = [];
    return {
      commits,
      plan: async () => PLANNED,
      commit: async (_planned, entry) => void commits.push(entry),
      answerFor: (error) => (error instanceof VersionConflictError ? { status: 409, body: '{"conflict":true}' } : undefined),
      ...overrides,
    };
  };

  const run = (store: TenantStore, w: KeyedWork, logs: Array<Record<string, unknown>> = []) =>
    runKeyedWrite({ store, clock: { now: () => NOW }, logger: { log: (e) => void logs.push(e) } }, "T-1", "k-1", REQ, w);

  const winnerOf = async (outcome: { status: number; body: string }): Promise<IdempotencyEntry> => ({
    key: "k-1",
    fingerprint: await fingerprint(REQ),
    ...outcome,
    expiresAtSec: NOW / 1000 + 60,
    writtenAtSec: NOW / 1000,
  });

  test("a write commits once with its answer, keyed and timed", async () => {
    const { store } = scriptedStore({});
    const w = work();
    expect(await run(store, w)).toEqual({ outcome: PLANNED.outcome, replayed: false });
    expect(w.commits).toEqual([{ key: "k-1", fingerprint: await fingerprint(REQ), ...PLANNED.outcome, writtenAtSec: NOW / 1000, expiresAtSec: NOW / 1000 + IDEMPOTENCY_TTL_SECONDS }]);
  });

  test("a stored answer is replayed without planning the write again", async () => {
    const winner = await winnerOf({ status: 201, body: '{"first":true}' });
    const { store, calls } = scriptedStore({ entries: [winner] });
    let planned = 0;
    const w = work({ plan: async () => (planned++, PLANNED) });
    expect(await run(store, w)).toEqual({ outcome: { status: 201, body: '{"first":true}' }, replayed: true });
    expect({ planned, commits: w.commits.length, calls }).toEqual({ planned: 0, commits: 0, calls: ["lookUp"] });
  });

  test("when another request with the key commits first, its answer is replayed", async () => {
    const winner = await winnerOf({ status: 200, body: '{"theirs":true}' });
    const { store } = scriptedStore({ entries: [undefined, winner] });
    const w = work({ commit: async () => Promise.reject(new IdempotencyKeyTakenError("taken")) });
    expect(await run(store, w)).toEqual({ outcome: { status: 200, body: '{"theirs":true}' }, replayed: true });
  });

  test("a key taken by a write whose answer cannot be read is a store failure, not a second write", async () => {
    const { store } = scriptedStore({ entries: [undefined, undefined] });
    const w = work({ commit: async () => Promise.reject(new IdempotencyKeyTakenError("taken")) });
    await expect(run(store, w)).rejects.toThrow(new StoreUnavailableError("idempotency key 'k-1' was taken but its answer cannot be read"));
  });

  test("a refusal stored by another request first is the answer", async () => {
    const winner = await winnerOf({ status: 409, body: '{"theirs":true}' });
    const { store, calls } = scriptedStore({ entries: [undefined, winner], saved: [false] });
    const w = work({ plan: async () => Promise.reject(new VersionConflictError("T-1", "r1", "conflict")) });
    expect(await run(store, w)).toEqual({ outcome: { status: 409, body: '{"theirs":true}' }, replayed: true });
    expect(calls).toEqual(["lookUp", "save 409", "lookUp"]);
  });

  test("a refusal whose key is taken by an answer nobody can read is a store failure", async () => {
    const { store } = scriptedStore({ entries: [undefined, undefined], saved: [false] });
    const w = work({ plan: async () => Promise.reject(new VersionConflictError("T-1", "r1", "conflict")) });
    await expect(run(store, w)).rejects.toThrow(new StoreUnavailableError("idempotency key 'k-1' was taken but its answer cannot be read"));
  });

  test("a write that loses a version race at commit stores its refusal", async () => {
    const { store, calls } = scriptedStore({});
    const w = work({ commit: async () => Promise.reject(new VersionConflictError("T-1", "r1", "lost")) });
    expect(await run(store, w)).toEqual({ outcome: { status: 409, body: '{"conflict":true}' }, replayed: false });
    expect(calls).toEqual(["lookUp", "save 409"]);
  });

  /** Answers every error, so only `runKeyedWrite`'s own rule keeps an error from being stored. */
  const storesAnything = (error: unknown) => ({ status: 409, body: JSON.stringify({ stored: String(error) }) });
  const fenced = () => new TenantNotServedError("T-1", anOwnership("T-1", { state: "fenced" }), true);

  test.each<[string, () => Error]>([
    ["a tenant the cell does not serve", fenced],
    ["a store that does not answer", () => new StoreUnavailableError("ETIMEDOUT")],
  ])("planning against %s is thrown, never stored", async (_label, make) => {
    const error = make();
    const { store, calls } = scriptedStore({});
    await expect(run(store, work({ plan: async () => Promise.reject(error), answerFor: storesAnything }))).rejects.toBe(error);
    expect(calls).toEqual(["lookUp"]);
  });

  test("a tenant fenced at commit is thrown and not stored", async () => {
    const error = fenced();
    const { store, calls } = scriptedStore({});
    await expect(run(store, work({ commit: async () => Promise.reject(error), answerFor: storesAnything }))).rejects.toBe(error);
    expect(calls).toEqual(["lookUp"]);
  });

  test("a domain error the work does not answer is thrown", async () => {
    const error = new VersionConflictError("T-1", "r1", "conflict");
    const { store, calls } = scriptedStore({});
    await expect(run(store, work({ commit: async () => Promise.reject(error), answerFor: () => undefined }))).rejects.toBe(error);
    await expect(run(store, work({ plan: async () => Promise.reject(error), answerFor: () => undefined }))).rejects.toBe(error);
    expect(calls).toEqual(["lookUp", "lookUp"]);
  });

  test("a store that fails at commit and at the look-up after it: the commit's error stands, no answer is made up", async () => {
    const cut = new StoreUnavailableError("connection reset");
    const { store, calls } = scriptedStore({ entries: [undefined, new Error("still down")] });
    const logs: Array<Record<string, unknown>> = [];
    await expect(run(store, work({ commit: async () => Promise.reject(cut) }), logs)).rejects.toBe(cut);
    expect(calls).toEqual(["lookUp", "lookUp"]);
    expect(logs).toEqual([]);
  });

  test("an unknown failure at commit after which the key holds the answer is replayed, with a warning", async () => {
    const winner = await winnerOf(PLANNED.outcome);
    const { store } = scriptedStore({ entries: [undefined, winner] });
    const logs: Array<Record<string, unknown>> = [];
    expect(await run(store, work({ commit: async () => Promise.reject(new TypeError("socket hang up")) }), logs)).toEqual({ outcome: PLANNED.outcome, replayed: true });
    expect(logs).toEqual([expect.objectContaining({ level: "warn", tenantId: "T-1", key: "k-1", error: "TypeError: socket hang up" })]);
  });
});
