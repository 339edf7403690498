import { EDGE_LATENCY_BUCKETS_MS, countsAsCellError, parseCellHealthReport, type CellHealthReport } from "../contract";

/**
 * The cells' deep health report as the watch loop and `cellctl cells` read it: a well-formed report
 * comes back field for field (and nothing else), every malformed field is refused naming it, and the
 * one rule, shared by the edge and the cells, of which answers count as a cell's errors.
 */

const histogram = () => Array.from({ length: EDGE_LATENCY_BUCKETS_MS.length + 1 }, (_, i) => i);

const aReport = (): CellHealthReport => ({
  v: 1,
  cell_id: "alpha",
  cloud: "aws",
  generated_at: "2026-11-30T10:00:00.000Z",
  probe: { ok: true, write_ms: 3.5, read_ms: 1, error: null },
  recent: { window_seconds: 60, requests: 120, errors: 2, latency_ms: { p50: 4, p99: 40.5, histogram: histogram() } },
});

/** `aReport()` with `change` applied to a deep copy. */
function withChange(change: (r: any) => void): unknown {
  const report = structuredClone(aReport()) as any;
  change(report);
  return report;
}

const refusal = (value: unknown) => {
  const parsed = parseCellHealthReport(value);
  return parsed.ok ? "accepted" : parsed.error;
};

describe("parseCellHealthReport", () => {
  test("a well-formed report comes back as it was sent, without fields the contract does not name", () => {
    const sent = withChange((r) => {
      r.extra = "dropped";
      r.probe.extra = 1;
      r.recent.extra = 1;
      r.recent.latency_ms.extra = 1;
    });
    const parsed = parseCellHealthReport(sent);
    expect(parsed).toEqual({ ok: true, value: aReport() });
  });

  test("nulls where a time was not taken, a failed probe with its reason, an empty window and an Azure cell are accepted", () => {
    const quiet = withChange((r) => {
      r.cloud = "azure";
      r.probe = { ok: false, write_ms: 0, read_ms: null, error: "store_unavailable" };
      r.recent = { window_seconds: 0, requests: 0, errors: 0, latency_ms: { p50: null, p99: null, histogram: histogram().map(() => 0) } };
    });
    const parsed = parseCellHealthReport(quiet);
    expect(parsed.ok && parsed.value).toEqual(expect.objectContaining({ cloud: "azure", probe: { ok: false, write_ms: 0, read_ms: null, error: "store_unavailable" } }));
    expect(parsed.ok && parsed.value.recent).toEqual({ window_seconds: 0, requests: 0, errors: 0, latency_ms: { p50: null, p99: null, histogram: histogram().map(() => 0) } });
  });

  test.each([
    ["not an object", null, "cell health report must be a JSON object"],
    ["a string", "healthy", "cell health report must be a JSON object"],
    ["another version", withChange((r) => (r.v = 2)), "cell health report v must be 1, got 2"],
    ["no version", withChange((r) => delete r.v), "cell health report v must be 1, got undefined"],
    ["a bad cell id", withChange((r) => (r.cell_id = "Alpha Cell")), 'cell health report cell_id is invalid: "Alpha Cell"'],
    ["an unknown cloud", withChange((r) => (r.cloud = "gcp")), "cell health report cloud must be one of aws, azure"],
    ["a time that is not one", withChange((r) => (r.generated_at = "yesterday")), "cell health report generated_at must be an ISO time"],
    ["a number that would parse as a year", withChange((r) => (r.generated_at = 2026)), "cell health report generated_at must be an ISO time"],
  ])("refuses %s, naming the field", (_name, value, message) => {
    expect(refusal(value)).toBe(message);
  });

  const PROBE = "cell health report probe must be {ok, write_ms, read_ms, error}";
  test.each([
    ["no probe", (r: any) => delete r.probe],
    ["a null probe", (r: any) => (r.probe = null)],
    ["ok that is not a boolean", (r: any) => (r.probe.ok = "true")],
    ["a negative write time", (r: any) => (r.probe.write_ms = -1)],
    ["a write time that is not finite", (r: any) => (r.probe.write_ms = Infinity)],
    ["a write time as text", (r: any) => (r.probe.write_ms = "3")],
    ["a missing read time", (r: any) => delete r.probe.read_ms],
    ["a negative read time", (r: any) => (r.probe.read_ms = -0.5)],
    ["an error that is not text", (r: any) => (r.probe.error = { code: 1 })],
    ["a missing error", (r: any) => delete r.probe.error],
  ])("refuses a probe with %s", (_name, change) => {
    expect(refusal(withChange(change))).toBe(PROBE);
  });

  const RECENT = "cell health report recent must be {window_seconds, requests, errors, latency_ms}";
  test.each([
    ["no recent figures", (r: any) => delete r.recent],
    ["null recent figures", (r: any) => (r.recent = null)],
    ["a fractional window", (r: any) => (r.recent.window_seconds = 1.5)],
    ["a negative request count", (r: any) => (r.recent.requests = -1)],
    ["an error count past the safe integers", (r: any) => (r.recent.errors = 2 ** 53)],
    ["an error count as text", (r: any) => (r.recent.errors = "2")],
  ])("refuses %s", (_name, change) => {
    expect(refusal(withChange(change))).toBe(RECENT);
  });

  const LATENCY = `cell health report recent.latency_ms must be {p50, p99, histogram of ${EDGE_LATENCY_BUCKETS_MS.length + 1} counts}`;
  test.each([
    ["no latency figures", (r: any) => delete r.recent.latency_ms],
    ["null latency figures", (r: any) => (r.recent.latency_ms = null)],
    ["a negative p50", (r: any) => (r.recent.latency_ms.p50 = -1)],
    ["a p99 as text", (r: any) => (r.recent.latency_ms.p99 = "40")],
    ["a histogram that is not a list", (r: any) => (r.recent.latency_ms.histogram = { 0: 1 })],
    ["a histogram one bucket short", (r: any) => r.recent.latency_ms.histogram.pop()],
    ["a histogram one bucket long", (r: any) => r.recent.latency_ms.histogram.push(0)],
    ["a histogram with a fractional count", (r: any) => (r.recent.latency_ms.histogram[3] = 0.5)],
    ["a histogram with a negative count", (r: any) => (r.recent.latency_ms.histogram[0] = -1)],
  ])("refuses %s", (_name, change) => {
    expect(refusal(withChange(change))).toBe(LATENCY);
  });
});

describe("countsAsCellError", () => {
  test.each([
    [200, undefined, false],
    [404, "unknown_tenant", false],
    [499, undefined, false],
    [500, "internal", true],
    [500, undefined, true],
    [502, undefined, true],
    [503, "store_unavailable", true],
    [503, undefined, true],
    [503, "tenant_fenced", false],
    [503, "tenant_unavailable", false],
    [504, "tenant_fenced", true],
    [500, "tenant_unavailable", true],
  ] as const)("%i %s: %s", (status, code, counted) => {
    expect(countsAsCellError(status, code)).toBe(counted);
  });
});
