import { resolveTenant, type TenantInput } from "../router/tenant";

const body = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
const input = (overrides: Partial<TenantInput>): TenantInput => ({ header: null, path: "/healthz", body: new Uint8Array(0), ...overrides });

describe("tenant resolution", () => {
  test.each<[string, Partial<TenantInput>, string, string[]]>([
    ["the X-Tenant-Id header", { header: "T-100" }, "T-100", ["header"]],
    ["the header, trimmed", { header: " T-100 " }, "T-100", ["header"]],
    ["the path", { path: "/api/tenants/T-100/records" }, "T-100", ["path"]],
    ["the path with nothing after the id", { path: "/api/tenants/T-100" }, "T-100", ["path"]],
    ["a percent-encoded path segment", { path: "/api/tenants/T%2D100/records/r" }, "T-100", ["path"]],
    ["the body's tenant_id", { path: "/api/process", body: body({ tenant_id: "T-200", x: 1 }) }, "T-200", ["body"]],
    ["header and path that agree", { header: "T-100", path: "/api/tenants/T-100/records" }, "T-100", ["header", "path"]],
    ["all three agreeing", { header: "T-1", path: "/api/tenants/T-1/records/r", body: body({ tenant_id: "T-1", data: {} }) }, "T-1", ["header", "path", "body"]],
    ["the path, with a body that is not JSON (the cell's business)", { path: "/api/tenants/T-1/records/r", body: body("not json") }, "T-1", ["path"]],
    ["the header, with a JSON body that has no tenant_id", { header: "T-1", body: body({ data: 1 }) }, "T-1", ["header"]],
    ["the header, with a JSON array body", { header: "T-1", body: body([1, 2]) }, "T-1", ["header"]],
    ["the header, with a JSON null body", { header: "T-1", body: body("null") }, "T-1", ["header"]],
    ["the header, with a JSON number body", { header: "T-1", body: body("42") }, "T-1", ["header"]],
    ["the header, with a JSON string body", { header: "T-1", body: body('"T-2"') }, "T-1", ["header"]],
    ["the path, with a JSON boolean body", { path: "/api/tenants/T-1/records/r", body: body("true") }, "T-1", ["path"]],
  ])("found in %s", (_label, overrides, tenantId, sources) => {
    expect(resolveTenant(input(overrides))).toEqual({ ok: true, tenantId, sources });
  });

  test.each<[string, Partial<TenantInput>, string, RegExp]>([
    ["nothing names it", {}, "missing_tenant", /X-Tenant-Id header, the path/],
    ["the body is JSON without tenant_id", { path: "/api/process", body: body({ payload: 1 }) }, "missing_tenant", /tenant_id/],
    ["the body is JSON null", { path: "/api/process", body: body("null") }, "missing_tenant", /name the tenant/],
    ["the body is a JSON number", { path: "/api/process", body: body("7") }, "missing_tenant", /name the tenant/],
    ["the body is a JSON string", { path: "/api/process", body: body('"tenant_id"') }, "missing_tenant", /name the tenant/],
    ["the body is a JSON array", { path: "/api/process", body: body(["tenant_id"]) }, "missing_tenant", /name the tenant/],
    ["the path is not a tenant path", { path: "/api/tenantsT-100/records" }, "missing_tenant", /name the tenant/],
    ["the body is the only place and is not JSON", { path: "/api/process", body: body("{oops") }, "invalid_json", /not valid JSON/],
    ["the body is the only place and is not UTF-8", { path: "/api/process", body: new Uint8Array([0x7b, 0xff, 0x7d]) }, "invalid_json", /UTF-8/],
    ["header and path disagree", { header: "T-100", path: "/api/tenants/T-200/records" }, "tenant_conflict", /header names tenant 'T-100' but the path names 'T-200'/],
    ["path and body disagree", { path: "/api/tenants/T-1/records/r", body: body({ tenant_id: "T-2" }) }, "tenant_conflict", /path names tenant 'T-1' but the body names 'T-2'/],
    ["header and body disagree", { header: "T-1", body: body({ tenant_id: "T-2" }) }, "tenant_conflict", /'T-2'/],
    ["ids differ only in case", { header: "t-1", path: "/api/tenants/T-1" }, "tenant_conflict", /'T-1'/],
    ["the header breaks the id pattern", { header: "T 100" }, "invalid_request", /X-Tenant-Id header must match/],
    ["the header is empty", { header: "" }, "invalid_request", /X-Tenant-Id header/],
    ["the header carries two values", { header: "T-1, T-2" }, "invalid_request", /X-Tenant-Id header/],
    ["the path segment breaks the pattern", { path: "/api/tenants/T.1/records" }, "invalid_request", /path must match/],
    ["the path segment is empty", { path: "/api/tenants//records" }, "invalid_request", /path must match/],
    ["the path segment is a bad escape", { path: "/api/tenants/%E0%A4%A/records" }, "invalid_request", /path must match/],
    ["the body's tenant_id is a number", { body: body({ tenant_id: 100 }) }, "invalid_request", /body's tenant_id must match/],
    ["the body's tenant_id is too long", { body: body({ tenant_id: "T".repeat(65) }) }, "invalid_request", /body's tenant_id/],
  ])("refused when %s", (_label, overrides, code, detail) => {
    const result = resolveTenant(input(overrides));
    expect(result).toEqual({ ok: false, code, detail: expect.stringMatching(detail) });
  });

  describe("with a verified token", () => {
    test.each<[string, Partial<TenantInput>, string[]]>([
      ["the token alone", { path: "/api/process", body: body({ payload: 1 }) }, ["token"]],
      ["the token and an agreeing path", { path: "/api/tenants/T-1/records" }, ["token", "path"]],
      ["the token and a body that is not JSON (the cell's business)", { path: "/api/process", body: body("{oops") }, ["token"]],
    ])("the tenant is the token's: %s", (_label, overrides, sources) => {
      expect(resolveTenant(input({ ...overrides, token: "T-1" }))).toEqual({ ok: true, tenantId: "T-1", sources });
    });

    test.each<[string, Partial<TenantInput>, RegExp]>([
      ["the path names another", { path: "/api/tenants/T-2/records" }, /token grants tenant 'T-1' but the path names 'T-2'/],
      ["the header names another", { header: "T-2" }, /but the header names 'T-2'/],
      ["the body names another", { body: body({ tenant_id: "T-2" }) }, /but the body names 'T-2'/],
    ])("tenant_forbidden when %s", (_label, overrides, detail) => {
      expect(resolveTenant(input({ ...overrides, token: "T-1" }))).toEqual({ ok: false, code: "tenant_forbidden", detail: expect.stringMatching(detail) });
    });

    test("an invalid id in the request is still a 400", () => {
      expect(resolveTenant(input({ header: "T 1", token: "T-1" }))).toEqual(expect.objectContaining({ ok: false, code: "invalid_request" }));
    });
  });
});
