import { LINK_KEY_ID_PATTERN, REPLICATION_PUSH_MAX_CHANGES, parseReplicationPush, type ChangeEvent, type ReplicationSweep } from "../contract";

/**
 * A replication push's envelope as a standby checks it before it looks at a single change: who sends
 * it, at which epoch, how many changes, and a sweep's point and lease. Everything malformed is refused
 * naming the field; the changes themselves are the receiving cell's to check.
 */

const change = (n: number) => ({ tenant_id: "T-1", record_id: `r${n}`, version: 1 }) as unknown as ChangeEvent;

const aSweep = (): ReplicationSweep => ({
  through: "2026-11-30T10:00:00.000Z",
  scanned_since: "2026-11-30T09:59:00.000Z",
  sweep_ms: 12,
  applied_before: 3,
  lease_ms: 5000,
  guard_ms: 8500,
});

const refusal = (value: unknown) => {
  const parsed = parseReplicationPush(value);
  return parsed.ok ? "accepted" : parsed.error;
};

describe("parseReplicationPush", () => {
  test("a fast-path push comes back as sent, without a sweep", () => {
    const parsed = parseReplicationPush({ from_cell: "alpha", epoch: 3, changes: [change(1), change(2)], extra: true });
    expect(parsed).toEqual({ ok: true, value: { from_cell: "alpha", epoch: 3, changes: [change(1), change(2)] } });
    expect(parsed.ok && "sweep" in parsed.value).toBe(false);
  });

  test("a sweep's last push carries its point and lease; a heartbeat while seeding has no start and no changes", () => {
    expect(parseReplicationPush({ from_cell: "beta", epoch: 1, changes: [], sweep: aSweep() })).toEqual({ ok: true, value: { from_cell: "beta", epoch: 1, changes: [], sweep: aSweep() } });
    const heartbeat = { ...aSweep(), scanned_since: null, sweep_ms: 0, applied_before: 0 };
    expect(parseReplicationPush({ from_cell: "beta", epoch: 1, changes: [], sweep: heartbeat })).toEqual({ ok: true, value: { from_cell: "beta", epoch: 1, changes: [], sweep: heartbeat } });
  });

  test(`a push of exactly ${REPLICATION_PUSH_MAX_CHANGES} changes is accepted, one more is refused`, () => {
    const changes = Array.from({ length: REPLICATION_PUSH_MAX_CHANGES }, (_, n) => change(n));
    expect(refusal({ from_cell: "alpha", epoch: 1, changes })).toBe("accepted");
    expect(refusal({ from_cell: "alpha", epoch: 1, changes: [...changes, change(REPLICATION_PUSH_MAX_CHANGES)] })).toBe(`changes must be an array of at most ${REPLICATION_PUSH_MAX_CHANGES} change events`);
  });

  const push = (fields: Record<string, unknown>) => ({ from_cell: "alpha", epoch: 2, changes: [], ...fields });
  test.each([
    ["null", null, "a replication push must be a JSON object"],
    ["a list", [push({})], "a replication push must be a JSON object"],
    ["a string", "push", "a replication push must be a JSON object"],
    ["no sender", push({ from_cell: undefined }), "from_cell must be a cell id, got undefined"],
    ["a sender that is not a cell id", push({ from_cell: "Alpha!" }), 'from_cell must be a cell id, got "Alpha!"'],
    ["epoch 0", push({ epoch: 0 }), "epoch must be an integer of at least 1, got 0"],
    ["a negative epoch", push({ epoch: -1 }), "epoch must be an integer of at least 1, got -1"],
    ["a fractional epoch", push({ epoch: 1.5 }), "epoch must be an integer of at least 1, got 1.5"],
    ["an epoch as text", push({ epoch: "2" }), 'epoch must be an integer of at least 1, got "2"'],
    ["an epoch past the safe integers", push({ epoch: 2 ** 53 }), "epoch must be an integer of at least 1, got 9007199254740992"],
    ["changes that are not a list", push({ changes: { 0: change(0) } }), `changes must be an array of at most ${REPLICATION_PUSH_MAX_CHANGES} change events`],
    ["no changes field", push({ changes: undefined }), `changes must be an array of at most ${REPLICATION_PUSH_MAX_CHANGES} change events`],
  ])("refuses %s", (_name, value, message) => {
    expect(refusal(value)).toBe(message);
  });

  const SWEEP = "sweep must be {through, scanned_since, sweep_ms, applied_before, lease_ms, guard_ms}";
  test.each([
    ["null", null],
    ["text", "now"],
    ["no point", { ...aSweep(), through: undefined }],
    ["a point that is not a time", { ...aSweep(), through: "later" }],
    ["a point that is a number", { ...aSweep(), through: 2026 }],
    ["a start that is not a time", { ...aSweep(), scanned_since: "earlier" }],
    ["a start that is a number", { ...aSweep(), scanned_since: 2026 }],
    ["a missing start (null is how none is said)", { ...aSweep(), scanned_since: undefined }],
    ["a negative duration", { ...aSweep(), sweep_ms: -1 }],
    ["a fractional count applied", { ...aSweep(), applied_before: 0.5 }],
    ["a count applied as text", { ...aSweep(), applied_before: "3" }],
    ["no lease", { ...aSweep(), lease_ms: undefined }],
    ["a negative lease", { ...aSweep(), lease_ms: -5000 }],
    ["no guard", { ...aSweep(), guard_ms: undefined }],
    ["a guard past the safe integers", { ...aSweep(), guard_ms: 2 ** 53 }],
  ])("refuses a sweep that is %s", (_name, sweep) => {
    expect(refusal(push({ sweep }))).toBe(SWEEP);
  });
});

test.each([
  ["repl-0123456789abcdef", true],
  ["repl-0123456789ABCDEF", false],
  ["repl-0123456789abcde", false],
  ["repl-0123456789abcdef0", false],
  ["alpha-v1", false],
  ["xrepl-0123456789abcdef", false],
])("link key id %s: %s", (keyId, valid) => {
  expect(LINK_KEY_ID_PATTERN.test(keyId)).toBe(valid);
});
