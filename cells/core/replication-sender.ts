import {
  Headers,
  PATHS,
  REPLICATION_PUSH_MAX_CHANGES,
  parseJsonOrUndefined,
  parseOwnershipView,
  pathOf,
  problemCode,
  signatureHeaders,
  type ChangeEvent,
  type Ownership,
  type ReplicationAck,
  type ReplicationPush,
  type StandbyLink,
} from "../../contract";
import { EpochConflictError, StoreUnavailableError } from "./errors";
import { parseChangeEvent, type OutboxEntry } from "./lake";
import type { Clock, Logger, TenantStore } from "./ports";

/**
 * The primary side of standby replication: the consumer of a cell's change stream that hands each
 * tenant's committed changes to the tenant's standby cell, and the periodic sweep that makes the
 * standby's replication point and the primary's write lease trustworthy.
 *
 * - `deliver` (the fast path) runs on what the store's own stream delivers (the DynamoDB stream's
 *   outbox items, the Cosmos DB change feed's outbox documents). Best effort: a push that fails is
 *   logged and left to the next sweep, so one unreachable standby never blocks the stream for the
 *   cell's other tenants; only a failure to read its own store is thrown (the platform retries it).
 * - `sweep` (every `sweepEvery`, from a schedule) reads each linked tenant's outbox straight from the
 *   store, from the last confirmed point less `scanMarginMs` (a change's commit time is stamped when
 *   its write is planned, and it commits within the cell's store budget), pushes it all (the standby
 *   skips what it has) and ends with the sweep's start time: every change committed before it is then
 *   on the standby. The standby's confirmation renews the primary's write lease. A sweep cannot miss a
 *   committed change: the outbox entry commits atomically with the record.
 *
 * When the standby answers that a failover has promoted it, this cell's ownership becomes `moved` to
 * it (epoch e+1) before anything else: the lease has run out by then (the promotion waited for it),
 * so no write committed here in between.
 */
export interface ReplicationSenderDeps {
  readonly cellId: string;
  readonly store: TenantStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How pushes go out (the runtime's `fetch`). */
  readonly fetch: typeof fetch;
  readonly timing: ReplicationTiming;
}

/** How the consumer paces the lease and the sweeps. */
export interface ReplicationTiming {
  /** The write lease one confirmation gives the primary, ms; a few sweep intervals. */
  readonly leaseMs: number;
  /** How long a write the cell started under its lease may still take to commit (its store budget with retries), ms. */
  readonly guardMs: number;
  /** How far before the last confirmed point a sweep starts reading, ms (at least the longest plan-to-commit time). */
  readonly scanMarginMs: number;
  /** Budget of one push, ms. @default 10000 */
  readonly pushTimeoutMs?: number;
  /**
   * How long a sweep may reuse the list of linked tenants before listing every tenant of the cell
   * again, ms (each linked tenant's ownership is still read fresh). Listing is a query over the whole
   * store, cheap at a sweep a minute and not at a sweep a second. @default 0 (list on every sweep)
   */
  readonly relistMs?: number;
}

/** What one sweep did, per tenant. */
export interface SweepResult {
  readonly tenantId: string;
  readonly standby: string;
  readonly outcome: "confirmed" | "superseded" | "failed";
  readonly pushed: number;
  readonly detail?: string;
}

/** A push the standby refused because it is no longer (or never was) this primary's standby. */
class RefusedPush extends Error {
  constructor(
    message: string,
    readonly current: Ownership | undefined,
  ) {
    super(message);
  }
}

/** Changes read per page of a tenant's outbox during a sweep. */
const SWEEP_PAGE = 1000;
/** How often a lease renewal that lost a race (a concurrent write of the ownership record) is tried again. */
const RENEW_ATTEMPTS = 8;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

export class ReplicationSender {
  /** The tenants linked to a standby at the last listing, and when it was made. */
  private linked: { readonly at: number; readonly tenants: readonly string[] } | undefined;

  constructor(private readonly deps: ReplicationSenderDeps) {}

  private iso(ms = this.deps.clock.now()): string {
    return new Date(ms).toISOString();
  }

