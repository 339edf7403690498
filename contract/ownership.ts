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
 *
 * Epochs only grow. Every change of owner bumps the epoch; every ownership change is a
 * compare-and-set on (epoch, state), so two controllers can never both win.
 */
export const OWNERSHIP_STATES = ["active", "importing", "fenced", "moved"] as const;
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
}

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
}

export const ownershipView = (o: Ownership): OwnershipView => ({
  tenant_id: o.tenantId,
  epoch: o.epoch,
  state: o.state,
  moved_to: o.movedTo ? { cell_id: o.movedTo.cellId, epoch: o.movedTo.epoch } : null,
  operation: o.operation ?? null,
  updated_at: o.updatedAt,
});

const isEpoch = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isState = (value: unknown): value is OwnershipState => typeof value === "string" && (OWNERSHIP_STATES as readonly string[]).includes(value);

/** Parses an admin API ownership answer. */
export function parseOwnershipView(value: unknown): Result<Ownership> {
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
  return ok({ tenantId: v.tenant_id, epoch: v.epoch, state: v.state, ...(movedTo ? { movedTo } : {}), ...(operation ? { operation } : {}), updatedAt: v.updated_at });
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
