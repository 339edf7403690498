import {
  Headers as H,
  PROBLEM_CONTENT_TYPE,
  ROUTER_HEADER_PREFIX,
  ROUTER_OWNED_HEADERS,
  SAFE_METHODS,
  signatureHeaders,
  type CellEntry,
  type SigningKey,
} from "../contract";
import { readBody, untilAborted, type BodyRead, type ByteStream } from "./read-body";

/** Read-only header access, as both workerd's and Node's `Headers` offer it. */
export interface HeaderReader {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** What the router needs of a cell's answer (a Fetch API `Response`). */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: HeaderReader;
  readonly body: ByteStream | null;
  /** The whole body in one native read (a Fetch API `Response` has it); used when `Content-Length` is within the limit. */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** The outbound call, a Fetch API `fetch` in production, a fake in unit tests. */
export type CellFetch = (
  url: string,
  init: {
    readonly method: string;
    readonly headers: Array<[string, string]>;
    readonly body?: Uint8Array;
    readonly signal: AbortSignal;
    readonly redirect: "manual";
  },
) => Promise<UpstreamResponse>;

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1, plus the legacy `keep-alive` and `proxy-*`) and headers
 * the runtime sets itself. Never forwarded in either direction.
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "proxy-connection"]);

/**
 * Request headers the router drops besides hop-by-hop ones: Cloudflare's own `cf-*` (the edge sets
 * them; they mean nothing to a cell) and `accept-encoding`, so the cell answers uncompressed and the
 * router never passes on a body that the runtime already decoded under a stale `content-encoding`.
 */
const DROPPED_REQUEST_HEADERS = new Set(["accept-encoding"]);
const OWNED = new Set(ROUTER_OWNED_HEADERS);

function connectionTokens(headers: HeaderReader): Set<string> {
  const value = headers.get("connection") ?? "";
  return new Set(value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== ""));
}

function isHopByHop(name: string, listed: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed.has(name);
}

/**
 * The client's headers that may reach a cell: everything except hop-by-hop headers (and those the
 * client's `Connection` header lists), every header in the router's namespace (`x-edge-*`) and the
 * headers the router owns (`x-request-id`, `x-tenant-id`, `x-cell-id`, `x-processed-by-cloud`), so a
 * client can forge none of the values a cell trusts.
 */
export function forwardableRequestHeaders(headers: HeaderReader, options: { readonly dropAuthorization?: boolean } = {}): Array<[string, string]> {
  const listed = connectionTokens(headers);
  const out: Array<[string, string]> = [];
  headers.forEach((value, rawName) => {
    const name = rawName.toLowerCase();
    if (isHopByHop(name, listed) || name.startsWith(ROUTER_HEADER_PREFIX) || OWNED.has(name) || name.startsWith("cf-") || DROPPED_REQUEST_HEADERS.has(name)) return;
    if (options.dropAuthorization && name === "authorization") return;
    out.push([name, value]);
  });
  return out;
}

/** Size of a header block on the wire: each line's name, value, `: ` and CRLF (what `MAX_HEADER_BYTES` limits). */
export function headerBlockBytes(headers: ReadonlyArray<readonly [string, string]>): number {
  const encoder = new TextEncoder();
  let bytes = 0;
  for (const [name, value] of headers) bytes += name.length + encoder.encode(value).byteLength + 4;
  return bytes;
}

/** The cell's headers that reach the client: hop-by-hop, `content-encoding` (the body is decoded), router-owned and `x-edge-*` ones are dropped. */
function forwardableResponseHeaders(headers: HeaderReader): Array<[string, string]> {
  const listed = connectionTokens(headers);
  const out: Array<[string, string]> = [];
  headers.forEach((value, rawName) => {
    const name = rawName.toLowerCase();
    if (isHopByHop(name, listed) || name === "content-encoding" || name.startsWith(ROUTER_HEADER_PREFIX) || OWNED.has(name)) return;
    out.push([name, value]);
  });
  return out;
}

