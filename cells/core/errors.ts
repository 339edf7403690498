/**
 * Typed domain errors. Adapters throw the store-level ones; `problems.ts` maps every one of them
 * to an HTTP problem in one place.
 */
export abstract class CellError extends Error {
  override readonly name: string = this.constructor.name;
}

/** The record's current version is not the one the caller expected (0 = expected it not to exist). */
export class VersionConflictError extends CellError {
  constructor(
    readonly tenantId: string,
    readonly recordId: string,
    readonly expectedVersion: number,
    readonly currentVersion?: number,
  ) {
    super(
      `record '${recordId}' of tenant '${tenantId}': expected version ${expectedVersion}` +
        (currentVersion === undefined ? "" : `, current version is ${currentVersion}`),
    );
  }
}

export class RecordNotFoundError extends CellError {
  constructor(readonly tenantId: string, readonly recordId: string) {
    super(`record '${recordId}' of tenant '${tenantId}' does not exist`);
  }
}

/** Input that breaks a rule of the API; `message` says which field and what is allowed. */
export class ValidationError extends CellError {}

export class InvalidJsonError extends CellError {}

export class PayloadTooLargeError extends CellError {}

export type AuthFailure = "unauthenticated" | "stale_request" | "replayed_request" | "tenant_mismatch" | "misdirected_request";

/** A request that failed verification; `reason` picks the problem (401, 403 or 421). */
export class AuthError extends CellError {
  constructor(readonly reason: AuthFailure, message: string) {
    super(message);
  }
}

export class IdempotencyInProgressError extends CellError {}

export class IdempotencyKeyReusedError extends CellError {}
