import { problem, type Problem } from "../../contract";
import {
  AuthError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InvalidJsonError,
  PayloadTooLargeError,
  RecordNotFoundError,
  ValidationError,
  VersionConflictError,
} from "./errors";

/**
 * The one place where domain errors become HTTP problems. Anything unknown is a 500 whose detail
 * says nothing about the internals; the error itself goes to the log, never to the client.
 */
export function toProblem(error: unknown, requestId: string): Problem {
  if (error instanceof AuthError) return problem(error.reason, error.message, requestId);
  if (error instanceof ValidationError) return problem("invalid_request", error.message, requestId);
  if (error instanceof InvalidJsonError) return problem("invalid_json", error.message, requestId);
  if (error instanceof PayloadTooLargeError) return problem("payload_too_large", error.message, requestId);
  if (error instanceof RecordNotFoundError) return problem("record_not_found", error.message, requestId);
  if (error instanceof VersionConflictError) {
    return problem("version_conflict", error.message, requestId, { currentVersion: error.currentVersion ?? null });
  }
  if (error instanceof IdempotencyInProgressError) return problem("idempotency_in_progress", error.message, requestId);
  if (error instanceof IdempotencyKeyReusedError) return problem("idempotency_key_reused", error.message, requestId);
  return problem("internal", "the cell could not process the request; see its logs for this requestId", requestId);
}

