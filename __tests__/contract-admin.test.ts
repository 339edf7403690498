import { EDGE_LATENCY_BUCKETS_MS, histogramPercentile, parseEdgeHealthReport, parseExportItem, parseOwnershipView, tenantMovedTarget } from "../contract";

/** The admin API's and the edge health report's wire shapes, as `cellctl` and the cells parse them: every field checked. */

const live = { record_id: "r-1", version: 2, deleted: false, data: { n: 1 }, created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-02T00:00:00.000Z", committed_by: "alpha" };
const tombstone = { record_id: "r-2", version: 3, deleted: true, updated_at: "2026-01-03T00:00:00.000Z", committed_by: "beta" };

describe("exported items", () => {
  test("a live record and a tombstone parse to exactly their fields", () => {
    expect(parseExportItem({ ...live, extra: "dropped" })).toEqual({ ok: true, value: live });
    expect(parseExportItem({ ...tombstone, data: { ignored: true } })).toEqual({ ok: true, value: tombstone });
  });

  test("a versions-only item needs only its id, version and deletion", () => {
    expect(parseExportItem({ record_id: "r-1", version: 1, deleted: false }, false)).toEqual({ ok: true, value: { record_id: "r-1", version: 1, deleted: false, updated_at: "", committed_by: "" } });
    expect(parseExportItem({ record_id: "r-1", version: 1 }, false)).toEqual({ ok: false, error: "item 'r-1': deleted must be true or false" });
  });

  test.each<[string, unknown, string]>([
    ["null", null, "item must be a JSON object"],
    ["an array", [live], "item must be a JSON object"],
    ["a string", "r-1", "item must be a JSON object"],
    ["a bad record id", { ...live, record_id: "r 1" }, 'record_id is invalid: "r 1"'],
    ["a record id that is a number", { ...live, record_id: 7 }, "record_id is invalid: 7"],
    ["version 0", { ...live, version: 0 }, "item 'r-1': version must be an integer of at least 1, got 0"],
    ["a fractional version", { ...live, version: 1.5 }, "item 'r-1': version must be an integer of at least 1, got 1.5"],
    ["a version in a string", { ...live, version: "2" }, `item 'r-1': version must be an integer of at least 1, got "2"`],
    ["a version past the safe integers", { ...live, version: 2 ** 53 }, "item 'r-1': version must be an integer of at least 1, got 9007199254740992"],
    ["deleted as a string", { ...live, deleted: "false" }, "item 'r-1': deleted must be true or false"],
    ["no updated_at", { ...live, updated_at: undefined }, "item 'r-1': updated_at must be an ISO-8601 time"],
    ["an updated_at that is no time", { ...live, updated_at: "yesterday" }, "item 'r-1': updated_at must be an ISO-8601 time"],
    ["an updated_at that is a number", { ...live, updated_at: 1767225600000 }, "item 'r-1': updated_at must be an ISO-8601 time"],
    ["no committing cell", { ...live, committed_by: undefined }, "item 'r-1': committed_by must name a cell"],
    ["an empty committing cell", { ...tombstone, committed_by: "" }, "item 'r-2': committed_by must name a cell"],
    ["a live record without data", { ...live, data: undefined }, "item 'r-1': data must be a JSON object"],
    ["a live record with null data", { ...live, data: null }, "item 'r-1': data must be a JSON object"],
    ["a live record with array data", { ...live, data: [1] }, "item 'r-1': data must be a JSON object"],
    ["a live record with text data", { ...live, data: "x" }, "item 'r-1': data must be a JSON object"],
    ["a live record without created_at", { ...live, created_at: undefined }, "item 'r-1': created_at must be an ISO-8601 time"],
    ["a live record with a created_at that is no time", { ...live, created_at: "soon" }, "item 'r-1': created_at must be an ISO-8601 time"],
  ])("an item with %s is refused", (_label, value, error) => {
    expect(parseExportItem(value)).toEqual({ ok: false, error });
  });
});

describe("ownership answers", () => {
  const view = { tenant_id: "T-1", epoch: 3, state: "moved", moved_to: { cell_id: "beta", epoch: 3 }, updated_at: "2026-01-01T00:00:00.000Z" };

  test("parse to the ownership record, moved_to optional", () => {
    expect(parseOwnershipView(view)).toEqual({ ok: true, value: { tenantId: "T-1", epoch: 3, state: "moved", movedTo: { cellId: "beta", epoch: 3 }, updatedAt: view.updated_at } });
    expect(parseOwnershipView({ ...view, state: "active", epoch: 0, moved_to: null })).toEqual({ ok: true, value: { tenantId: "T-1", epoch: 0, state: "active", updatedAt: view.updated_at } });
    expect(parseOwnershipView({ ...view, moved_to: undefined })).toEqual({ ok: true, value: expect.not.objectContaining({ movedTo: expect.anything() }) });
  });

  test("an operation is kept when it is an operation id; null or none is no operation", () => {
    expect(parseOwnershipView({ ...view, operation: "move-42:a.b" })).toEqual({ ok: true, value: expect.objectContaining({ operation: "move-42:a.b" }) });
    for (const operation of [null, undefined]) {
      const parsed = parseOwnershipView({ ...view, operation });
      expect(parsed.ok && "operation" in parsed.value).toBe(false);
    }
  });

  test.each<[string, unknown, RegExp]>([
    ["null", null, /^ownership must be a JSON object$/],
    ["a string", "T-1", /^ownership must be a JSON object$/],
    ["a bad tenant id", { ...view, tenant_id: "T 1" }, /^ownership tenant_id is invalid: "T 1"$/],
    ["a negative epoch", { ...view, epoch: -1 }, /^ownership epoch must be a non-negative integer, got -1$/],
    ["a fractional epoch", { ...view, epoch: 0.5 }, /epoch must be a non-negative integer/],
    ["an epoch in a string", { ...view, epoch: "3" }, /epoch must be a non-negative integer/],
    ["an unknown state", { ...view, state: "gone" }, /^ownership state must be one of active, importing, fenced, moved, standby, got "gone"$/],
    ["moved_to that is a string", { ...view, moved_to: "beta" }, /^ownership moved_to must be \{cell_id, epoch\}, got "beta"$/],
    ["moved_to with a bad cell", { ...view, moved_to: { cell_id: "Beta", epoch: 3 } }, /moved_to must be/],
    ["moved_to with a bad epoch", { ...view, moved_to: { cell_id: "beta", epoch: -3 } }, /moved_to must be/],
    ["no updated_at", { ...view, updated_at: 5 }, /^ownership updated_at must be a string$/],
    ["an operation that is a number", { ...view, operation: 12345 }, /^ownership operation is invalid: 12345$/],
    ["an operation with a space", { ...view, operation: "move 1" }, /^ownership operation is invalid: "move 1"$/],
  ])("%s is refused", (_label, value, error) => {
    expect(parseOwnershipView(value)).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  test("a tenant_moved problem names its cell and epoch, or nothing usable", () => {
    expect(tenantMovedTarget({ cell: "beta", epoch: 0 })).toEqual({ cell: "beta", epoch: 0 });
    for (const body of [null, undefined, "beta", 7, { cell: "beta" }, { cell: "Beta", epoch: 1 }, { cell: "beta", epoch: -1 }, { cell: "beta", epoch: 1.5 }, { cell: "beta", epoch: "1" }]) {
      expect(tenantMovedTarget(body)).toBeUndefined();
    }
  });
});

describe("edge health reports", () => {
  const histogram = () => new Array<number>(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0);
  const cell = (overrides: Record<string, unknown> = {}) => ({
    cellId: "alpha",
    requests: 3,
    errors: 1,
    timeouts: 0,
    shed: 0,
    latencyMs: { p50: 5, p99: null, histogram: histogram() },
    breaker: { state: "closed", consecutiveFailures: 0, retryAfterSeconds: null },
    ...overrides,
  });
  const report = (cells: unknown[] = [cell()], overrides: Record<string, unknown> = {}) => ({ v: 1, generatedAt: "2026-01-01T00:00:00.000Z", windowSeconds: 60, cells, ...overrides });

  test("a report parses to exactly its fields", () => {
    const open = cell({ breaker: { state: "open", consecutiveFailures: 5, retryAfterSeconds: 0 }, latencyMs: { p50: 0, p99: 0.5, histogram: histogram() } });
    expect(parseEdgeHealthReport(report([{ ...cell(), extra: 1 }, open], { windowSeconds: 0 }))).toEqual({ ok: true, value: report([cell(), open], { windowSeconds: 0 }) });
  });

  test.each<[string, unknown, string]>([
    ["null", null, "edge health report must be a JSON object"],
    ["a string", "report", "edge health report must be a JSON object"],
    ["version 2", report(undefined, { v: 2 }), "edge health report v must be 1, got 2"],
    ["a time that is not a string", report(undefined, { generatedAt: 0 }), "edge health report generatedAt must be an ISO time"],
    ["a negative window", report(undefined, { windowSeconds: -1 }), "edge health report windowSeconds must be a non-negative integer"],
    ["a fractional window", report(undefined, { windowSeconds: 1.5 }), "edge health report windowSeconds must be a non-negative integer"],
    ["a window in a string", report(undefined, { windowSeconds: "60" }), "edge health report windowSeconds must be a non-negative integer"],
    ["cells that are not a list", report(undefined, { cells: {} }), "edge health report cells must be an array"],
    ["a cell that is null", report([cell(), null]), 'edge health report cells[1].cellId is invalid: undefined'],
    ["fractional errors", report([cell({ errors: 0.5 })]), "edge health report cells[0].errors must be a non-negative integer"],
    ["timeouts in a string", report([cell({ timeouts: "0" })]), "edge health report cells[0].timeouts must be a non-negative integer"],
    ["no shed count", report([cell({ shed: undefined })]), "edge health report cells[0].shed must be a non-negative integer"],
    ["no latency", report([cell({ latencyMs: null })]), "edge health report cells[0].latencyMs must have p50 and p99 (numbers or null)"],
    ["latency that is a number", report([cell({ latencyMs: 5 })]), "edge health report cells[0].latencyMs must have p50 and p99 (numbers or null)"],
    ["a negative p50", report([cell({ latencyMs: { p50: -1, p99: 1, histogram: histogram() } })]), "edge health report cells[0].latencyMs must have p50 and p99 (numbers or null)"],
    ["a p50 in a string", report([cell({ latencyMs: { p50: "5", p99: 1, histogram: histogram() } })]), "edge health report cells[0].latencyMs must have p50 and p99 (numbers or null)"],
    ["no p99", report([cell({ latencyMs: { p50: 1, histogram: histogram() } })]), "edge health report cells[0].latencyMs must have p50 and p99 (numbers or null)"],
    ["a histogram that is not a list", report([cell({ latencyMs: { p50: 1, p99: 1, histogram: {} } })]), `edge health report cells[0].latencyMs.histogram must hold ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts`],
    ["a histogram one bucket short", report([cell({ latencyMs: { p50: 1, p99: 1, histogram: histogram().slice(1) } })]), `edge health report cells[0].latencyMs.histogram must hold ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts`],
    ["a histogram with one bad count", report([cell({ latencyMs: { p50: 1, p99: 1, histogram: [...histogram().slice(1), -1] } })]), `edge health report cells[0].latencyMs.histogram must hold ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts`],
    ["no breaker", report([cell({ breaker: null })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
    ["a breaker that is a string", report([cell({ breaker: "open" })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
    ["an unknown breaker state", report([cell({ breaker: { state: "ajar", consecutiveFailures: 0, retryAfterSeconds: null } })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
    ["a negative failure count", report([cell({ breaker: { state: "open", consecutiveFailures: -1, retryAfterSeconds: 1 } })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
    ["a fractional retry time", report([cell({ breaker: { state: "open", consecutiveFailures: 1, retryAfterSeconds: 0.5 } })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
    ["no retry time", report([cell({ breaker: { state: "open", consecutiveFailures: 1 } })]), "edge health report cells[0].breaker must be {state: closed | open | half_open, consecutiveFailures, retryAfterSeconds}"],
  ])("%s is refused", (_label, value, error) => {
    expect(parseEdgeHealthReport(value)).toEqual({ ok: false, error });
  });

  test("percentiles: the bucket that holds the rank; the overflow bucket reads as the last bound", () => {
    const h = histogram();
    h[2] = 1; // 5 ms
    h[4] = 1; // 20 ms
    h[EDGE_LATENCY_BUCKETS_MS.length] = 2; // slower than the last bound
    expect([0, 25, 26, 50, 51, 75, 100].map((q) => histogramPercentile(h, q))).toEqual([5, 5, 20, 20, 60_000, 60_000, 60_000]);
    const single = histogram();
    single[EDGE_LATENCY_BUCKETS_MS.length - 1] = 1;
    expect(histogramPercentile(single, 50)).toBe(60_000);
    expect(histogramPercentile(histogram().slice(0, 3).concat([0]), 50)).toBeNull();
  });
});
