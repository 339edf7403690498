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
    ["missing", null, /missing/],
    ["not JSON", "{oops", /not valid JSON/],
    ["an array", "[]", /not a JSON object/],
    ["wrong version", cell({ v: 2 }), /v must be 1/],
    ["bad cell id", cell({ cellId: "Alpha" }), /cellId is invalid/],
    ["unknown cloud", cell({ cloud: "gcp" }), /cloud must be one of aws, azure/],
    ["empty region", cell({ region: "" }), /region/],
    ["unknown status", cell({ status: "sleeping" }), /status must be one of active, draining, down/],
    ["http url in the cloud", cell({ url: "http://abc.example.com" }), /must use https/],
    ["http url to a loopback host in the cloud", cell({ url: "http://127.0.0.1:8080" }), /must use https/],
    ["url with credentials", cell({ url: "https://u:p@x.example.com" }), /credentials/],
    ["url with a query", cell({ url: "https://x.example.com/?a=1" }), /query/],
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
    expect(checkCellUrl("http://10.0.0.1:9000", localPolicy).ok).toBe(false);
    expect(checkCellUrl("ftp://127.0.0.1", localPolicy).ok).toBe(false);
  });

  test("a valid tenant entry parses", () => {
    expect(parseTenantEntry(tenant(), "T-100")).toEqual({ ok: true, value: { v: 1, tenantId: "T-100", cellId: "alpha", status: "active", epoch: 3 } });
  });

  test.each<[string, string, RegExp]>([
    ["bad tenant id", tenant({ tenantId: "T 100" }), /tenantId is invalid/],
    ["entry under another tenant's key", tenant({ tenantId: "T-999" }), /names tenant 'T-999'/],
    ["bad cell id", tenant({ cellId: 7 }), /cellId is invalid/],
    ["unknown status", tenant({ status: "frozen" }), /status must be one of active, read_only, migrating/],
    ["negative epoch", tenant({ epoch: -1 }), /epoch/],
    ["fractional epoch", tenant({ epoch: 1.5 }), /epoch/],
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

  test("refuses a tenant on a cell that does not exist, naming the cells that do", () => {
    expect(() => buildRegistryEntries(cells, [{ tenantId: "T-1", cellId: "gamma" }])).toThrow(/'T-1' is placed on cell 'gamma', which is not one of: alpha, beta/);
  });

  test("refuses duplicate ids and invalid ids", () => {
    expect(() => buildRegistryEntries([...cells, cells[0]!], [])).toThrow(/duplicate cellId 'alpha'/);
    expect(() => buildRegistryEntries(cells, [{ tenantId: "T-1", cellId: "alpha" }, { tenantId: "T-1", cellId: "beta" }])).toThrow(/duplicate tenantId/);
    expect(() => buildRegistryEntries([{ ...cells[0]!, cellId: "Alpha" }], [])).toThrow(/cellId must match/);
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
