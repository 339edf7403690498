import { Headers, PROBLEM_CONTENT_TYPE, ownershipView, problem, type Cloud, type Problem } from "../../contract";
import {
  AuthError,
  EpochConflictError,
  IdempotencyKeyReusedError,
  InvalidJsonError,
  OwnershipStateError,
  PayloadTooLargeError,
  RecordNotFoundError,
  StoreUnavailableError,
  TenantNotServedError,
  ValidationError,
  VersionConflictError,
} from "./errors";
import type { CellResponse } from "./request";

/** `Retry-After` seconds of the cell's 503 answers. */
export const CELL_RETRY_AFTER_SECONDS = {
  /** A fenced tenant: the hand-over's write pause is a second or two. */
  tenantFenced: 1,
  /** A tenant still importing here: the router should not have sent it; its registry catches up within seconds. */
  tenantUnavailable: 5,
  /** The store did not answer: try again soon. */
  storeUnavailable: 1,
  /** A primary whose standby has not confirmed its write lease: the next confirmation is a sweep away. */
  leaseExpired: 1,
} as const;

/** A problem and the headers that go with it (`Retry-After` on 503s). */
export interface ProblemAnswer {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
}

const retryAfter = (seconds: number) => ({ [Headers.retryAfter]: String(seconds) });

/**
 * The one place where domain errors become HTTP problems. Anything unknown is a 500 whose detail
 * says nothing about the internals; the error itself goes to the log, never to the client.
 */
export function toProblemAnswer(error: unknown, requestId: string): ProblemAnswer {
  const plain = (p: Problem): ProblemAnswer => ({ problem: p, headers: {} });
  if (error instanceof AuthError) return plain(problem(error.reason, error.message, requestId));
  if (error instanceof ValidationError) return plain(problem("invalid_request", error.message, requestId));
  if (error instanceof InvalidJsonError) return plain(problem("invalid_json", error.message, requestId));
  if (error instanceof PayloadTooLargeError) return plain(problem("payload_too_large", error.message, requestId));
  if (error instanceof RecordNotFoundError) return plain(problem("record_not_found", error.message, requestId));
  if (error instanceof VersionConflictError) return plain(problem("version_conflict", error.message, requestId, { currentVersion: error.currentVersion ?? null }));
  if (error instanceof IdempotencyKeyReusedError) return plain(problem("idempotency_key_reused", error.message, requestId));
  if (error instanceof TenantNotServedError) {
    const { ownership } = error;
    if (ownership === undefined) return plain(problem("unknown_tenant", error.message, requestId));
    if (ownership.state === "moved") {
      const target = ownership.movedTo ?? { cellId: "", epoch: ownership.epoch };
      return plain(problem("tenant_moved", error.message, requestId, { cell: target.cellId, epoch: target.epoch }));
    }
    if (ownership.state === "fenced") return { problem: problem("tenant_fenced", error.message, requestId), headers: retryAfter(CELL_RETRY_AFTER_SECONDS.tenantFenced) };
    if (ownership.state === "active") return { problem: problem("tenant_unavailable", error.message, requestId), headers: retryAfter(CELL_RETRY_AFTER_SECONDS.leaseExpired) };
    return { problem: problem("tenant_unavailable", error.message, requestId), headers: retryAfter(CELL_RETRY_AFTER_SECONDS.tenantUnavailable) };
  }
  if (error instanceof EpochConflictError) return plain(problem("epoch_conflict", error.message, requestId, { current: error.current ? ownershipView(error.current) : null }));
  if (error instanceof OwnershipStateError) return plain(problem("ownership_state", error.message, requestId, { current: error.current ? ownershipView(error.current) : null }));
  if (error instanceof StoreUnavailableError) {
    return { problem: problem("store_unavailable", "the cell's store did not answer; retry shortly", requestId), headers: retryAfter(CELL_RETRY_AFTER_SECONDS.storeUnavailable) };
  }
  return plain(internalProblem(requestId));
}

const internalProblem = (requestId: string): Problem => problem("internal", "the cell could not process the request; see its logs for this requestId", requestId);

/**
 * The 500 answer for a failure outside the core's handler (the cell could not be composed, or an
 * adapter's translation threw), the same on both clouds: it names the request id and the cloud, and
 * says nothing about the cause.
 */
export function internalProblemResponse(requestId: string, cloud: Cloud): CellResponse {
  const body = internalProblem(requestId);
  return {
    status: body.status,
    headers: { [Headers.contentType]: PROBLEM_CONTENT_TYPE, [Headers.requestId]: requestId, [Headers.processedByCloud]: cloud },
    body: JSON.stringify(body),
  };
}

/** The problem alone (no headers), for callers that only need the body. */
export const toProblem = (error: unknown, requestId: string): Problem => toProblemAnswer(error, requestId).problem;
