import type { Container } from "@azure/cosmos";
import type { NonceStore } from "../core";
import { COSMOS_STATUS, guarded, hasStatus } from "./cosmos-errors";
import { ITEM_KINDS, nonceItemId, ttlSeconds } from "./cosmos-items";
import { ifMatch, readItem } from "./cosmos-read-item";

/** A spent nonce, in its tenant's partition. */
interface NonceItem {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: typeof ITEM_KINDS.nonce;
  /** Random token of the claim that wrote it: a retry of that same claim finds its own token. */
  readonly token: string;
  /** Epoch seconds after which the nonce may be used again (its signature is stale by then anyway). */
  readonly expiresAt: number;
  /** Seconds; Cosmos DB deletes the item this long after its last write. */
  readonly ttl: number;
}

const CLAIM_ATTEMPTS = 3;

/**
 * `NonceStore` on the cell's Cosmos DB container: spending a nonce is an `items.create`, which Cosmos DB
 * makes atomic per id, so of concurrent requests with one nonce exactly one gets through. A create that
 * finds the nonce holding this claim's own token (the first attempt's answer was lost) succeeds. An
 * expired nonce that the TTL sweeper has not removed yet (the emulator never does) is taken over with a
 * replace conditioned on its ETag.
 */
export class CosmosNonceStore implements NonceStore {
  /**
   * @param deadlineMs The most one store operation may take, the SDK's retries included (see
   *   `guarded`); the cells pass two store-call budgets. @default no bound beyond the SDK's
   */
  constructor(
    private readonly container: Container,
    private readonly deadlineMs?: number,
  ) {}

  async claim(tenantId: string, nonce: string, expiresAtSec: number, nowSec: number): Promise<boolean> {
    const id = nonceItemId(nonce);
    const item: NonceItem = { id, tenantId, kind: ITEM_KINDS.nonce, token: crypto.randomUUID(), expiresAt: expiresAtSec, ttl: ttlSeconds(expiresAtSec, nowSec) };
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        await guarded("create", () => this.container.items.create(item), this.deadlineMs);
        return true;
      } catch (error) {
        if (!hasStatus(error, COSMOS_STATUS.conflict)) throw error;
      }
      const current = await readItem<NonceItem>(this.container, id, tenantId, this.deadlineMs);
      if (!current) continue; // swept between our create and read: try the create again
      if (current.item.token === item.token) return true;
      if (current.item.expiresAt > nowSec) return false;
      try {
        await guarded("replace", () => this.container.item(id, tenantId).replace(item, ifMatch(current.etag)), this.deadlineMs);
        return true;
      } catch (error) {
        if (hasStatus(error, COSMOS_STATUS.preconditionFailed)) return false; // a concurrent request took it
        if (!hasStatus(error, COSMOS_STATUS.notFound)) throw error;
      }
    }
    return false; // fail closed: a nonce we cannot prove fresh counts as replayed
  }
}
