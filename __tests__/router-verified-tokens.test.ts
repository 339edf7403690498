import type { AuthResult, Authenticator } from "../router/auth";
import { rememberVerified } from "../router/verified-tokens";

/** The isolate's memory of verified tokens: one signature check per token per minute, never past the token's exp. */
describe("verified tokens", () => {
  function setup(answer: (authorization: string | null) => AuthResult, options: { maxEntries?: number; maxAgeMs?: number } = {}) {
    let now = 1_000_000;
    const seen: Array<string | null> = [];
    const inner: Authenticator = async (authorization) => {
      seen.push(authorization);
      return answer(authorization);
    };
    return { auth: rememberVerified(inner, { now: () => now, ...options }), seen, advance: (ms: number) => void (now += ms) };
  }
  const ok = (expiresAt?: number): AuthResult => ({ ok: true, tenantId: "T-1", subject: "s", ...(expiresAt === undefined ? {} : { expiresAt }) });

  test("a token that verified is not verified again within the max age", async () => {
    const { auth, seen, advance } = setup(() => ok(), { maxAgeMs: 60_000 });
    expect(await auth("Bearer a")).toEqual(ok());
    advance(59_999);
    expect(await auth("Bearer a")).toEqual(ok());
    expect(seen).toEqual(["Bearer a"]);
    advance(1);
    await auth("Bearer a");
    expect(seen).toEqual(["Bearer a", "Bearer a"]);
  });

  test("never past the token's own exp", async () => {
    const { auth, seen, advance } = setup(() => ok(1_000_000 + 5_000));
    await auth("Bearer a");
    advance(4_999);
    await auth("Bearer a");
    advance(1);
    await auth("Bearer a");
    expect(seen).toHaveLength(2);
  });

  test("only the exact token text hits; refusals and missing tokens are never remembered", async () => {
    const { auth, seen } = setup((authorization) => (authorization === "Bearer good" ? ok() : { ok: false, code: "invalid_token", detail: "no" }));
    await auth("Bearer good");
    await auth("Bearer good ");
    await auth("Bearer bad");
    await auth("Bearer bad");
    await auth(null);
    await auth(null);
    expect(seen).toEqual(["Bearer good", "Bearer good ", "Bearer bad", "Bearer bad", null, null]);
  });

  test("bounded: the least recently used token is dropped first", async () => {
    const { auth, seen } = setup(() => ok(), { maxEntries: 2 });
    for (const t of ["Bearer 1", "Bearer 2", "Bearer 1", "Bearer 3", "Bearer 1", "Bearer 2"]) await auth(t);
    expect(seen).toEqual(["Bearer 1", "Bearer 2", "Bearer 3", "Bearer 2"]);
  });
});
