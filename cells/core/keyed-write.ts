import { canonicalPath, canonicalQuery, sha256Hex } from "../../contract";
import { CellError, IdempotencyKeyReusedError, IdempotencyKeyTakenError, StoreUnavailableError, TenantNotServedError, ValidationError } from "./errors";
import type { Clock, IdempotencyEntry, Logger, TenantStore } from "./ports";
import type { PlannedWrite, StoredOutcome } from "./record-service";
import type { CellRequest } from "./request";

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** How long a key is remembered, seconds. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** Same key + same fingerprint = same request: method, canonical path and query, and the body bytes. */
export async function fingerprint(req: CellRequest): Promise<string> {
  return sha256Hex(`${req.method.toUpperCase()}\n${canonicalPath(req.path)}\n${canonicalQuery(req.query)}\n${await sha256Hex(req.body)}`);
}

export interface KeyedResult {
  readonly outcome: StoredOutcome;
  /** True when the answer is the stored one of an earlier execution. */
  readonly replayed: boolean;
}

/** What a keyed write runs: plan it (may throw a domain error that becomes a stored 4xx), and commit it with its answer. */
export interface KeyedWork {
  /** Works out the write and its answer; `undefined` for a request that writes nothing but its answer (`POST /api/process`). */
  plan(): Promise<PlannedWrite | { readonly outcome: StoredOutcome; readonly write?: undefined }>;
  /** Commits a planned write atomically with `entry`. */
  commit(planned: PlannedWrite, entry: IdempotencyEntry): Promise<void>;
  /** Turns a domain error into the problem answer that is stored and replayed; undefined for errors that must not be stored. */
  answerFor(error: unknown): StoredOutcome | undefined;
}

export interface KeyedDeps {
  readonly store: TenantStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Runs a write exactly once per (tenant, key) and gives every retry the first answer.
 *
 * There is no "in progress" state to leave behind: the answer of a write is committed in the same
 * atomic operation as the write itself, so a key is either unused (the write did not happen; a retry
 * performs it) or holds the answer (the write happened; a retry replays it). Concretely:
 *
 * 1. a stored answer for the key is replayed (422 if the key came with another request);
 * 2. the write is planned; a domain refusal (400, 404, 409, 413) is stored on its own and replayed later;
 * 3. the write commits with its answer. When another request with the key committed first, its answer
 *    is replayed; when the store fails in a way that leaves the outcome unknown (a cut connection after
 *    the request left), the key is looked up once more: found, the write happened and its answer is
 *    replayed; not found, the client gets 503 and its retry with the key settles it either way.
 *
 * Ownership refusals (404 unknown tenant, 409 moved, 503 fenced) are never stored: they say where to
 * go or when to come back, not what the write did.
 */
export async function runKeyedWrite(deps: KeyedDeps, tenantId: string, key: string, req: CellRequest, work: KeyedWork): Promise<KeyedResult> {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError(`idempotency-key must match ${IDEMPOTENCY_KEY_PATTERN}, got '${key.slice(0, 140)}'`);
  }
  const print = await fingerprint(req);
  const nowSec = Math.floor(deps.clock.now() / 1000);
  const replay = (entry: IdempotencyEntry): KeyedResult => {
    if (entry.fingerprint !== print) throw new IdempotencyKeyReusedError(`idempotency key '${key}' was first used with a different request`);
    return { outcome: { status: entry.status, body: entry.body }, replayed: true };
  };
  const lookUp = () => deps.store.idempotencyEntry(tenantId, key, nowSec);

  const stored = await lookUp();
  if (stored) return replay(stored);

  const entryFor = (outcome: StoredOutcome): IdempotencyEntry => ({ key, fingerprint: print, ...outcome, expiresAtSec: nowSec + IDEMPOTENCY_TTL_SECONDS, writtenAtSec: nowSec });
  /** Stores a refusal or a write-less answer; if another request stored one first, that one is the answer. */
  const keep = async (outcome: StoredOutcome): Promise<KeyedResult> => {
    if (await deps.store.saveOutcome(tenantId, entryFor(outcome))) return { outcome, replayed: false };
    const winner = await lookUp();
    if (!winner) throw new StoreUnavailableError(`idempotency key '${key}' was taken but its answer cannot be read`);
    return replay(winner);
  };

  let planned: Awaited<ReturnType<KeyedWork["plan"]>>;
  try {
    planned = await work.plan();
  } catch (error) {
    const answer = storable(error, work);
    if (answer === undefined) throw error;
    return keep(answer);
  }
  if (planned.write === undefined) return keep(planned.outcome);

  try {
    await work.commit(planned, entryFor(planned.outcome));
    return { outcome: planned.outcome, replayed: false };
  } catch (error) {
    if (error instanceof IdempotencyKeyTakenError) {
      const winner = await lookUp();
      if (winner) return replay(winner);
      throw new StoreUnavailableError(`idempotency key '${key}' was taken but its answer cannot be read`);
    }
    if (error instanceof CellError && !(error instanceof StoreUnavailableError)) {
      const answer = storable(error, work);
      if (answer === undefined) throw error;
      return keep(answer);
    }
    // Unknown outcome (store unreachable, cut connection, timeout): did the write commit after all?
    const settled = await lookUp().catch(() => undefined);
    if (settled) {
      deps.logger.log({ level: "warn", msg: "keyed write committed although the store call failed; replaying its answer", tenantId, key, error: String(error) });
      return replay(settled);
    }
    throw error;
  }
}

function storable(error: unknown, work: KeyedWork): StoredOutcome | undefined {
  if (error instanceof TenantNotServedError || error instanceof StoreUnavailableError) return undefined;
  return work.answerFor(error);
}
