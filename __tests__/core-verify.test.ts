import { AuthError, CELL_WIDE_TENANT, staticKeySource, verifyRequest, type CellRequest, type KeyScope, type NonceStore, type VerifierDeps } from "../cells/core";
import { Headers, SIGNATURE_WINDOW_SECONDS, signatureHeaders, type SigningKey } from "../contract";
import { InMemoryNonceStore } from "./support/in-memory-stores";

/**
 * Signature verification at its edges, through `verifyRequest` with a fixed clock: the timestamp
 * window to the second, how long a nonce is remembered, the header formats, the key scopes, and the
 * order of the checks (nothing is revealed to, and no nonce spent by, a caller without a valid signature).
 */

const EDGE: SigningKey = { keyId: "alpha-v1", secret: "edge-secret-0123456789abcdef" };
const ADMIN: SigningKey = { keyId: "alpha-admin-v1", secret: "admin-secret-0123456789abcdef" };
/** The cell's clock: a whole second, so `NOW_SEC` is exact. */
const NOW_SEC = 1_780_000_000;
const NONCE = "0123456789abcdef0123456789abcdef";

/** What `claim` was asked, and the in-memory store's answer. */
function recordingNonces(): NonceStore & { claims: Array<[string, string, number, number]> } {
  const inner = new InMemoryNonceStore();
  const claims: Array<[string, string, number, number]> = [];
  return {
    claims,
    claim: async (tenantId, nonce, expiresAtSec, nowSec) => {
      claims.push([tenantId, nonce, expiresAtSec, nowSec]);
      return inner.claim(tenantId, nonce, expiresAtSec, nowSec);
    },
  };
}

function verifier(overrides: Partial<VerifierDeps> & { nowMs?: number } = {}) {
  const nonces = recordingNonces();
  let nowMs = overrides.nowMs ?? NOW_SEC * 1000;
  const deps: VerifierDeps = {
    cellId: "alpha",
    keyIds: { edge: EDGE.keyId, admin: ADMIN.keyId },
    keys: staticKeySource({ [EDGE.keyId]: EDGE.secret, [ADMIN.keyId]: ADMIN.secret }),
    nonces,
    clock: { now: () => nowMs },
    ...overrides,
  };
  return { deps, nonces, setNow: (ms: number) => void (nowMs = ms) };
}

interface Spec {
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly body?: string;
  readonly tenantId?: string;
  readonly cellId?: string;
  readonly timestamp?: number;
  readonly nonce?: string;
  readonly key?: SigningKey;
  /** Header values to set (or, with undefined, remove) after signing. */
  readonly headers?: Record<string, string | undefined>;
}

/** A request signed the way the router signs it, then changed as `spec.headers` says. */
async function request(spec: Spec = {}): Promise<CellRequest> {
  const method = spec.method ?? "PUT";
  const path = spec.path ?? "/api/tenants/T-1/records/r1";
  const query = spec.query ?? "";
  const body = new TextEncoder().encode(spec.body ?? (method === "GET" ? "" : '{"data":{}}'));
  const signed = await signatureHeaders(spec.key ?? EDGE, {
    method,
    path,
    query,
    body,
    cellId: spec.cellId ?? "alpha",
    tenantId: spec.tenantId ?? "T-1",
    timestamp: spec.timestamp ?? NOW_SEC,
    nonce: spec.nonce ?? NONCE,
  });
  const headers: Record<string, string> = { ...signed };
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { method, path, query, headers, body };
}

/**
 * The verification's outcome: the verified tenant, or the refusal's reason and message. `route` is
 * what the route names: its tenant (none: undefined) and its key scope; by default T-1's data route.
 */
async function outcome(req: CellRequest, deps: VerifierDeps, route: { readonly tenantId?: string; readonly scope?: KeyScope } = { tenantId: "T-1" }) {
  try {
    return { ok: true, ...(await verifyRequest(req, route.tenantId, route.scope ?? "edge", deps)) };
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return { ok: false, reason: error.reason, message: error.message };
  }
}

