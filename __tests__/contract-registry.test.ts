import { PROBLEMS, buildRegistryEntries, cellKey, checkCellUrl, parseCellEntry, parseTenantEntry, problem, problemCode, tenantKey } from "../contract";

const cloudPolicy = { allowLoopbackHttp: false };
const localPolicy = { allowLoopbackHttp: true };
const cell = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://abc.execute-api.us-east-1.amazonaws.com", status: "active", ...overrides });
const tenant = (overrides: Record<string, unknown> = {}) => JSON.stringify({ v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 3, ...overrides });

describe("registry entries", () => {
  test("key names", () => {
    expect(cellKey("alpha")).toBe("cell:alpha");
    expect(tenantKey("T-100")).toBe("tenant:T-100");
  });

  test("a valid cell entry parses, trailing slashes trimmed", () => {
    expect(parseCellEntry(cell({ url: "https://x.example.com/" }), cloudPolicy, "alpha")).toEqual({
      ok: true,
      value: { v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://x.example.com", status: "active" },
    });
  });

  test.each<[string, string | null, RegExp]>([
    ["missing", null, /^cell entry is missing$/],
    ["not JSON", "{oops", /^cell entry is not valid JSON$/],
    ["an array", "[]", /^cell entry is not a JSON object$/],
    ["JSON null", "null", /^cell entry is not a JSON object$/],
    ["a JSON string", '"cell"', /^cell entry is not a JSON object$/],
    ["wrong version", cell({ v: 2 }), /v must be 1/],
    ["without a version", cell({ v: undefined }), /v must be 1, got undefined/],
    ["a version in a string", cell({ v: "1" }), /v must be 1/],
    ["bad cell id", cell({ cellId: "Alpha" }), /cellId is invalid/],
    ["unknown cloud", cell({ cloud: "gcp" }), /cloud must be one of aws, azure/],
    ["empty region", cell({ region: "" }), /region/],
    ["a region that is not a string", cell({ region: 5 }), /region must be a non-empty string/],
    ["a null region", cell({ region: null }), /region must be a non-empty string/],
    ["no region", cell({ region: undefined }), /region must be a non-empty string/],
    ["unknown status", cell({ status: "sleeping" }), /status must be one of active, draining, down/],
    ["http url in the cloud", cell({ url: "http://abc.example.com" }), /must use https/],
    ["http url to a loopback host in the cloud", cell({ url: "http://127.0.0.1:8080" }), /must use https/],
    ["url with credentials", cell({ url: "https://u:p@x.example.com" }), /credentials/],
    ["url with a user name only", cell({ url: "https://u@x.example.com" }), /credentials/],
    ["url with a password only", cell({ url: "https://:p@x.example.com" }), /credentials/],
    ["url with a query", cell({ url: "https://x.example.com/?a=1" }), /query/],
    ["url with a fragment", cell({ url: "https://x.example.com/#top" }), /query or fragment/],
    ["url that is not a string", cell({ url: 443 }), /url must be a string/],
    ["not a url", cell({ url: "nope" }), /not a valid URL/],
    ["entry under another cell's key", cell({ cellId: "beta" }), /names cell 'beta'/],
  ])("a cell entry that is %s is an error value", (_label, text, message) => {
    const result = parseCellEntry(text, cloudPolicy, "alpha");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  test("local mode accepts http only on loopback", () => {
    expect(checkCellUrl("http://127.0.0.1:9000", localPolicy)).toEqual({ ok: true, value: "http://127.0.0.1:9000" });
    expect(checkCellUrl("http://localhost:9000", localPolicy).ok).toBe(true);
    expect(checkCellUrl("http://[::1]:9000", localPolicy).ok).toBe(true);
    expect(checkCellUrl("https://10.0.0.1:9000", localPolicy).ok).toBe(true);
    expect(checkCellUrl("http://127.0.0.1:9000", cloudPolicy)).toEqual({ ok: false, error: "url must use https, got 'http://127.0.0.1:9000'" });
    expect(checkCellUrl("http://10.0.0.1:9000", localPolicy)).toEqual({ ok: false, error: "url must use https (or http on loopback), got 'http://10.0.0.1:9000'" });
    expect(checkCellUrl("http://10.0.0.1:9000", localPolicy).ok).toBe(false);
    expect(checkCellUrl("ftp://127.0.0.1", localPolicy).ok).toBe(false);
  });

  test("every trailing slash is trimmed from a cell URL, and nothing else", () => {
    expect(checkCellUrl("https://x.example.com//", cloudPolicy)).toEqual({ ok: true, value: "https://x.example.com" });
    expect(checkCellUrl("https://x.example.com/stage/", cloudPolicy)).toEqual({ ok: true, value: "https://x.example.com/stage" });
    expect(checkCellUrl("https://x.example.com/a/b", cloudPolicy)).toEqual({ ok: true, value: "https://x.example.com/a/b" });
  });

  test("without an expected id, an entry parses whatever id it names", () => {
    expect(parseCellEntry(cell({ cellId: "beta" }), cloudPolicy)).toEqual(expect.objectContaining({ ok: true, value: expect.objectContaining({ cellId: "beta" }) }));
    expect(parseTenantEntry(tenant({ tenantId: "T-9" }))).toEqual(expect.objectContaining({ ok: true, value: expect.objectContaining({ tenantId: "T-9" }) }));
  });

  test("a valid tenant entry parses", () => {
    expect(parseTenantEntry(tenant(), "T-100")).toEqual({ ok: true, value: { v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 3 } });
    expect(parseTenantEntry(tenant({ epoch: 0, status: "migrating" }), "T-100")).toEqual({ ok: true, value: { v: 1, tenantId: "T-100", cellId: "alpha", status: "migrating", epoch: 0 } });
    expect(parseTenantEntry(tenant({ epoch: Number.MAX_SAFE_INTEGER }), "T-100").ok).toBe(true);
  });

  test.each<[string, string | null | undefined, RegExp]>([
    ["nothing stored", null, /tenant entry is missing/],
    ["no text", undefined, /tenant entry is missing/],
    ["text that is not JSON", "{oops", /tenant entry is not valid JSON/],
    ["JSON null", "null", /tenant entry is not a JSON object/],
    ["an array", "[]", /tenant entry is not a JSON object/],
    ["version 2", tenant({ v: 2 }), /tenant entry v must be 1, got 2/],
    ["no version", tenant({ v: undefined }), /tenant entry v must be 1/],
    ["bad tenant id", tenant({ tenantId: "T 100" }), /tenantId is invalid/],
    ["entry under another tenant's key", tenant({ tenantId: "T-999" }), /names tenant 'T-999'/],
    ["bad cell id", tenant({ cellId: 7 }), /cellId is invalid/],
    ["unknown status", tenant({ status: "frozen" }), /status must be one of active, read_only, migrating/],
    ["negative epoch", tenant({ epoch: -1 }), /epoch/],
    ["fractional epoch", tenant({ epoch: 1.5 }), /epoch/],
    ["an epoch in a string", tenant({ epoch: "3" }), /epoch must be a non-negative integer, got "3"/],
    ["no epoch", tenant({ epoch: undefined }), /epoch must be a non-negative integer/],
    ["an epoch past the safe integers", tenant({ epoch: 2 ** 53 }), /epoch/],
  ])("a tenant entry with %s is an error value", (_label, text, message) => {
    const result = parseTenantEntry(text, "T-100");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe("buildRegistryEntries", () => {
  const cells = [
    { cellId: "alpha", cloud: "aws" as const, region: "us-east-1", url: "https://a.example.com" },
    { cellId: "beta", cloud: "azure" as const, region: "eastus", url: "https://b.example.com" },
  ];

  test("writes one entry per cell and tenant that the parsers accept back", () => {
    const entries = buildRegistryEntries(cells, [{ tenantId: "T-100", cellId: "alpha" }, { tenantId: "T-200", cellId: "beta", status: "read_only", epoch: 4 }]);
    expect(entries.map((e) => e.key)).toEqual(["cell:alpha", "cell:beta", "tenant:T-100", "tenant:T-200"]);
    const byKey = new Map(entries.map((e) => [e.key, e.value]));
    expect(parseCellEntry(byKey.get("cell:beta"), cloudPolicy, "beta")).toEqual({ ok: true, value: { v: 1, ...cells[1], status: "active" } });
    expect(parseTenantEntry(byKey.get("tenant:T-200"), "T-200")).toEqual({ ok: true, value: { v: 1, tenantId: "T-200", cellId: "beta", status: "read_only", epoch: 4 } });
  });

  test("a tenant is active at epoch 1 and a cell active unless they say otherwise", () => {
    const entries = buildRegistryEntries([{ ...cells[0]!, status: "draining" }], [{ tenantId: "T-100", cellId: "alpha" }]);
    expect(entries.map((e) => JSON.parse(e.value))).toEqual([
      { v: 1, cellId: "alpha", cloud: "aws", region: "us-east-1", url: "https://a.example.com", status: "draining" },
      { v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 1 },
    ]);
  });

  test("refuses a tenant on a cell that does not exist, naming the cells that do", () => {
    expect(() => buildRegistryEntries(cells, [{ tenantId: "T-1", cellId: "gamma" }])).toThrow(/'T-1' is placed on cell 'gamma', which is not one of: alpha, beta/);
  });

  test("refuses duplicate ids and invalid ids", () => {
    expect(() => buildRegistryEntries([...cells, cells[0]!], [])).toThrow(/duplicate cellId 'alpha'/);
    expect(() => buildRegistryEntries(cells, [{ tenantId: "T-1", cellId: "alpha" }, { tenantId: "T-1", cellId: "beta" }])).toThrow(/duplicate tenantId/);
    expect(() => buildRegistryEntries([{ ...cells[0]!, cellId: "Alpha" }], [])).toThrow(/cellId must match/);
    expect(() => buildRegistryEntries(cells, [{ tenantId: "T 1", cellId: "alpha" }])).toThrow("tenantId must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got 'T 1'");
    expect(buildRegistryEntries(cells, [])).toHaveLength(2);
  });
});

describe("problem bodies", () => {
  test("carry type, title, status, detail and requestId, and round-trip to their code", () => {
    const p = problem("unknown_tenant", "tenant 'T-9' is not registered", "req-1");
    expect(p).toEqual({ type: "urn:problem-type:cells:unknown_tenant", title: PROBLEMS.unknown_tenant.title, status: 404, detail: "tenant 'T-9' is not registered", requestId: "req-1" });
    expect(problemCode(JSON.parse(JSON.stringify(p)))).toBe("unknown_tenant");
    expect(problemCode({ type: "about:blank" })).toBeUndefined();
  });

  test("extensions cannot overwrite the standard members", () => {
    expect(problem("internal", "d", "r", { status: 200, extra: 1 })).toEqual(expect.objectContaining({ status: 500, extra: 1 }));
  });
});
