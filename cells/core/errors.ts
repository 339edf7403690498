import type { Ownership } from "../../contract";

/**
 * Typed domain errors. Adapters throw the store-level ones; `problems.ts` maps every one of them
 * to an HTTP problem in one place.
 */
export abstract class CellError extends Error {
  override readonly name: string = this.constructor.name;
}

/** The record's stored version is not the one the write was planned against. */
export class VersionConflictError extends CellError {
  constructor(
    readonly tenantId: string,
    readonly recordId: string,
    message: string,
    /** The live version now, if known (undefined: absent, deleted or not looked up). */
    readonly currentVersion?: number,
  ) {
    super(message);
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

export class IdempotencyKeyReusedError extends CellError {}

/**
 * An idempotency key was taken by a write that committed between this request's look-up and its own
 * commit. The caller reads the stored outcome again and replays it.
 */
export class IdempotencyKeyTakenError extends CellError {}

/**
 * The tenant is not served here the way the request needs: unknown (`ownership` undefined), moved,
 * fenced (writes) or importing. The problem follows from the ownership record.
 */
export class TenantNotServedError extends CellError {
  constructor(
    readonly tenantId: string,
    readonly ownership: Ownership | undefined,
    readonly write: boolean,
  ) {
    super(
      ownership === undefined
        ? `tenant '${tenantId}' is not held by this cell`
        : ownership.state === "moved"
          ? `tenant '${tenantId}' moved to cell '${ownership.movedTo?.cellId ?? "?"}' at epoch ${ownership.movedTo?.epoch ?? ownership.epoch}`
          : ownership.state === "fenced"
            ? `tenant '${tenantId}' is being handed over to another cell; writes are paused, reads still work`
            : ownership.state === "active"
              ? `tenant '${tenantId}' takes no writes until its standby on '${ownership.standby?.cellId ?? "?"}' confirms it again (its write lease ran out); reads still work`
              : ownership.state === "standby"
                ? `tenant '${tenantId}' is a standby on this cell (replicated from '${ownership.replica?.primary.cellId ?? "?"}'); it serves nothing until a failover promotes it`
                : `tenant '${tenantId}' is ${ownership.state} on this cell and not serving yet`,
    );
  }
}

/** An ownership compare-and-set found another state than the caller expected. */
export class EpochConflictError extends CellError {
  constructor(
    readonly tenantId: string,
    readonly current: Ownership | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** An admin operation the tenant's ownership state does not allow (an import into an active tenant, a purge of an active one). */
export class OwnershipStateError extends CellError {
  constructor(
    readonly tenantId: string,
    readonly current: Ownership | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The store did not answer usably: unreachable, timing out, throttling or failing on its side. A
 * transient condition: the client gets 503 with `Retry-After`, never a 500. The adapters decide
 * what counts (SDK error names and status codes); anything they do not recognise stays a bug (500).
 */
export class StoreUnavailableError extends CellError {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
  }
}
