import { StoreUnavailableError } from "../core";

/**
 * HTTP status codes the Cosmos DB adapters act on. The SDK throws an `ErrorResponse` whose `code` is
 * the HTTP status of the failed operation; batch answers carry one status per operation.
 */
export const COSMOS_STATUS = {
  notFound: 404,
  /** `items.create` of an id that exists in the partition. */
  conflict: 409,
  /** A write whose `IfMatch` ETag is no longer the item's. */
  preconditionFailed: 412,
  /** A later operation of a transactional batch that did not run because an earlier one failed. */
  failedDependency: 424,
} as const;

/** True when `error` is a Cosmos DB error response with HTTP status `status`. */
export function hasStatus(error: unknown, status: number): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === status;
}

/** Statuses that mean "the store did not answer usably": timeout, throttling, retry-with, server errors. */
const UNAVAILABLE_STATUSES = new Set([408, 429, 449, 500, 502, 503, 504]);
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "ERR_SSL_WRONG_VERSION_NUMBER", "TimeoutError"]);
const UNAVAILABLE_NAMES = new Set(["TimeoutError", "AbortError"]);

/**
 * Transport failures as the SDK reports them when it re-wraps an error in a plain `Error` (its batch
 * call throws `Batch request error: <message>`): the words of the failure are all that is left.
 */
const TRANSPORT_FAILURE = /socket hang up|socket disconnected|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|Timeout Error|secure TLS connection|operation was aborted/;

/** Whether a Cosmos DB SDK failure is the store being unavailable (a 503 for the client) rather than a bug. */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; statusCode?: unknown };
  if (typeof e.code === "number" && UNAVAILABLE_STATUSES.has(e.code)) return true;
  if (typeof e.statusCode === "number" && UNAVAILABLE_STATUSES.has(e.statusCode)) return true;
  if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.name === "string" && UNAVAILABLE_NAMES.has(e.name)) return true;
  const message = (e as { message?: unknown }).message;
  if (typeof e.code !== "number" && typeof message === "string" && TRANSPORT_FAILURE.test(message)) return true;
  return e.cause !== undefined && e.cause !== error && isStoreUnavailable(e.cause);
}

/**
 * Runs a store call; an unavailable store becomes `StoreUnavailableError`, everything else passes through.
 *
 * With `deadlineMs` the whole call, the SDK's own retries included, is bounded: the SDK retries a read
 * or a query that timed out or lost its connection up to 10 times, a second apart, which behind a
 * failing store would hold a request for half a minute. The call gets an `AbortSignal` to hand to the
 * SDK (`abortSignal` in its options), so its retries stop too, and the caller gets the 503 at the deadline.
 */
export async function guarded<T>(what: string, call: (signal?: AbortSignal) => Promise<T>, deadlineMs?: number): Promise<T> {
  const abort = deadlineMs === undefined ? undefined : new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline =
    abort &&
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new StoreUnavailableError(`Cosmos DB ${what} did not finish within ${deadlineMs} ms`));
      }, deadlineMs);
    });
  try {
    const running = call(abort?.signal);
    return await (deadline ? Promise.race([running, deadline]) : running);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    if (isStoreUnavailable(error)) throw new StoreUnavailableError(`Cosmos DB ${what} failed: ${error instanceof Error ? error.message : String(error)}`, error);
    throw error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
