import { ownershipView, parseOwnershipView, promotableAt, replicaLagMs, type Ownership, type ReplicaState } from "../contract";
import { anOwnership } from "./support/mothers";

/**
 * The standby half of the ownership model as `cellctl tenants`, `failover` and the watch loop read it:
 * when a standby may be promoted, how far behind it is, what the admin API shows of a primary's link
 * and a standby's progress (never the link's key), and how an admin client reads that back.
 */

const HEARD = "2026-11-30T10:00:00.000Z";
const HEARD_MS = Date.parse(HEARD);

const aReplica = (overrides: Partial<ReplicaState> = {}): ReplicaState => ({
  primary: { cellId: "alpha", epoch: 4 },
  keyId: "repl-0123456789abcdef",
  secret: "s".repeat(64),
  seededAt: "2026-11-30T09:00:00.000Z",
  appliedThrough: "2026-11-30T09:59:59.000Z",
  lastHeardAt: HEARD,
  sweepMs: 120,
  caughtUp: 2,
  leaseMs: 5000,
  guardMs: 8500,
  ...overrides,
});

describe("promotableAt", () => {
  test("is the last time the standby heard from its primary plus the primary's lease and guard", () => {
    expect(promotableAt(aReplica())).toBe(HEARD_MS + 5000 + 8500);
    expect(promotableAt(aReplica({ guardMs: undefined }))).toBe(HEARD_MS + 5000);
  });

  test("is unknown before the first confirmed sweep or without a lease", () => {
    expect(promotableAt(aReplica({ lastHeardAt: undefined }))).toBeUndefined();
    expect(promotableAt(aReplica({ leaseMs: undefined }))).toBeUndefined();
  });
});

describe("replicaLagMs", () => {
  test("is the time since the primary was last heard from plus how long that sweep took", () => {
    expect(replicaLagMs(aReplica(), HEARD_MS + 1000)).toBe(1120);
    expect(replicaLagMs(aReplica({ sweepMs: undefined }), HEARD_MS + 1000)).toBe(1000);
  });

  test("never goes below the sweep's own time when the standby's clock is behind", () => {
    expect(replicaLagMs(aReplica(), HEARD_MS - 5000)).toBe(120);
  });

  test("is unknown before a replication point is claimed", () => {
    expect(replicaLagMs(aReplica({ appliedThrough: undefined }), HEARD_MS)).toBeUndefined();
    expect(replicaLagMs(aReplica({ lastHeardAt: undefined }), HEARD_MS)).toBeUndefined();
  });
});

describe("ownershipView", () => {
  const primary: Ownership = anOwnership("T-1", {
    epoch: 4,
    standby: { cellId: "beta", url: "https://beta.test", keyId: "repl-0123456789abcdef", secret: "s".repeat(64), since: "2026-11-30T09:00:00.000Z" },
    leaseUntil: HEARD_MS + 5000,
  });

  test("a primary shows its standby and lease, never the link's key or URL", () => {
    const view = ownershipView(primary, HEARD_MS);
    expect(view).toEqual({
      tenant_id: "T-1",
      epoch: 4,
      state: "active",
      moved_to: null,
      operation: null,
      updated_at: "2026-01-01T00:00:00.000Z",
      standby: { cell_id: "beta", since: "2026-11-30T09:00:00.000Z", confirmed_through: null },
      lease_until: "2026-11-30T10:00:05.000Z",
    });
    expect(JSON.stringify(view)).not.toMatch(/repl-|https:|sss/);
    expect(ownershipView({ ...primary, standby: { ...primary.standby!, confirmedThrough: HEARD } }).standby?.confirmed_through).toBe(HEARD);
  });

  test("a record with neither standby nor replica has neither field", () => {
    expect(Object.keys(ownershipView(anOwnership("T-1")))).toEqual(["tenant_id", "epoch", "state", "moved_to", "operation", "updated_at"]);
  });

  test("a standby shows its primary and progress, its lag on the answering cell's clock, and when it may be promoted", () => {
    const view = ownershipView(anOwnership("T-1", { state: "standby", replica: aReplica() }), HEARD_MS + 1000);
    expect(view.replica).toEqual({
      primary: { cell_id: "alpha", epoch: 4 },
      seeded_at: "2026-11-30T09:00:00.000Z",
      applied_through: "2026-11-30T09:59:59.000Z",
      last_heard_at: HEARD,
      lag_ms: 1120,
      caught_up: 2,
      lease_ms: 5000,
      guard_ms: 8500,
      promotable_at: "2026-11-30T10:00:13.500Z",
      promoted_at: null,
    });
    expect(JSON.stringify(view)).not.toContain("repl-");
  });

  test("a promoted standby has no lag; a fresh one has nulls where nothing is known yet", () => {
    const promoted = ownershipView(anOwnership("T-1", { replica: aReplica({ promotedAt: HEARD }) }), HEARD_MS + 1000);
    expect({ lag: promoted.replica?.lag_ms, promoted: promoted.replica?.promoted_at }).toEqual({ lag: null, promoted: HEARD });
    const fresh = ownershipView(anOwnership("T-1", { state: "standby", replica: { primary: { cellId: "alpha", epoch: 4 }, keyId: "repl-0123456789abcdef", secret: "x" } }));
    expect(fresh.replica).toEqual({
      primary: { cell_id: "alpha", epoch: 4 },
      seeded_at: null,
      applied_through: null,
      last_heard_at: null,
      lag_ms: null,
      caught_up: null,
      lease_ms: null,
      guard_ms: null,
      promotable_at: null,
      promoted_at: null,
    });
  });
});

