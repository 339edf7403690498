import type { Container } from "@azure/cosmos";
import { systemClock, type ClaimResult, type Clock, type IdempotencyClaim, type IdempotencyStore, type StoredOutcome } from "../core";
import { COSMOS_STATUS, hasStatus } from "./cosmos-errors";
import { ITEM_KINDS, idempotencyItemId, ttlSeconds } from "./cosmos-items";
import { ifMatch, readItem } from "./cosmos-read-item";

/** An idempotency key as stored, in its tenant's partition. */
interface IdempotencyItem {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.idempotency;
  readonly state: "pending" | "completed";
  /** The claim that holds (or completed) the key. */
  readonly claimId: string;
  readonly fingerprint: string;
  /** Epoch ms until which a pending claim blocks others. */
  readonly leaseUntilMs: number;
  /** Epoch seconds after which the key is forgotten. */
  readonly expiresAt: number;
  readonly outcome?: StoredOutcome;
  /** Seconds; Cosmos DB deletes the item this long after its last write. */
  readonly ttl: number;
}

/** How often a claim retries when the item disappears between its create and its read (a release or a TTL sweep). */
const CLAIM_ATTEMPTS = 3;

/**
 * `IdempotencyStore` on the cell's Cosmos DB container. A claim is an `items.create` (atomic per id);
 * if the key exists, a claim may take over an expired key or a pending one whose lease ended, with a
 * replace conditioned on the ETag it read, so of several concurrent takers exactly one wins and the
 * others see the key as pending. Items carry a `ttl` for Cosmos DB's sweeper; until it runs (and always
 * on the emulator, which ignores TTL) an item whose `expiresAt` has passed counts as absent.
 */
export class CosmosIdempotencyStore implements IdempotencyStore {
  private readonly clock: Clock;

  /** @param options.clock computes the `ttl` of completed keys. @default systemClock */
  constructor(
    private readonly container: Container,
    options: { readonly clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async claim(tenantId: string, key: string, claim: IdempotencyClaim, nowMs: number): Promise<ClaimResult> {
    const id = idempotencyItemId(key);
    const pending: IdempotencyItem = {
      id,
      tenantId,
      kind: ITEM_KINDS.idempotency,
      state: "pending",
      claimId: claim.claimId,
      fingerprint: claim.fingerprint,
      leaseUntilMs: claim.leaseUntilMs,
      expiresAt: claim.expiresAtSec,
      ttl: ttlSeconds(claim.expiresAtSec, nowMs / 1000),
    };
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await this.container.items.create(pending);
        return { kind: "claimed" };
      } catch (error) {
        if (!hasStatus(error, COSMOS_STATUS.conflict)) throw error;
      }
      const current = await readItem<IdempotencyItem>(this.container, id, tenantId);
      if (!current) continue;
      const row = current.item;
      const expired = row.expiresAt * 1000 <= nowMs;
      if (!expired && row.state === "completed" && row.outcome) {
        return { kind: "completed", fingerprint: row.fingerprint, outcome: { status: row.outcome.status, body: row.outcome.body } };
      }
      if (!expired && !(row.state === "pending" && row.leaseUntilMs <= nowMs)) return { kind: "pending" };
      try {
        await this.container.item(id, tenantId).replace(pending, ifMatch(current.etag));
        return { kind: "claimed" };
      } catch (error) {
        if (hasStatus(error, COSMOS_STATUS.preconditionFailed)) return { kind: "pending" }; // another taker won
        if (!hasStatus(error, COSMOS_STATUS.notFound)) throw error;
      }
    }
    // The key kept vanishing under us: someone else is busy with it. Pending makes the client retry.
    return { kind: "pending" };
  }

  async complete(tenantId: string, key: string, claim: IdempotencyClaim, outcome: StoredOutcome): Promise<void> {
    const completed: IdempotencyItem = {
      id: idempotencyItemId(key),
      tenantId,
      kind: ITEM_KINDS.idempotency,
      state: "completed",
      claimId: claim.claimId,
      fingerprint: claim.fingerprint,
      leaseUntilMs: 0,
      expiresAt: claim.expiresAtSec,
      outcome: { status: outcome.status, body: outcome.body },
      ttl: ttlSeconds(claim.expiresAtSec, this.clock.now() / 1000),
    };
    await this.whileHolding(tenantId, key, claim, (etag) => this.container.item(completed.id, tenantId).replace(completed, ifMatch(etag)));
  }

  async release(tenantId: string, key: string, claim: IdempotencyClaim): Promise<void> {
    await this.whileHolding(tenantId, key, claim, (etag) => this.container.item(idempotencyItemId(key), tenantId).delete(ifMatch(etag)));
  }

  /**
   * Runs `write` (conditioned on the ETag read) only while `claim` still holds the key. Losing the key
   * in between (a takeover, a sweep) means there is nothing left to do.
   */
  private async whileHolding(tenantId: string, key: string, claim: IdempotencyClaim, write: (etag: string) => Promise<unknown>): Promise<void> {
    const current = await readItem<IdempotencyItem>(this.container, idempotencyItemId(key), tenantId);
    if (!current || current.item.state !== "pending" || current.item.claimId !== claim.claimId) return;
    try {
      await write(current.etag);
    } catch (error) {
      if (!hasStatus(error, COSMOS_STATUS.preconditionFailed) && !hasStatus(error, COSMOS_STATUS.notFound)) throw error;
    }
  }
}
