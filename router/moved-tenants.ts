import { REGISTRY_VERSION, type TenantEntry } from "../contract";
import { DEFAULT_MAX_ENTRIES } from "./cached-registry";

/**
 * Placements the isolate learned from cells' `tenant_moved` answers (409, naming the new cell and the
 * epoch at which it took the tenant). The cells are the authority on ownership and KV is a routing
 * hint that can lag a minute behind them, so a learned placement wins over the registry's entry as
 * long as its epoch is newer; once the registry's entry has caught up (its epoch is the same or
 * newer) the learned one is dropped. Epochs only grow, so this can never route a tenant back to a
 * cell it has left. At most `maxEntries` tenants, least recently learned evicted first.
 */
export class MovedTenants {
  private readonly moved = new Map<string, TenantEntry>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** Number of learned placements. */
  get size(): number {
    return this.moved.size;
  }

  /**
   * Remembers that `tenantId` is on `cellId` since `epoch`, unless a placement at least as new is
   * known already (learned, or `knownEpoch` from the registry). True when it was remembered.
   */
  learn(tenantId: string, cellId: string, epoch: number, knownEpoch = -1): boolean {
    const current = this.moved.get(tenantId);
    if (epoch <= knownEpoch || (current !== undefined && epoch <= current.epoch)) return false;
    this.moved.delete(tenantId);
    this.moved.set(tenantId, { v: REGISTRY_VERSION, tenantId, cellId, status: "active", epoch });
    while (this.moved.size > this.maxEntries) this.moved.delete(this.moved.keys().next().value as string);
    return true;
  }

  /**
   * The learned placement of `tenantId` when it is newer than the registry's epoch (`registryEpoch`,
   * undefined when the registry has no usable entry); a learned placement the registry has caught up
   * with is forgotten.
   */
  newerThan(tenantId: string, registryEpoch: number | undefined): TenantEntry | undefined {
    const learned = this.moved.get(tenantId);
    if (learned === undefined) return undefined;
    if (registryEpoch !== undefined && registryEpoch >= learned.epoch) {
      this.moved.delete(tenantId);
      return undefined;
    }
    return learned;
  }
}

/** What the router did with a cell's `tenant_moved` answer, for the log line. */
export interface MovedFollow {
  /** The cell that answered `tenant_moved`. */
  readonly from: string;
  /** The cell it named, and the epoch at which that cell took the tenant. */
  readonly to: string;
  readonly epoch: number;
  /** Whether the request was re-sent there; if not, `why`, and the client got the 409. */
  readonly followed: boolean;
  readonly why?: string;
}