const refused = (reason: string, message: RegExp = /./) => ({ ok: false, reason, message: expect.stringMatching(message) });

describe("the timestamp window", () => {
  test.each<[string, boolean, number]>([
    ["exactly the window behind", true, NOW_SEC - SIGNATURE_WINDOW_SECONDS],
    ["exactly the window ahead", true, NOW_SEC + SIGNATURE_WINDOW_SECONDS],
    ["one second more behind", false, NOW_SEC - SIGNATURE_WINDOW_SECONDS - 1],
    ["one second more ahead", false, NOW_SEC + SIGNATURE_WINDOW_SECONDS + 1],
  ])("a request signed %s: accepted %s", async (_label, accepted, timestamp) => {
    const { deps } = verifier();
    expect(await outcome(await request({ timestamp }), deps)).toEqual(accepted ? { ok: true, tenantId: "T-1" } : refused("stale_request", new RegExp(`more than ${SIGNATURE_WINDOW_SECONDS}s`)));
  });

  test("the cell's clock counts whole seconds, rounded down", async () => {
    const { deps } = verifier({ nowMs: (NOW_SEC + SIGNATURE_WINDOW_SECONDS) * 1000 + 999 });
    expect(await outcome(await request(), deps)).toEqual({ ok: true, tenantId: "T-1" });
    const { deps: early } = verifier({ nowMs: (NOW_SEC - SIGNATURE_WINDOW_SECONDS) * 1000 - 1 });
    expect(await outcome(await request(), early)).toEqual(refused("stale_request"));
  });
});

describe("nonces", () => {
  test("a write's nonce is remembered until one second past the end of its timestamp's window", async () => {
    const { deps, nonces } = verifier();
    await outcome(await request({ timestamp: NOW_SEC - 10 }), deps);
    expect(nonces.claims).toEqual([["T-1", NONCE, NOW_SEC - 10 + SIGNATURE_WINDOW_SECONDS + 1, NOW_SEC]]);
  });

  test("a write replayed in the last second of its window is refused", async () => {
    const { deps, setNow } = verifier();
    const write = await request();
    expect(await outcome(write, deps)).toEqual({ ok: true, tenantId: "T-1" });
    setNow((NOW_SEC + SIGNATURE_WINDOW_SECONDS) * 1000 + 999);
    expect(await outcome(write, deps)).toEqual(refused("replayed_request", /nonce reused/));
  });

  test("the same nonce is another tenant's own", async () => {
    const { deps } = verifier();
    expect(await outcome(await request(), deps)).toEqual({ ok: true, tenantId: "T-1" });
    expect(await outcome(await request({ tenantId: "T-2", path: "/api/tenants/T-2/records/r1" }), deps, { tenantId: "T-2" })).toEqual({ ok: true, tenantId: "T-2" });
  });

  test.each(["GET", "HEAD", "get"])("a %s spends no nonce and may be repeated", async (method) => {
    const { deps, nonces } = verifier();
    const read = await request({ method, body: "" });
    expect(await outcome(read, deps)).toEqual({ ok: true, tenantId: "T-1" });
    expect(await outcome(read, deps)).toEqual({ ok: true, tenantId: "T-1" });
    expect(nonces.claims).toEqual([]);
  });

  test.each(["POST", "DELETE", "PATCH"])("a %s spends its nonce", async (method) => {
    const { deps, nonces } = verifier();
    await outcome(await request({ method }), deps);
    expect(nonces.claims).toHaveLength(1);
  });
});

