import { createHmac } from "node:crypto";
import { Headers, canonicalPath, canonicalQuery, canonicalString, computeSignature, encodeRfc3986, sha256Hex, signatureHeaders, verifySignature, type SignedFields } from "../contract";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A fixed request: every field chosen to exercise canonicalisation (case, spaces, order, repeats, `+`). */
const KAT: SignedFields = {
  method: "post",
  path: "/api/tenants/T-100/records/order 1",
  query: "b=2&a=1&a=0&c=x+y",
  cellId: "alpha",
  tenantId: "T-100",
  timestamp: 1767225600,
  nonce: "0123456789abcdef0123456789abcdef",
  body: utf8('{"data":{"qty":2}}'),
};

describe("request signature: known answers", () => {
  test("canonical string of the fixed request", async () => {
    expect(await canonicalString(KAT)).toBe(
      [
        "EDGE-HMAC-SHA256-V1",
        "POST",
        "/api/tenants/T-100/records/order%201",
        "a=0&a=1&b=2&c=x%20y",
        "alpha",
        "T-100",
        "1767225600",
        "0123456789abcdef0123456789abcdef",
        // sha256sum of the body bytes
        "8686220179876fcbfdcf9d23b470d4794cd8c2625cfc6f1af91d0caf55edfd69",
      ].join("\n"),
    );
  });

  test("signature of the fixed request (also produced by `openssl dgst -sha256 -hmac kat-secret`)", async () => {
    expect(await computeSignature("kat-secret", KAT)).toBe("60c7ed6e126cc79b9113fd64e4a9df80f2dd49928bc185e931b0c33b73f6613f");
  });

  test("Web Crypto and Node's HMAC agree on arbitrary requests", async () => {
    for (const body of ["", "{}", "ünïcödé ✓", "x".repeat(10_000)]) {
      const fields = { ...KAT, body: utf8(body) };
      const expected = createHmac("sha256", "another secret").update(await canonicalString(fields)).digest("hex");
      expect(await computeSignature("another secret", fields)).toBe(expected);
    }
  });
});

