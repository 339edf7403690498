import { StoreUnavailableError } from "../core";

/**
 * Which DynamoDB SDK failures mean "the store did not answer usably" (a 503 with `Retry-After` for
 * the client) rather than a bug (a 500): throttling, server-side errors, timeouts and broken
 * connections. Checked by name and code, so a second copy of the SDK module cannot break it.
 */
const UNAVAILABLE_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TransactionInProgressException",
  "TransactionConflictException",
  "AbortError",
]);
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"]);
/**
 * Transport failures as the SDK reports them when it wraps an error it did not recognise as one
 * (`AWS SDK error wrapper for TimeoutError: socket hang up`, which happens when the error comes from
 * another realm, as in test runners): the words of the failure are all that is left.
 */
const TRANSPORT_FAILURE = /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|TimeoutError|connect ETIMEDOUT/;

export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (typeof e.name === "string" && UNAVAILABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === "string" && UNAVAILABLE_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 500) return true;
  // Without an HTTP status the request never got a service answer: a transport failure if its words say so.
  if (status === undefined && typeof e.message === "string" && TRANSPORT_FAILURE.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== error && isStoreUnavailable(e.cause);
}

/** Runs a store call; an unavailable store becomes `StoreUnavailableError`, everything else passes through. */
export async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isStoreUnavailable(error)) throw new StoreUnavailableError(`DynamoDB ${what} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, error);
    throw error;
  }
}

/** The SDK's error for a failed `ConditionExpression`. */
export const isConditionFailed = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === "ConditionalCheckFailedException";

/** A cancelled transaction's per-item reasons (`Code`, and `Item` when asked for). */
export interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue>;
}

export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (typeof error !== "object" || error === null || (error as { name?: unknown }).name !== "TransactionCanceledException") return undefined;
  return ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []) as CancellationReason[];
}
