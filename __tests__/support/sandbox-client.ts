import { parseJsonOrUndefined } from "../../contract";
import type { Sandbox } from "../../sandbox/sandbox";

/** One answer, its body parsed as JSON when it is JSON. */
export interface Reply {
  readonly status: number;
  readonly headers: globalThis.Headers;
  readonly json: any;
}

export interface SandboxClient {
  /** Sends a request with its own deadline; with `as`, carrying that tenant's bearer token. */
  send(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array }, as?: string): Promise<Reply>;
  /** The sandbox's ready token for a seeded tenant, or a freshly minted one for any other. */
  tokenOf(tenantId: string): string;
}

/** A client of the sandbox `sandbox()` returns (read on each call, so it can be set in `beforeAll`). */
export function sandboxClient(sandbox: () => Sandbox, clientTimeoutMs: number): SandboxClient {
  const tokenOf = (tenantId: string): string => {
    const auth = sandbox().auth;
    if (auth === undefined) throw new Error("the sandbox runs without auth");
    return auth.tokens[tenantId] ?? auth.mint(tenantId);
  };
  const send: SandboxClient["send"] = async (url, init = {}, as) => {
    const headers = as === undefined ? init.headers : { ...init.headers, authorization: `Bearer ${tokenOf(as)}` };
    const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(clientTimeoutMs) });
    return { status: response.status, headers: response.headers, json: parseJsonOrUndefined(await response.text()) };
  };
  return { send, tokenOf };
}