  /**
   * The fast path: pushes the changes among `entries` (outbox entries as the stream delivered them)
   * to the standby of their tenant, if it has one. Returns how many changes were pushed.
   */
  async deliver(entries: readonly OutboxEntry[]): Promise<number> {
    const byTenant = new Map<string, ChangeEvent[]>();
    for (const entry of entries) {
      const parsed = parseChangeEvent(entry.event);
      if (!parsed.ok || parsed.value.tenant_id !== entry.partitionTenantId || parsed.value.cell_id !== this.deps.cellId) continue; // the lake logs these; replication just skips them
      const list = byTenant.get(parsed.value.tenant_id) ?? [];
      list.push(parsed.value);
      byTenant.set(parsed.value.tenant_id, list);
    }
    let pushed = 0;
    for (const [tenantId, changes] of byTenant) {
      const ownership = await this.deps.store.ownership(tenantId);
      if (ownership?.state !== "active" || ownership.standby === undefined) continue;
      try {
        for (const chunk of chunks(changes, REPLICATION_PUSH_MAX_CHANGES)) await this.push(ownership, ownership.standby, { from_cell: this.deps.cellId, epoch: ownership.epoch, changes: chunk });
        pushed += changes.length;
      } catch (error) {
        await this.onFailedPush(ownership, error, "fast path");
      }
    }
    return pushed;
  }

  /** Sweeps every tenant this cell is the primary of and that has a standby. */
  async sweep(): Promise<SweepResult[]> {
    const linked = (await this.linkedTenants()).filter((o) => o.state === "active" && o.standby !== undefined);
    const results: SweepResult[] = [];
    for (const ownership of linked) {
      const result = await this.sweepTenant(ownership);
      if (result.outcome !== "confirmed") this.deps.logger.log({ level: "warn", msg: `standby.sweep_${result.outcome}`, ...result });
      results.push(result);
    }
    return results;
  }

  /** The ownership of each tenant with a standby link: listed afresh, or read one by one from the last listing while it is recent. */
  private async linkedTenants(): Promise<Ownership[]> {
    const now = this.deps.clock.now();
    if (this.linked !== undefined && now - this.linked.at < (this.deps.timing.relistMs ?? 0)) {
      const read = await Promise.all(this.linked.tenants.map((t) => this.deps.store.ownership(t)));
      return read.filter((o): o is Ownership => o !== undefined);
    }
    const all = (await this.deps.store.listOwnerships()).filter((o) => o.standby !== undefined);
    this.linked = { at: now, tenants: all.map((o) => o.tenantId) };
    return all;
  }