describe("header formats", () => {
  test.each([Headers.cellId, Headers.tenantId, Headers.timestamp, Headers.nonce, Headers.keyId, Headers.signature])("a request without %s is unauthenticated", async (name) => {
    const { deps } = verifier();
    expect(await outcome(await request({ headers: { [name]: undefined } }), deps)).toEqual(refused("unauthenticated", new RegExp(`missing signature headers: ${name}$`)));
    expect(await outcome(await request({ headers: { [name]: "" } }), deps)).toEqual(refused("unauthenticated", /missing signature headers/));
  });

  test("every missing header is named", async () => {
    const { deps } = verifier();
    expect(await outcome({ method: "GET", path: "/", query: "", headers: {}, body: new Uint8Array() }, deps)).toEqual(
      refused("unauthenticated", /^missing signature headers: x-cell-id, x-tenant-id, x-edge-timestamp, x-edge-nonce, x-edge-key-id, x-edge-signature$/),
    );
  });

  test.each(["soon", "1780000000x", "x1780000000", "1780000000.0", "-1780000000", " 1780000000", "0x6a1a2e80", "1e9", "1234567890123"])(
    "a timestamp of %p is unauthenticated (never a 500, never a window check)",
    async (timestamp) => {
      const { deps } = verifier();
      expect(await outcome(await request({ headers: { [Headers.timestamp]: timestamp } }), deps)).toEqual(refused("unauthenticated", /x-edge-timestamp must be unix seconds/));
    },
  );

  test.each<[string, boolean, string]>([
    ["15 characters", false, "a".repeat(15)],
    ["16 characters", true, "a".repeat(16)],
    ["128 characters", true, "a".repeat(128)],
    ["129 characters", false, "a".repeat(129)],
    ["URL-safe characters", true, "AZaz09_-AZaz09_-"],
    ["a plus sign", false, "AZaz09_-AZaz09_+"],
    ["a slash", false, "AZaz09_-AZaz09_/"],
    ["a space", false, "AZaz09_-AZaz09_ "],
    ["a dot", false, "AZaz09_-AZaz09_."],
  ])("a nonce of %s: accepted %s", async (_label, accepted, nonce) => {
    const { deps } = verifier();
    expect(await outcome(await request({ nonce }), deps)).toEqual(accepted ? { ok: true, tenantId: "T-1" } : refused("unauthenticated", /x-edge-nonce must be 16 to 128 URL-safe characters/));
  });

  test("a signed tenant id that breaks the pattern is unauthenticated, also when the route names the same text", async () => {
    const { deps } = verifier();
    expect(await outcome(await request({ tenantId: "T 1" }), deps, { tenantId: "T 1" })).toEqual(refused("unauthenticated", /x-tenant-id is not a valid tenant id/));
  });
});

