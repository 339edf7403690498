import type { ChangeEvent } from "./change-event";
import { isCellId } from "./ids";
import type { MovedTo, OwnershipState } from "./ownership";
import { err, ok, type Result } from "./result";

/**
 * Standby replication on the wire: what a primary's replication consumer sends its standby
 * (`POST /replication/tenants/{t}/changes`, signed with the link's own key) and what the standby
 * answers. Two kinds of push share the route:
 *
 * - the fast path: changes as the primary's change stream delivers them (DynamoDB Streams, the
 *   Cosmos DB change feed), best effort;
 * - a sweep: every change of the tenant's outbox since the last confirmed point (less a margin),
 *   read straight from the primary's store, ending with `sweep`: the point the standby may now claim,
 *   and the primary's write lease, which the standby's confirmation renews.
 */
export interface ReplicationSweep {
  /** The primary's clock when the sweep began reading its outbox: every change committed before it was in the read. */
  readonly through: string;
  /** Where the read began (ISO, primary clock); null when the sweep read nothing (a heartbeat while seeding). */
  readonly scanned_since: string | null;
  /** How long the sweep took until this last push was sent, ms. */
  readonly sweep_ms: number;
  /** Changes the sweep's earlier pushes applied (not yet delivered by the fast path). */
  readonly applied_before: number;
  /** The primary's write lease from this push's sending, ms. */
  readonly lease_ms: number;
  /** How long a write the primary started under its lease may still take to commit, ms. */
  readonly guard_ms: number;
}

export interface ReplicationPush {
  /** The primary sending, and the epoch it holds the tenant at: a standby takes pushes from its own primary only. */
  readonly from_cell: string;
  readonly epoch: number;
  readonly changes: readonly ChangeEvent[];
  /** Present on a sweep's last push. */
  readonly sweep?: ReplicationSweep;
}

/** The standby's answer to a push. */
export interface ReplicationAck {
  readonly applied: number;
  readonly skipped: number;
  /** Whether the seed is complete (a sweep's point counts only from then). */
  readonly seeded: boolean;
  /** The replication point now claimed (primary clock), if any. */
  readonly applied_through: string | null;
}

/** Changes per push: a page stays far below the admin body limit. */
export const REPLICATION_PUSH_MAX_CHANGES = 200;

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isIso = (v: unknown): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v));

/** Checks a push's envelope; the changes themselves are checked one by one by the receiving cell. */
export function parseReplicationPush(value: unknown): Result<ReplicationPush> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return err("a replication push must be a JSON object");
  const v = value as Record<string, unknown>;
  if (!isCellId(v.from_cell)) return err(`from_cell must be a cell id, got ${JSON.stringify(v.from_cell)}`);
  if (!isCount(v.epoch) || v.epoch < 1) return err(`epoch must be an integer of at least 1, got ${JSON.stringify(v.epoch)}`);
  if (!Array.isArray(v.changes) || v.changes.length > REPLICATION_PUSH_MAX_CHANGES) return err(`changes must be an array of at most ${REPLICATION_PUSH_MAX_CHANGES} change events`);
  let sweep: ReplicationSweep | undefined;
  if (v.sweep !== undefined) {
    const s = v.sweep as Record<string, unknown>;
    const fine =
      typeof s === "object" &&
      s !== null &&
      isIso(s.through) &&
      (s.scanned_since === null || isIso(s.scanned_since)) &&
      isCount(s.sweep_ms) &&
      isCount(s.applied_before) &&
      isCount(s.lease_ms) &&
      isCount(s.guard_ms);
    if (!fine) return err("sweep must be {through, scanned_since, sweep_ms, applied_before, lease_ms, guard_ms}");
    sweep = s as unknown as ReplicationSweep;
  }
  return ok({ from_cell: v.from_cell, epoch: v.epoch, changes: v.changes as ChangeEvent[], ...(sweep ? { sweep } : {}) });
}

/** A link key id: `repl-` and 16 hex digits (a key id of the contract's shape, never one of a cell's own keys). */
export const LINK_KEY_ID_PATTERN = /^repl-[0-9a-f]{16}$/;

/** What `PUT /admin/tenants/{t}/replica` asks a cell for: become (or stay) the standby of `primary` at `epoch`. */
export interface ReplicaRequest {
  readonly epoch: number;
  readonly primary: MovedTo;
  readonly keyId: string;
  readonly secret: string;
  readonly operation?: string;
  /** The (epoch, state) read before; null for a tenant new to the cell. */
  readonly expected: { readonly epoch: number; readonly state: OwnershipState } | null;
  /** Marks the seed done; the link's `since`, from which the first counted sweep must read. */
  readonly seededFrom?: string;
}
