/**
 * HTTP status codes the Cosmos DB adapters act on. The SDK throws an `ErrorResponse` whose `code` is
 * the HTTP status of the failed operation; these are the ones that carry domain meaning here.
 */
export const COSMOS_STATUS = {
  notFound: 404,
  /** `items.create` of an id that exists in the partition. */
  conflict: 409,
  /** A write whose `IfMatch` ETag is no longer the item's. */
  preconditionFailed: 412,
} as const;

/** True when `error` is a Cosmos DB error response with HTTP status `status`. */
export function hasStatus(error: unknown, status: number): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === status;
}