  private async sweepTenant(ownership: Ownership): Promise<SweepResult> {
    const link = ownership.standby!;
    const { tenantId } = ownership;
    const { timing } = this.deps;
    const started = this.deps.clock.now();
    const through = this.iso(started);
    let pushed = 0;
    try {
      // Until the standby says its seed is done, a sweep only renews the lease: the seed copies what is older.
      const from = link.seeded ? (link.confirmedThrough ?? link.since) : undefined;
      const scannedSince = from === undefined ? null : this.iso(Date.parse(from) - timing.scanMarginMs);
      const changes = scannedSince === null ? [] : await this.outboxSince(tenantId, scannedSince);
      const parts = chunks(changes, REPLICATION_PUSH_MAX_CHANGES);
      let appliedBefore = 0;
      for (const part of parts.slice(0, -1)) {
        appliedBefore += (await this.push(ownership, link, { from_cell: this.deps.cellId, epoch: ownership.epoch, changes: part })).applied;
        pushed += part.length;
      }
      const last = parts[parts.length - 1] ?? [];
      const sentAt = this.deps.clock.now();
      const ack = await this.push(ownership, link, {
        from_cell: this.deps.cellId,
        epoch: ownership.epoch,
        changes: last,
        sweep: { through, scanned_since: scannedSince, sweep_ms: sentAt - started, applied_before: appliedBefore, lease_ms: timing.leaseMs, guard_ms: timing.guardMs },
      });
      pushed += last.length;
      await this.renewLease(tenantId, link.keyId, sentAt + timing.leaseMs, { ...(ack.applied_through !== null ? { confirmedThrough: through } : {}), seeded: ack.seeded });
      return { tenantId, standby: link.cellId, outcome: "confirmed", pushed };
    } catch (error) {
      const superseded = await this.onFailedPush(ownership, error, "sweep");
      return { tenantId, standby: link.cellId, outcome: superseded ? "superseded" : "failed", pushed, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Every outbox change of the tenant committed at or after `since`, oldest first. */
  private async outboxSince(tenantId: string, since: string): Promise<ChangeEvent[]> {
    const all = new Map<string, ChangeEvent>();
    let from = since;
    for (;;) {
      const page = await this.deps.store.changes(tenantId, { since: from, limit: SWEEP_PAGE });
      for (const change of page) all.set(change.id, change);
      if (page.length < SWEEP_PAGE) break;
      const last = page[page.length - 1]!.committed_at;
      if (last === from) break; // a full page within one millisecond: the map holds it already
      from = last;
    }
    return [...all.values()];
  }

  /**
   * Extends the write lease of the tenant's link `keyId` to `until` (never shortens it) and records
   * what the standby confirmed; a record that changed meanwhile (a write's lease check does not
   * change it, an operator's or a concurrent sweep's change does) is read again. Nothing is renewed
   * once the tenant is no longer active here with that link.
   */
  private async renewLease(tenantId: string, keyId: string, until: number, confirmed: Pick<StandbyLink, "confirmedThrough" | "seeded">): Promise<void> {
    for (let attempt = 1; attempt <= RENEW_ATTEMPTS; attempt++) {
      const current = await this.deps.store.ownership(tenantId);
      if (current?.state !== "active" || current.standby?.keyId !== keyId) return;
      const next: Ownership = {
        ...current,
        standby: { ...current.standby, ...confirmed },
        leaseUntil: Math.max(current.leaseUntil ?? 0, until),
        updatedAt: this.iso(),
      };
      try {
        await this.deps.store.setOwnership(next, { epoch: current.epoch, state: "active", updatedAt: current.updatedAt });
        return;
      } catch (error) {
        // Every write of the tenant touches its ownership record (the lease check is atomic with it), so
        // under load a renewal collides with them: try again shortly.
        if (!(error instanceof EpochConflictError || error instanceof StoreUnavailableError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
    this.deps.logger.log({ level: "warn", msg: "replication: lease renewal kept losing races; the next sweep renews it", tenantId });
  }

  /**
   * Handles a push that did not go through. A standby that a failover promoted (or that moved the
   * tenant on) makes this cell `moved` to it at its epoch; anything else is logged for the next sweep.
   * Returns whether this cell was superseded.
   */
  private async onFailedPush(ownership: Ownership, error: unknown, path: string): Promise<boolean> {
    const link = ownership.standby!;
    const current = error instanceof RefusedPush ? error.current : undefined;
    if (current !== undefined && current.epoch > ownership.epoch && (current.state === "active" || current.state === "moved" || current.state === "fenced")) {
      try {
        await this.deps.store.setOwnership(
          {
            tenantId: ownership.tenantId,
            epoch: current.epoch,
            state: "moved",
            movedTo: { cellId: link.cellId, epoch: current.epoch },
            operation: `superseded-by-${link.cellId}`,
            updatedAt: this.iso(),
          },
          { epoch: ownership.epoch, state: "active" },
        );
        this.deps.logger.log({ level: "warn", msg: "replication: a failover promoted the standby; this cell now answers tenant_moved", tenantId: ownership.tenantId, movedTo: link.cellId, epoch: current.epoch });
      } catch (fenceError) {
        if (!(fenceError instanceof EpochConflictError)) throw fenceError;
      }
      return true;
    }
    this.deps.logger.log({ level: "warn", msg: `replication: ${path} push failed; the next sweep retries`, tenantId: ownership.tenantId, standby: link.cellId, error: error instanceof Error ? error.message : String(error) });
    return false;
  }

  /** Signs a push with the link's key and sends it to the standby; a refusal naming the standby's ownership is a `RefusedPush`. */
  private async push(ownership: Ownership, link: StandbyLink, push: ReplicationPush): Promise<ReplicationAck> {
    const tenantId = ownership.tenantId;
    const path = pathOf(PATHS.replicationChanges, { tenantId });
    const body = new TextEncoder().encode(JSON.stringify(push));
    const signed = await signatureHeaders({ keyId: link.keyId, secret: link.secret }, { method: "POST", path, query: "", cellId: link.cellId, tenantId, body });
    const response = await this.deps.fetch(`${link.url}${path}`, {
      method: "POST",
      headers: { ...signed, [Headers.contentType]: "application/json" },
      body,
      signal: AbortSignal.timeout(this.deps.timing.pushTimeoutMs ?? 10_000),
    });
    const text = await response.text();
    const json = parseJsonOrUndefined(text);
    if (response.status === 200 && json !== undefined) return json as ReplicationAck;
    const problem = (json ?? {}) as { detail?: unknown; current?: unknown };
    const message = `standby '${link.cellId}' answered ${response.status}${typeof problem.detail === "string" ? `: ${problem.detail}` : ""}`;
    const code = problemCode(json);
    if (code === "ownership_state" || code === "epoch_conflict") {
      const current = problem.current === null || problem.current === undefined ? undefined : parseOwnershipView(problem.current);
      throw new RefusedPush(message, current?.ok ? current.value : undefined);
    }
    throw new Error(message);
  }
}