describe("canonicalisation", () => {
  test.each([
    ["a=1&b=2", "b=2&a=1"],
    ["q=a%20b", "q=a+b"],
    ["q=%7E", "q=~"],
    ["x=1&&y=2", "y=2&x=1"],
    ["?a=1", "a=1"],
    ["flag", "flag="],
  ])("query %p signs like %p", (a, b) => {
    expect(canonicalQuery(a)).toBe(canonicalQuery(b));
  });

  test.each([
    ["a=1", "a=2"],
    ["a=1&a=2", "a=1"],
    ["a=b%26c", "a=b&c"],
  ])("query %p does not sign like %p", (a, b) => {
    expect(canonicalQuery(a)).not.toBe(canonicalQuery(b));
  });

  test.each([
    ["b=2&a=2&a=1", "a=1&a=2&b=2"],
    ["a=2&b=2&a=1", "a=1&a=2&b=2"],
    ["c=3&b=1&a=2&b=0", "a=2&b=0&b=1&c=3"],
    ["z&y=&x=1", "x=1&y=&z="],
    ["a=b=c", "a=b%3Dc"],
    ["a+b=c+d", "a%20b=c%20d"],
    ["k=%ZZ", "k=%25ZZ"],
    ["=v&a=1", "=v&a=1"],
    ["?x=1", "x=1"],
    ["", ""],
  ])("query %p is canonically %p", (query, canonical) => {
    expect(canonicalQuery(query)).toBe(canonical);
  });

  test("a reordered multi-key query signs the same", async () => {
    const a = await computeSignature("s", { ...KAT, query: "b=2&a=1&a=0&c=x+y" });
    expect(await computeSignature("s", { ...KAT, query: "c=x%20y&a=0&b=2&a=1" })).toBe(a);
    expect(await computeSignature("s", { ...KAT, query: "c=x%20y&a=1&b=2&a=1" })).not.toBe(a);
  });

  test("RFC 3986 reserved characters are percent-encoded in upper-case hex; unreserved ones stay", () => {
    expect(encodeRfc3986("!'()*")).toBe("%21%27%28%29%2A");
    expect(encodeRfc3986("a-b_c.d~e")).toBe("a-b_c.d~e");
    expect(encodeRfc3986("é/ ")).toBe("%C3%A9%2F%20");
  });

  test("a path segment with a malformed escape signs as its raw text", () => {
    expect(canonicalPath("/api/tenants/T-1/records/%E0%A4%A")).toBe("/api/tenants/T-1/records/%25E0%25A4%25A");
    expect(canonicalPath("/a%20b/(c)")).toBe("/a%20b/%28c%29");
  });

  test("paths that differ only in percent-encoding sign alike; different paths do not", () => {
    expect(canonicalPath("/api/tenants/T-1/records/a%2Db")).toBe(canonicalPath("/api/tenants/T-1/records/a-b"));
    expect(canonicalPath("/a/b")).not.toBe(canonicalPath("/a%2Fb"));
  });

  test.each<[string, Partial<SignedFields>]>([
    ["tenantId", { tenantId: "T-1\nalpha" }],
    ["cellId", { cellId: "alpha\r" }],
    ["nonce", { nonce: "abc\ndef" }],
    ["method", { method: "GET\n" }],
  ])("a %s with a line break is refused rather than signed ambiguously", async (name, change) => {
    await expect(canonicalString({ ...KAT, ...change })).rejects.toThrow(`${name} must not contain line breaks`);
  });

  test.each([Number.NaN, 1.5, 2 ** 53, -Infinity])("a timestamp of %p is refused", async (timestamp) => {
    await expect(canonicalString({ ...KAT, timestamp })).rejects.toThrow("timestamp must be an integer number of seconds");
  });

  test("the body is hashed as bytes; a string hashes as its UTF-8 bytes", async () => {
    expect(await sha256Hex("ü")).toBe(await sha256Hex(utf8("ü")));
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("verifySignature", () => {
  const secret = "verify-secret";

  test("accepts the signature of the same request", async () => {
    expect(await verifySignature(secret, KAT, await computeSignature(secret, KAT))).toBe(true);
  });

  test.each<[string, Partial<SignedFields>]>([
    ["method", { method: "PUT" }],
    ["path", { path: "/api/tenants/T-100/records/order-2" }],
    ["query", { query: "a=1" }],
    ["cell id", { cellId: "beta" }],
    ["tenant id", { tenantId: "T-200" }],
    ["timestamp", { timestamp: KAT.timestamp + 1 }],
    ["nonce", { nonce: "fedcba9876543210fedcba9876543210" }],
    ["body", { body: utf8('{"data":{"qty":3}}') }],
  ])("rejects the signature when the %s changes", async (_field, change) => {
    const signature = await computeSignature(secret, KAT);
    expect(await verifySignature(secret, { ...KAT, ...change }, signature)).toBe(false);
  });

  test("rejects another secret, and malformed signatures, without throwing", async () => {
    const signature = await computeSignature(secret, KAT);
    expect(await verifySignature("other", KAT, signature)).toBe(false);
    for (const bad of ["", "zz", signature.slice(0, 62), `${signature}00`, `${signature}0`, `${signature}z`, `z${signature}`, signature.toUpperCase()]) {
      expect(await verifySignature(secret, KAT, bad)).toBe(false);
    }
  });

  test("signatureHeaders signs at the clock's whole second unless told the time", async () => {
    const clock = jest.spyOn(Date, "now").mockReturnValue(1_767_225_600_999);
    try {
      const headers = await signatureHeaders({ keyId: "alpha-v1", secret }, { ...KAT, timestamp: undefined, nonce: "n".repeat(16) });
      expect(headers).toEqual({
        [Headers.cellId]: "alpha",
        [Headers.tenantId]: "T-100",
        [Headers.timestamp]: "1767225600",
        [Headers.nonce]: "nnnnnnnnnnnnnnnn",
        [Headers.keyId]: "alpha-v1",
        [Headers.signature]: await computeSignature(secret, { ...KAT, timestamp: 1_767_225_600, nonce: "n".repeat(16) }),
      });
    } finally {
      clock.mockRestore();
    }
  });

  test("signatureHeaders carries every signed field and a fresh nonce each call", async () => {
    const key = { keyId: "alpha-v1", secret };
    const a = await signatureHeaders(key, { ...KAT, timestamp: undefined, nonce: undefined });
    const b = await signatureHeaders(key, { ...KAT, timestamp: undefined, nonce: undefined });
    expect(a[Headers.keyId]).toBe("alpha-v1");
    expect(a[Headers.cellId]).toBe("alpha");
    expect(a[Headers.tenantId]).toBe("T-100");
    expect(a[Headers.nonce]).toMatch(/^[0-9a-f]{32}$/);
    expect(a[Headers.nonce]).not.toBe(b[Headers.nonce]);
    const fields = { ...KAT, timestamp: Number(a[Headers.timestamp]), nonce: a[Headers.nonce]! };
    expect(await verifySignature(secret, fields, a[Headers.signature]!)).toBe(true);
  });
});
