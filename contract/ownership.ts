import { isCellId, isTenantId } from "./ids";
import { err, ok, type Result } from "./result";

/**
 * Tenant ownership, as every cell keeps it for each tenant it has ever held. The cells are the
 * authority; the KV registry is a routing hint that may lag behind them.
 *
 * - `active`: this cell serves the tenant's reads and writes.
 * - `importing`: this cell is receiving the tenant (a move in progress, or a standby): it serves
 *   nothing to clients (503) and accepts admin imports.
 * - `fenced`: this cell is handing the tenant over: reads are served, writes answer 503 with a short
 *   `Retry-After`, and no write can commit (the check is atomic with every write).
 * - `moved`: the tenant now lives on `movedTo`; every client request answers 409 `tenant_moved`.
 * - `standby`: this cell holds a continuously replicated copy of a tenant that lives on another cell
 *   (`replica.primary`): it serves nothing (503) and accepts the seed's imports and its primary's
 *   replicated changes, until a failover promotes it to `active` at the same epoch.
 *
 * Epochs only grow. Every change of owner bumps the epoch; every ownership change is a
 * compare-and-set on (epoch, state), so two controllers can never both win.
 */
export const OWNERSHIP_STATES = ["active", "importing", "fenced", "moved", "standby"] as const;
export type OwnershipState = (typeof OWNERSHIP_STATES)[number];

/** Where a moved tenant went. */
export interface MovedTo {
  readonly cellId: string;
  readonly epoch: number;
}

export interface Ownership {
  readonly tenantId: string;
  readonly epoch: number;
  readonly state: OwnershipState;
  /** Set when `state` is `moved` (and kept as history otherwise, never required). */
  readonly movedTo?: MovedTo;
  /**
   * Which operation made the last change (a move's id): repeating a change with the same operation is
   * a no-op, while another controller asking for the same change is refused, so two controllers can
   * never both believe they drive one move.
   */
  readonly operation?: string;
  /** ISO-8601 UTC time of the last change. */
  readonly updatedAt: string;
  /** On a primary: the standby cell its changes replicate to (see `StandbyLink`). */
  readonly standby?: StandbyLink;
  /**
   * On a primary with a standby: until when (epoch ms, this cell's clock) it may commit writes. Its
   * replication consumer extends it each time the standby confirms it is still a standby; a primary
   * whose standby stopped confirming takes no writes once it runs out, so a standby promoted after
   * the lease has run out can never race a primary that is cut off (see `ReplicaState.leaseMs`).
   */
  readonly leaseUntil?: number;
  /** On a standby, and on a standby a failover promoted: its primary and how far it has applied. */
  readonly replica?: ReplicaState;
}

/**
 * A primary's link to its standby. `keyId` and `secret` sign the replication calls: minted by
 * `cellctl standby` for this one link and known to these two cells only, never shown by an admin
 * answer, never a key of either cell.
 */
export interface StandbyLink {
  readonly cellId: string;
  /** The standby cell's base URL (its registry entry's `url`). */
  readonly url: string;
  readonly keyId: string;
  readonly secret: string;
  /** When the link was made (ISO, this cell's clock): the first sweep reads the change stream from here. */
  readonly since: string;
  /** The last replication point the standby confirmed (ISO, this cell's clock): the next sweep reads from here (less its margin). */
  readonly confirmedThrough?: string;
  /** Whether the standby said its seed is complete (until then a sweep only renews the lease). */
  readonly seeded?: boolean;
}

/** What a standby knows about its primary and its own progress; every time is on the clock named. */
export interface ReplicaState {
  /** The cell it replicates and the epoch the tenant has there. */
  readonly primary: MovedTo;
  readonly keyId: string;
  readonly secret: string;
  /** When the seed (the bulk copy) finished (standby clock); before that nothing is claimed. */
  readonly seededAt?: string;
  /** The link's `since`: the first sweep that counts must read the primary's stream from at most here. */
  readonly seededFrom?: string;
  /**
   * The replication point (primary clock): every change the primary committed at or before it is
   * here. Set by the primary's sweeps (which read its change stream, not only what was delivered).
   */
  readonly appliedThrough?: string;
  /** When the last sweep was confirmed (standby clock): the last time this cell heard from its primary. */
  readonly lastHeardAt?: string;
  /** How long that sweep took on the primary, ms (read to confirmed): part of the lag. */
  readonly sweepMs?: number;
  /** Changes the last sweep had to apply because the fast path had not delivered them yet. */
  readonly caughtUp?: number;
  /** The primary's write lease after each confirmation, ms. */
  readonly leaseMs?: number;
  /** How long a write the primary had started under its lease may still take to commit, ms. */
  readonly guardMs?: number;
  /** Set by a failover: when this cell became the tenant's owner (its clock). */
  readonly promotedAt?: string;
}