describe("parseOwnershipView, the standby half", () => {
  test("reads a primary's standby and lease back as details", () => {
    const parsed = parseOwnershipView(ownershipView({ ...primaryWithConfirmed() }, HEARD_MS));
    expect(parsed.ok && parsed.value.details).toEqual({
      standby: { cellId: "beta", since: "2026-11-30T09:00:00.000Z", confirmedThrough: HEARD },
      leaseUntil: "2026-11-30T10:00:05.000Z",
    });
  });

  test("reads a standby's progress back, leaving out what is not known", () => {
    const parsed = parseOwnershipView(ownershipView(anOwnership("T-1", { state: "standby", replica: aReplica({ caughtUp: undefined }) }), HEARD_MS + 1000));
    expect(parsed.ok && parsed.value.details).toEqual({
      replica: {
        primary: { cellId: "alpha", epoch: 4 },
        seededAt: "2026-11-30T09:00:00.000Z",
        appliedThrough: "2026-11-30T09:59:59.000Z",
        lastHeardAt: HEARD,
        lagMs: 1120,
        promotableAt: "2026-11-30T10:00:13.500Z",
      },
    });
  });

  test("a record without either has no details", () => {
    const parsed = parseOwnershipView({ ...ownershipView(anOwnership("T-1")), standby: null, replica: null, lease_until: null });
    expect(parsed).toEqual({ ok: true, value: { tenantId: "T-1", epoch: 1, state: "active", updatedAt: "2026-01-01T00:00:00.000Z" } });
  });

  test.each([
    ["a standby without its cell", { standby: { since: HEARD } }, /^ownership standby must be \{cell_id, since, confirmed_through\}/],
    ["a standby without its start", { standby: { cell_id: "beta" } }, /^ownership standby must be/],
    ["a standby that is text", { standby: "beta" }, /^ownership standby must be/],
    ["a replica without its primary", { replica: { seeded_at: HEARD } }, /^ownership replica must name its primary \{cell_id, epoch\}/],
    ["a replica whose primary has no epoch", { replica: { primary: { cell_id: "alpha" } } }, /^ownership replica must name its primary/],
    ["a replica whose primary has no cell", { replica: { primary: { epoch: 4 } } }, /^ownership replica must name its primary/],
    ["a replica whose primary's epoch is negative", { replica: { primary: { cell_id: "alpha", epoch: -1 } } }, /^ownership replica must name its primary/],
  ])("refuses %s", (_name, fields, message) => {
    const parsed = parseOwnershipView({ ...ownershipView(anOwnership("T-1")), ...fields });
    expect(parsed.ok ? "accepted" : parsed.error).toMatch(message);
  });

  test("figures of the wrong type are left out, not passed on", () => {
    const parsed = parseOwnershipView({
      ...ownershipView(anOwnership("T-1")),
      replica: { primary: { cell_id: "alpha", epoch: 4 }, lag_ms: "1120", caught_up: Infinity, seeded_at: 5 },
    });
    expect(parsed.ok && parsed.value.details).toEqual({ replica: { primary: { cellId: "alpha", epoch: 4 } } });
  });
});

function primaryWithConfirmed(): Ownership {
  return anOwnership("T-1", {
    epoch: 4,
    standby: { cellId: "beta", url: "https://beta.test", keyId: "repl-0123456789abcdef", secret: "s".repeat(64), since: "2026-11-30T09:00:00.000Z", confirmedThrough: HEARD },
    leaseUntil: HEARD_MS + 5000,
  });
}