describe("key scopes", () => {
  const cellWide = async (spec: Spec, routeTenantId: string, scope: KeyScope, deps = verifier().deps) =>
    outcome(await request({ method: "GET", path: "/admin/tenants", body: "", tenantId: CELL_WIDE_TENANT, key: ADMIN, ...spec }), deps, { tenantId: routeTenantId, scope });

  test("the cell-wide tenant is accepted only on a cell-wide admin route", async () => {
    expect(await cellWide({}, CELL_WIDE_TENANT, "admin")).toEqual({ ok: true, tenantId: CELL_WIDE_TENANT });
    expect(await cellWide({ tenantId: "T 1" }, CELL_WIDE_TENANT, "admin")).toEqual(refused("unauthenticated", /not a valid tenant id/));
    expect(await cellWide({}, "T-1", "admin")).toEqual(refused("unauthenticated", /not a valid tenant id/));
    expect(await cellWide({ key: EDGE }, CELL_WIDE_TENANT, "edge")).toEqual(refused("unauthenticated", /not a valid tenant id/));
  });

  test("a tenant's admin request is signed for that tenant", async () => {
    const { deps } = verifier();
    const req = await request({ method: "GET", path: "/admin/tenants/T-1/ownership", body: "", key: ADMIN });
    expect(await outcome(req, deps, { tenantId: "T-1", scope: "admin" })).toEqual({ ok: true, tenantId: "T-1" });
    expect(await outcome(req, deps, { tenantId: CELL_WIDE_TENANT, scope: "admin" })).toEqual(refused("tenant_mismatch"));
  });

  test("each scope takes only its own key", async () => {
    const { deps } = verifier();
    expect(await outcome(await request({ key: ADMIN }), deps, { tenantId: "T-1", scope: "edge" })).toEqual(refused("unauthenticated", /unknown signing key 'alpha-admin-v1'/));
    expect(await outcome(await request({ key: EDGE }), deps, { tenantId: "T-1", scope: "admin" })).toEqual(refused("unauthenticated", /admin routes need this cell's admin key; 'alpha-v1' is not it/));
    expect(await outcome(await request({ key: ADMIN }), deps, { tenantId: "T-1", scope: "replication" })).toEqual(
      refused("unauthenticated", /replication needs the tenant's link key on this cell; 'alpha-admin-v1' is not it/),
    );
  });

  test("without an admin key id the admin API is closed, whatever the key source knows", async () => {
    const { deps } = verifier({ keyIds: { edge: EDGE.keyId } });
    expect(await outcome(await request({ key: ADMIN }), deps, { tenantId: "T-1", scope: "admin" })).toEqual(refused("unauthenticated"));
  });

  test("a key id the source does not know is unauthenticated", async () => {
    const { deps } = verifier({ keys: staticKeySource({}) });
    expect(await outcome(await request(), deps)).toEqual(refused("unauthenticated", /unknown signing key 'alpha-v1'/));
  });

  test("a configured key id that breaks the key id pattern is never looked up", async () => {
    const bad: SigningKey = { keyId: "Alpha V1", secret: EDGE.secret };
    const asked: string[] = [];
    const keys = { secretFor: async (keyId: string) => (asked.push(keyId), bad.secret) };
    const { deps } = verifier({ keyIds: { edge: bad.keyId }, keys });
    expect(await outcome(await request({ key: bad }), deps)).toEqual(refused("unauthenticated", /unknown signing key/));
    expect(asked).toEqual([]);
  });
});

describe("the order of the checks", () => {
  const forged = { [Headers.signature]: "00".repeat(32) };

  test("a valid signature for another cell is misdirected; with a bad signature it is only unauthenticated", async () => {
    const { deps } = verifier();
    expect(await outcome(await request({ cellId: "beta" }), deps)).toEqual(refused("misdirected_request", /signed for cell 'beta', this is cell 'alpha'/));
    expect(await outcome(await request({ cellId: "beta", headers: forged }), deps)).toEqual(refused("unauthenticated", /signature does not match/));
  });

  test("a stale request with a bad signature is unauthenticated, and spends no nonce", async () => {
    const { deps, nonces } = verifier();
    expect(await outcome(await request({ timestamp: NOW_SEC - 600, headers: forged }), deps)).toEqual(refused("unauthenticated"));
    expect(await outcome(await request({ timestamp: NOW_SEC - 600 }), deps)).toEqual(refused("stale_request"));
    expect(nonces.claims).toEqual([]);
  });

  test("a request naming another tenant than it was signed for is refused before its nonce is spent", async () => {
    const { deps, nonces } = verifier();
    expect(await outcome(await request(), deps, { tenantId: "T-2" })).toEqual(refused("tenant_mismatch", /signed for tenant 'T-1' but names tenant 'T-2'/));
    expect(nonces.claims).toEqual([]);
    expect(await outcome(await request(), deps, { tenantId: "T-1" })).toEqual({ ok: true, tenantId: "T-1" });
  });

  test("a route that names no tenant takes the signed one", async () => {
    const { deps } = verifier();
    expect(await outcome(await request(), deps, {})).toEqual({ ok: true, tenantId: "T-1" });
  });
});

describe("key sources", () => {
  test("a static source knows its own key ids only, never an object's inherited names", async () => {
    const keys = staticKeySource({ "alpha-v1": "s1" });
    expect(await Promise.all(["alpha-v1", "beta-v1", "constructor", "toString"].map((id) => keys.secretFor(id)))).toEqual(["s1", undefined, undefined, undefined]);
  });
});