/** The earliest time (epoch ms, standby clock) a standby may be promoted: its primary's write lease has run out by then. */
export const promotableAt = (replica: ReplicaState): number | undefined =>
  replica.lastHeardAt === undefined || replica.leaseMs === undefined ? undefined : Date.parse(replica.lastHeardAt) + replica.leaseMs + (replica.guardMs ?? 0);

/**
 * How far behind a standby is, ms, on its own clock: the time since it last heard from its primary
 * plus how long that sweep took. Undefined before its first confirmed sweep.
 */
export const replicaLagMs = (replica: ReplicaState, nowMs: number): number | undefined =>
  replica.lastHeardAt === undefined || replica.appliedThrough === undefined ? undefined : Math.max(0, nowMs - Date.parse(replica.lastHeardAt)) + (replica.sweepMs ?? 0);

/** Operation ids: what a controller names its changes with. */
export const OPERATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The wire (snake_case) view of an ownership record, as the admin API answers it. */
export interface OwnershipView {
  readonly tenant_id: string;
  readonly epoch: number;
  readonly state: OwnershipState;
  readonly moved_to: { readonly cell_id: string; readonly epoch: number } | null;
  readonly operation: string | null;
  readonly updated_at: string;
  /** On a primary: its standby (never the link's key). */
  readonly standby?: { readonly cell_id: string; readonly since: string; readonly confirmed_through: string | null } | null;
  readonly lease_until?: string | null;
  /** On a standby (or a promoted one): its primary and progress (never the link's key); `lag_ms` on the answering cell's clock. */
  readonly replica?: ReplicaView | null;
}

/** The wire view of `ReplicaState`, without the link's key. */
export interface ReplicaView {
  readonly primary: { readonly cell_id: string; readonly epoch: number };
  readonly seeded_at: string | null;
  readonly applied_through: string | null;
  readonly last_heard_at: string | null;
  readonly lag_ms: number | null;
  readonly caught_up: number | null;
  readonly lease_ms: number | null;
  readonly guard_ms: number | null;
  readonly promotable_at: string | null;
  readonly promoted_at: string | null;
}

