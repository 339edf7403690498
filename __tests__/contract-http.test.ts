import { parseJsonOrUndefined, PATHS, isCellId, isKeyId, isRecordId, isTenantId, isWriteMethod, matchCellRoute, pathOf, problemCode, tenantOfPath } from "../contract";

/** The HTTP rules router and cells share: what a path means, which methods write, and what an id may be. */

describe("cell routes", () => {
  test.each<[string, unknown]>([
    ["/healthz", { name: "health" }],
    ["/api/process", { name: "process" }],
    ["/admin/tenants", { name: "adminTenants" }],
    ["/api/tenants/T-1/records", { name: "records", tenantId: "T-1" }],
    ["/api/tenants/T%2D1/records/r%2E1", { name: "record", tenantId: "T-1", recordId: "r.1" }],
    ["/admin/tenants/T-1/ownership", { name: "adminOwnership", tenantId: "T-1" }],
    ["/admin/tenants/T-1/export", { name: "adminExport", tenantId: "T-1" }],
    ["/admin/tenants/T-1/import", { name: "adminImport", tenantId: "T-1" }],
    ["/admin/tenants/T-1/digest", { name: "adminDigest", tenantId: "T-1" }],
    ["/admin/tenants/T-1/purge", { name: "adminPurge", tenantId: "T-1" }],
    ["/admin/tenants/T-1/changes", { name: "adminChanges", tenantId: "T-1" }],
  ])("%s is %j", (path, route) => {
    expect(matchCellRoute(path)).toEqual({ ok: true, route });
  });

  test.each([
    "/",
    "/healthz/",
    "/api/tenants",
    "/api/tenants/T-1",
    "/api/tenants/T-1/",
    "/api/tenants/T-1/items",
    "/api/tenants/T-1/records/r1/more",
    "/api/tenants/T-1/records/r1/",
    "/api/things/T-1/records",
    "/apx/tenants/T-1/records",
    "/admin/tenants/T-1",
    "/admin/tenants/T-1/ownership/x",
    "/admin/tenants/T-1/records",
    "/other/tenants/T-1/records/r1",
    "/admin/tenants/T-1/constructor",
    "/admin/tenants/T-1/__proto__",
    "/admin/tenants/T-1/toString",
    "/admin/tenants/T-1/hasOwnProperty",
  ])("%s is no route", (path) => {
    expect(matchCellRoute(path)).toEqual({ ok: false, reason: "no_route" });
  });

  test.each<[string, string]>([
    ["/api/tenants/T.1/records", "tenant id in the path must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got 'T.1'"],
    ["/api/tenants/%E0%A4%A/records/r1", "tenant id in the path must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got '%E0%A4%A'"],
    ["/admin/tenants/T.1/digest", "tenant id in the path must match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, got 'T.1'"],
    ["/api/tenants/T-1/records/a%20b", "record id must match /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, got 'a%20b'"],
    ["/api/tenants/T-1/records/%E0%A4%A", "record id must match /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, got '%E0%A4%A'"],
  ])("%s names an invalid id", (path, detail) => {
    expect(matchCellRoute(path)).toEqual({ ok: false, reason: "invalid_id", detail });
  });

  test("paths are built from the templates with every value percent-encoded", () => {
    expect(pathOf(PATHS.record, { tenantId: "T-1", recordId: "a b/c" })).toBe("/api/tenants/T-1/records/a%20b%2Fc");
    expect(() => pathOf(PATHS.record, { tenantId: "T-1" })).toThrow("no value for {recordId} in /api/tenants/{tenantId}/records/{recordId}");
  });
});

describe("the tenant a path names", () => {
  test.each<[string, unknown]>([
    ["/api/tenants/T-1", { kind: "tenant", tenantId: "T-1" }],
    ["/api/tenants/T-1/records/r1", { kind: "tenant", tenantId: "T-1" }],
    ["/api/tenants/T%2D1/records", { kind: "tenant", tenantId: "T-1" }],
    ["/api/tenants/", { kind: "invalid", raw: "" }],
    ["/api/tenants//records", { kind: "invalid", raw: "" }],
    ["/api/tenants/T 1/records", { kind: "invalid", raw: "T 1" }],
    ["/api/tenants/%ZZ", { kind: "invalid", raw: "%ZZ" }],
    ["/api/tenant/T-1", { kind: "none" }],
    ["/admin/tenants/T-1/export", { kind: "none" }],
    ["/healthz", { kind: "none" }],
  ])("%s: %j", (path, expected) => {
    expect(tenantOfPath(path)).toEqual(expected);
  });
});

describe("methods and ids", () => {
  test("only GET and HEAD, in any case, are reads", () => {
    expect(["GET", "head", "Get"].map(isWriteMethod)).toEqual([false, false, false]);
    expect(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "delete"].map(isWriteMethod)).toEqual([true, true, true, true, true, true]);
  });

  test("ids are strings, never values that merely print like one", () => {
    expect([isCellId("alpha"), isCellId(["alpha"]), isCellId({ toString: () => "alpha" })]).toEqual([true, false, false]);
    expect([isTenantId("100"), isTenantId(100), isTenantId(["T-1"])]).toEqual([true, false, false]);
    expect([isRecordId("5"), isRecordId(5), isRecordId(["r1"])]).toEqual([true, false, false]);
    expect([isKeyId("alpha-v1"), isKeyId(["alpha-v1"]), isKeyId(1)]).toEqual([true, false, false]);
  });

  test("problem codes are read only from problem bodies of ours", () => {
    const inherited = ["constructor", "__proto__", "toString"].map((name) => ({ type: `urn:problem-type:cells:${name}` }));
    for (const body of [null, undefined, "urn:problem-type:cells:internal", 5, {}, { type: 5 }, { type: "urn:problem-type:cells:no_such_code" }, { type: "urn:problem-type:other:internal" }, ...inherited]) {
      expect(problemCode(body)).toBeUndefined();
    }
    expect(problemCode({ type: "urn:problem-type:cells:internal" })).toBe("internal");
  });
});

describe("parseJsonOrUndefined", () => {
  test.each([
    ['{"type":"x"}', { type: "x" }],
    ["[1,2]", [1, 2]],
    ["null", null],
    ["", undefined],
    ["<html>502</html>", undefined],
    ['{"cut":', undefined],
  ])("%j reads as %j", (text, value) => {
    expect(parseJsonOrUndefined(text)).toEqual(value);
  });
});
