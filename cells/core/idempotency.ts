import { canonicalPath, canonicalQuery, sha256Hex } from "../../contract";
import { IdempotencyInProgressError, IdempotencyKeyReusedError, ValidationError } from "./errors";
import type { Clock, IdempotencyStore, StoredOutcome } from "./ports";
import type { CellRequest } from "./request";

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a claimed-but-unfinished key blocks a retry before the retry may take over. Well above the
 * longest a cell may run a request (Lambda timeout at most 29 s, Functions `functionTimeout` 25 s), so
 * a takeover only happens once the first execution is dead; claim ids fence the rare exception.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** Same key + same fingerprint = same request. Method, canonical path and query, and the body bytes. */
async function fingerprint(req: CellRequest): Promise<string> {
  return sha256Hex(`${req.method.toUpperCase()}\n${canonicalPath(req.path)}\n${canonicalQuery(req.query)}\n${await sha256Hex(req.body)}`);
}

export interface IdempotentResult {
  readonly outcome: StoredOutcome;
  /** True when the outcome is the stored one from an earlier execution. */
  readonly replayed: boolean;
}

/**
 * Runs a write at most once per (tenant, key): the first execution's response is stored and replayed
 * to retries. Outcomes below 500 are final (a 409 replays as a 409); a 5xx or a thrown error releases
 * the key so the client can retry.
 */
export async function runIdempotent(
  deps: { readonly store: IdempotencyStore; readonly clock: Clock },
  tenantId: string,
  key: string,
  req: CellRequest,
  execute: () => Promise<StoredOutcome>,
): Promise<IdempotentResult> {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError(`idempotency-key must match ${IDEMPOTENCY_KEY_PATTERN}, got '${key.slice(0, 140)}'`);
  }
  const print = await fingerprint(req);
  const nowMs = deps.clock.now();
  const expiresAtSec = Math.floor(nowMs / 1000) + IDEMPOTENCY_TTL_SECONDS;
  const mine = { claimId: crypto.randomUUID(), fingerprint: print, leaseUntilMs: nowMs + IDEMPOTENCY_LEASE_MS, expiresAtSec };
  const claim = await deps.store.claim(tenantId, key, mine, nowMs);
  if (claim.kind === "pending") throw new IdempotencyInProgressError(`idempotency key '${key}' is held by a request still running; retry later`);
  if (claim.kind === "completed") {
    if (claim.fingerprint !== print) throw new IdempotencyKeyReusedError(`idempotency key '${key}' was first used with a different request`);
    return { outcome: claim.outcome, replayed: true };
  }
  let outcome: StoredOutcome;
  try {
    outcome = await execute();
  } catch (error) {
    await deps.store.release(tenantId, key, mine);
    throw error;
  }
  if (outcome.status >= 500) await deps.store.release(tenantId, key, mine);
  else await deps.store.complete(tenantId, key, mine, outcome);
  return { outcome, replayed: false };
}