const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The wire view of an ownership record. `nowMs` (the answering cell's clock) computes a standby's lag. */
export const ownershipView = (o: Ownership, nowMs: number = Date.now()): OwnershipView => ({
  tenant_id: o.tenantId,
  epoch: o.epoch,
  state: o.state,
  moved_to: o.movedTo ? { cell_id: o.movedTo.cellId, epoch: o.movedTo.epoch } : null,
  operation: o.operation ?? null,
  updated_at: o.updatedAt,
  ...(o.standby ? { standby: { cell_id: o.standby.cellId, since: o.standby.since, confirmed_through: o.standby.confirmedThrough ?? null } } : {}),
  ...(o.leaseUntil !== undefined ? { lease_until: isoOrNull(o.leaseUntil) } : {}),
  ...(o.replica
    ? {
        replica: {
          primary: { cell_id: o.replica.primary.cellId, epoch: o.replica.primary.epoch },
          seeded_at: o.replica.seededAt ?? null,
          applied_through: o.replica.appliedThrough ?? null,
          last_heard_at: o.replica.lastHeardAt ?? null,
          lag_ms: o.replica.promotedAt === undefined ? (replicaLagMs(o.replica, nowMs) ?? null) : null,
          caught_up: o.replica.caughtUp ?? null,
          lease_ms: o.replica.leaseMs ?? null,
          guard_ms: o.replica.guardMs ?? null,
          promotable_at: isoOrNull(promotableAt(o.replica)),
          promoted_at: o.replica.promotedAt ?? null,
        },
      }
    : {}),
});

/** What an admin client reads back from an ownership answer beyond the record itself. */
export interface OwnershipDetails {
  readonly standby?: { readonly cellId: string; readonly since: string; readonly confirmedThrough?: string };
  readonly leaseUntil?: string;
  readonly replica?: {
    readonly primary: MovedTo;
    readonly seededAt?: string;
    readonly appliedThrough?: string;
    readonly lastHeardAt?: string;
    readonly lagMs?: number;
    readonly caughtUp?: number;
    readonly promotableAt?: string;
    readonly promotedAt?: string;
  };
}

const isEpoch = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isState = (value: unknown): value is OwnershipState => typeof value === "string" && (OWNERSHIP_STATES as readonly string[]).includes(value);

/** Parses an admin API ownership answer. Link keys are never on the wire: `standby` and `replica` come back as `details`. */
export function parseOwnershipView(value: unknown): Result<Ownership & { readonly details?: OwnershipDetails }> {
  if (typeof value !== "object" || value === null) return err("ownership must be a JSON object");
  const v = value as Record<string, unknown>;
  if (!isTenantId(v.tenant_id)) return err(`ownership tenant_id is invalid: ${JSON.stringify(v.tenant_id)}`);
  if (!isEpoch(v.epoch)) return err(`ownership epoch must be a non-negative integer, got ${JSON.stringify(v.epoch)}`);
  if (!isState(v.state)) return err(`ownership state must be one of ${OWNERSHIP_STATES.join(", ")}, got ${JSON.stringify(v.state)}`);
  let movedTo: MovedTo | undefined;
  if (v.moved_to !== null && v.moved_to !== undefined) {
    const m = v.moved_to as Record<string, unknown>;
    if (typeof m !== "object" || !isCellId(m.cell_id) || !isEpoch(m.epoch)) return err(`ownership moved_to must be {cell_id, epoch}, got ${JSON.stringify(v.moved_to)}`);
    movedTo = { cellId: m.cell_id, epoch: m.epoch };
  }
  if (typeof v.updated_at !== "string") return err("ownership updated_at must be a string");
  if (v.operation !== undefined && v.operation !== null && !(typeof v.operation === "string" && OPERATION_ID_PATTERN.test(v.operation))) {
    return err(`ownership operation is invalid: ${JSON.stringify(v.operation)}`);
  }
  const operation = typeof v.operation === "string" ? v.operation : undefined;
  const details = parseDetails(v);
  if (typeof details === "string") return err(details);
  return ok({ tenantId: v.tenant_id, epoch: v.epoch, state: v.state, ...(movedTo ? { movedTo } : {}), ...(operation ? { operation } : {}), updatedAt: v.updated_at, ...(details ? { details } : {}) });
}

const optString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const optNumber = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;

/** The standby and replica parts of an ownership answer, or a message when they are malformed. */
function parseDetails(v: Record<string, unknown>): OwnershipDetails | undefined | string {
  const details: { -readonly [K in keyof OwnershipDetails]: OwnershipDetails[K] } = {};
  if (v.standby !== undefined && v.standby !== null) {
    const s = v.standby as Record<string, unknown>;
    if (typeof s !== "object" || !isCellId(s.cell_id) || typeof s.since !== "string") return `ownership standby must be {cell_id, since, confirmed_through}, got ${JSON.stringify(v.standby)}`;
    details.standby = defined({ cellId: s.cell_id, since: s.since, confirmedThrough: optString(s.confirmed_through) });
  }
  if (typeof v.lease_until === "string") details.leaseUntil = v.lease_until;
  if (v.replica !== undefined && v.replica !== null) {
    const r = v.replica as Record<string, unknown>;
    const p = (r?.primary ?? {}) as Record<string, unknown>;
    if (typeof r !== "object" || !isCellId(p.cell_id) || !isEpoch(p.epoch)) return `ownership replica must name its primary {cell_id, epoch}, got ${JSON.stringify(v.replica)}`;
    details.replica = defined({
      primary: { cellId: p.cell_id, epoch: p.epoch },
      seededAt: optString(r.seeded_at),
      appliedThrough: optString(r.applied_through),
      lastHeardAt: optString(r.last_heard_at),
      lagMs: optNumber(r.lag_ms),
      caughtUp: optNumber(r.caught_up),
      promotableAt: optString(r.promotable_at),
      promotedAt: optString(r.promoted_at),
    });
  }
  return Object.keys(details).length === 0 ? undefined : details;
}

/**
 * The extension members of a `tenant_moved` problem (409): the cell that owns the tenant now and the
 * epoch at which it took it. The router re-sends the request there once, if its registry knows that
 * cell and the cell is active.
 */
export interface TenantMovedExtensions {
  readonly cell: string;
  readonly epoch: number;
}

/** The `cell` and `epoch` of a `tenant_moved` problem body, or undefined when they are missing or malformed. */
export function tenantMovedTarget(body: unknown): TenantMovedExtensions | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { cell, epoch } = body as { cell?: unknown; epoch?: unknown };
  return isCellId(cell) && isEpoch(epoch) ? { cell, epoch } : undefined;
}