/** Why the router called the cell's answer a timeout: the reason its abort signal carries. */
export class CellTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the cell did not answer within ${timeoutMs} ms`);
  }
}

/** A request the router has accepted, with its tenant, its cell and that cell's key. */
export interface ForwardRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** The client's headers as they may reach the cell (`forwardableRequestHeaders`). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  readonly tenantId: string;
  readonly cell: CellEntry;
  readonly key: SigningKey;
}

/** What forwarding needs from the runtime. */
export interface ForwardDeps {
  readonly fetch: CellFetch;
  /** Epoch milliseconds, for the signature's timestamp. */
  readonly now: () => number;
  /** Budget for the whole exchange (all attempts, and reading the answer), ms. */
  readonly timeoutMs: number;
  /** Largest cell answer the router buffers and passes on, bytes. */
  readonly maxResponseBytes: number;
}

/** How a call to a cell ended. `answer` is the cell's own answer, checked and ready to pass on. */
export type ForwardResult =
  | { readonly kind: "answer"; readonly status: number; readonly headers: Array<[string, string]>; readonly body: Uint8Array | null; readonly attempts: number }
  /** The cell could not be reached, or its answer is not one the router passes on. */
  | {
      readonly kind: "bad_gateway";
      /** For the client: what went wrong, without the runtime's error text. */
      readonly detail: string;
      /** For the log: the runtime's error, if any. */
      readonly cause?: string;
      readonly attempts: number;
      readonly upstreamStatus?: number;
    }
  | { readonly kind: "timeout"; readonly attempts: number }
  /**
   * The cell, or its platform in front of it, shed the request: a 429 or 503 that is not the cell's
   * own problem+json (API Gateway's throttling answer, a Functions host that is scaling). Not passed on
   * as is, but not a broken cell either: the router answers its own problem with the `Retry-After`.
   */
  | { readonly kind: "throttled"; readonly status: 429 | 503; readonly retryAfter: string | undefined; readonly attempts: number };

/** Reads (the contract's `SAFE_METHODS`) are safe to repeat: one retry after a connection error, never after a timeout or any answer. */
const RETRYABLE_METHODS = SAFE_METHODS;

const isProblemJson = (contentType: string | null) => (contentType ?? "").split(";")[0]!.trim().toLowerCase() === PROBLEM_CONTENT_TYPE;

/**
 * Signs the request for its cell and sends it, within one time budget. A GET or HEAD that fails to
 * connect is tried once more, freshly signed; a write is never retried, because the router cannot
 * know whether the cell already applied it (clients retry with an `Idempotency-Key` instead).
 *
 * The answer is passed on only when it is the cell's own: it names the cell called in `x-cell-id`, it
 * is not a redirect (the router neither follows nor leaks one), and an error status comes as
 * `application/problem+json`. A 429 or 503 that is not the cell's own problem (API Gateway's
 * throttling, a Functions host that is scaling) is `throttled`; anything else (a platform's own error
 * page such as API Gateway's `{"message":"Internal Server Error"}`, or another cell's answer) is a
 * `bad_gateway`.
 */
export async function forwardToCell(req: ForwardRequest, deps: ForwardDeps): Promise<ForwardResult> {
  const url = `${req.cell.url}${req.path}${req.query === "" ? "" : `?${req.query}`}`;
  const baseHeaders = req.headers as Array<[string, string]>;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CellTimeoutError(deps.timeoutMs)), deps.timeoutMs);
  const maxAttempts = RETRYABLE_METHODS.has(req.method) ? 2 : 1;
  let attempts = 0;
  try {
    for (;;) {
      attempts++;
      const signed = await signatureHeaders(req.key, {
        method: req.method,
        path: req.path,
        query: req.query,
        cellId: req.cell.cellId,
        tenantId: req.tenantId,
        body: req.body,
        timestamp: Math.floor(deps.now() / 1000),
      });
      const headers: Array<[string, string]> = [...baseHeaders, [H.requestId, req.requestId], ...Object.entries(signed)];
      let response: UpstreamResponse;
      try {
        response = await deps.fetch(url, {
          method: req.method,
          headers,
          body: SAFE_METHODS.has(req.method) ? undefined : req.body,
          signal: controller.signal,
          redirect: "manual",
        });
      } catch (error) {
        if (controller.signal.aborted) return { kind: "timeout", attempts };
        if (attempts < maxAttempts) continue;
        return { kind: "bad_gateway", detail: `cell '${req.cell.cellId}' could not be reached`, cause: messageOf(error), attempts };
      }
      return await checkAnswer(req, response, controller.signal, deps.maxResponseBytes, attempts);
    }
  } catch (error) {
    if (controller.signal.aborted) return { kind: "timeout", attempts };
    return { kind: "bad_gateway", detail: `cell '${req.cell.cellId}' broke off its answer`, cause: messageOf(error), attempts };
  } finally {
    clearTimeout(timer);
  }
}

async function checkAnswer(req: ForwardRequest, response: UpstreamResponse, signal: AbortSignal, maxBytes: number, attempts: number): Promise<ForwardResult> {
  const { status } = response;
  const reject = async (detail: string): Promise<ForwardResult> => {
    await discard(response.body);
    return { kind: "bad_gateway", detail, attempts, upstreamStatus: status };
  };
  const claimed = response.headers.get(H.cellId);
  const problemJson = isProblemJson(response.headers.get(H.contentType));
  // A shed request (429/503) from the platform (no x-cell-id) or from the cell without its problem body.
  if ((status === 429 || status === 503) && (claimed === null || (claimed === req.cell.cellId && !problemJson))) {
    await discard(response.body);
    return { kind: "throttled", status, retryAfter: retryAfterOf(response.headers.get(H.retryAfter)), attempts };
  }
  if (claimed !== req.cell.cellId) {
    return reject(
      claimed === null
        ? `the answer (status ${status}) did not come from cell '${req.cell.cellId}': it carries no ${H.cellId}`
        : `the answer (status ${status}) claims to come from cell '${claimed}', but cell '${req.cell.cellId}' was called`,
    );
  }
  if (status >= 300 && status < 400) return reject(`cell '${req.cell.cellId}' answered with a redirect (status ${status}), which the router does not pass on`);
  if (status >= 400 && !problemJson) {
    return reject(`cell '${req.cell.cellId}' answered status ${status} without a problem+json body`);
  }
  const read = await readAnswer(response, maxBytes, signal);
  if (!read.ok) return { kind: "bad_gateway", detail: `cell '${req.cell.cellId}' answered with more than ${maxBytes} bytes`, attempts, upstreamStatus: status };
  const noBody = req.method === "HEAD" || status === 204 || status === 205; // a 304 never gets here: every 3xx is refused above
  return { kind: "answer", status, headers: forwardableResponseHeaders(response.headers), body: noBody ? null : read.bytes, attempts };
}

/**
 * The cell's answer body, within `maxBytes`. With a `Content-Length` within the limit it is read in
 * one native call (HTTP framing stops at that length, so it cannot deliver more); otherwise it is
 * streamed and counted (`readBody`). In workerd the native read of a small answer costs about a third
 * of the streamed one.
 */
async function readAnswer(response: UpstreamResponse, maxBytes: number, signal: AbortSignal): Promise<BodyRead> {
  const declared = response.headers.get("content-length");
  if (response.arrayBuffer !== undefined && declared !== null && /^\d{1,10}$/.test(declared) && Number(declared) <= maxBytes) {
    const bytes = new Uint8Array(await untilAborted(response.arrayBuffer(), signal));
    return bytes.byteLength <= maxBytes ? { ok: true, bytes } : { ok: false, readBytes: bytes.byteLength };
  }
  return readBody(response.body, maxBytes, signal);
}

/** A `Retry-After` value worth passing on: delta-seconds or an HTTP date; anything else is dropped. */
function retryAfterOf(value: string | null): string | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return trimmed;
  return /[a-z]/i.test(trimmed) && !Number.isNaN(Date.parse(trimmed)) ? trimmed : undefined;
}

/** Releases a body the router will not pass on, so the connection is not left waiting. */
async function discard(body: ByteStream | null): Promise<void> {
  if (body === null) return;
  await body
    .getReader()
    .cancel()
    .catch(() => undefined);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
