import { EDGE_LATENCY_BUCKETS_MS, histogramPercentile, parseEdgeHealthReport } from "../contract";
import { CellStats, type CellCall } from "../router/cell-stats";
import { CircuitBreaker, type Admission } from "../router/circuit-breaker";

const options = { failureThreshold: 3, cooldownMs: 1_000, probeTimeoutMs: 5_000 };

/** Admits a call and reports its result, as the router does. */
function call(breaker: CircuitBreaker, cellId: string, ok: boolean, now: number): Admission {
  const admission = breaker.admit(cellId, now);
  if (admission.allowed) breaker.record(cellId, ok, admission, now);
  return admission;
}

describe("circuit breaker", () => {
  test("opens after the threshold of consecutive failures and refuses at once with the cool-down left", () => {
    const breaker = new CircuitBreaker(options);
    call(breaker, "alpha", false, 0);
    call(breaker, "alpha", false, 10);
    expect(breaker.view("alpha", 10)).toEqual({ state: "closed", consecutiveFailures: 2, retryAfterSeconds: null });
    call(breaker, "alpha", false, 20);
    expect(breaker.view("alpha", 20)).toEqual({ state: "open", consecutiveFailures: 3, retryAfterSeconds: 1 });
    expect(breaker.admit("alpha", 500)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  test("a success in between resets the count", () => {
    const breaker = new CircuitBreaker(options);
    call(breaker, "alpha", false, 0);
    call(breaker, "alpha", false, 1);
    call(breaker, "alpha", true, 2);
    call(breaker, "alpha", false, 3);
    call(breaker, "alpha", false, 4);
    expect(breaker.view("alpha", 4).state).toBe("closed");
  });

  test("after the cool-down one probe goes through; its success closes the breaker", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i++) call(breaker, "alpha", false, 0);
    const probe = breaker.admit("alpha", 1_000);
    expect(probe).toEqual({ allowed: true, probe: true });
    expect(breaker.view("alpha", 1_000).state).toBe("half_open");
    expect(breaker.admit("alpha", 1_001)).toEqual({ allowed: false, retryAfterSeconds: 5 }); // one probe at a time
    breaker.record("alpha", true, probe as { probe: boolean }, 1_010);
    expect(breaker.view("alpha", 1_010)).toEqual({ state: "closed", consecutiveFailures: 0, retryAfterSeconds: null });
    expect(breaker.admit("alpha", 1_011)).toEqual({ allowed: true, probe: false });
  });

  test("a failed probe opens it for another cool-down", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i++) call(breaker, "alpha", false, 0);
    call(breaker, "alpha", false, 1_000);
    expect(breaker.view("alpha", 1_000).state).toBe("open");
    expect(breaker.admit("alpha", 1_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(breaker.admit("alpha", 2_000)).toEqual({ allowed: true, probe: true });
  });

  test("a probe that never reports is replaced after the probe timeout", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i++) call(breaker, "alpha", false, 0);
    expect(breaker.admit("alpha", 1_000)).toEqual({ allowed: true, probe: true });
    expect(breaker.admit("alpha", 5_999).allowed).toBe(false);
    expect(breaker.admit("alpha", 6_000)).toEqual({ allowed: true, probe: true });
  });

  test("results of calls that started before it opened change nothing, nor do non-probe results while half-open", () => {
    const breaker = new CircuitBreaker(options);
    const early = breaker.admit("alpha", 0) as { probe: boolean };
    for (let i = 0; i < 3; i++) call(breaker, "alpha", false, 1);
    breaker.record("alpha", true, early, 2);
    expect(breaker.view("alpha", 2).state).toBe("open");
    breaker.admit("alpha", 1_001); // the probe goes out
    breaker.record("alpha", true, early, 1_002);
    expect(breaker.view("alpha", 1_002).state).toBe("half_open");
  });

  test("each cell has its own breaker", () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i++) call(breaker, "alpha", false, 0);
    expect(breaker.admit("alpha", 1).allowed).toBe(false);
    expect(breaker.admit("beta", 1)).toEqual({ allowed: true, probe: false });
    expect(breaker.cellIds()).toEqual(["alpha"]);
  });
});

describe("cell stats", () => {
  const base: CellCall = { cellId: "alpha", cloud: "aws", kind: "call", status: 200, latencyMs: 3, error: false, timeout: false };
  const breakerOf = () => new CircuitBreaker(options);

  test("counts calls, errors, timeouts and shed requests per cell, with latency percentiles from the histogram", () => {
    const stats = new CellStats();
    for (let i = 0; i < 98; i++) stats.record({ ...base, latencyMs: 3 }, 1_000);
    stats.record({ ...base, status: 502, error: true, latencyMs: 40 }, 1_000);
    stats.record({ ...base, status: 0, error: true, timeout: true, latencyMs: 300 }, 1_000);
    stats.record({ ...base, kind: "shed", status: 0, latencyMs: 0 }, 1_000);
    stats.record({ ...base, cellId: "beta", cloud: "azure", latencyMs: 12 }, 1_000);
    const report = stats.report(1_000, breakerOf());
    expect(report.cells.map((c) => [c.cellId, c.requests, c.errors, c.timeouts, c.shed, c.latencyMs.p50, c.latencyMs.p99])).toEqual([
      ["alpha", 100, 2, 1, 1, 5, 50],
      ["beta", 1, 0, 0, 0, 20, 20],
    ]);
    expect(report.cells[0]!.latencyMs.histogram).toHaveLength(EDGE_LATENCY_BUCKETS_MS.length + 1);
    expect(parseEdgeHealthReport(JSON.parse(JSON.stringify(report)))).toEqual({ ok: true, value: report });
  });

  test("the window rolls: calls older than the window drop out", () => {
    const stats = new CellStats({ slots: 3, slotMs: 100 });
    stats.record(base, 0);
    stats.record(base, 150);
    expect(stats.report(250, breakerOf()).cells[0]!.requests).toBe(2);
    expect(stats.report(300, breakerOf()).cells[0]!.requests).toBe(1);
    expect(stats.report(400, breakerOf()).cells[0]!.requests).toBe(0);
    expect(stats.report(400, breakerOf()).windowSeconds).toBe(0.3);
  });

  test("a report over the last N seconds counts only their calls, so a control loop judges each of its windows on its own", () => {
    const stats = new CellStats();
    for (const at of [0, 5_500, 9_100, 9_200]) stats.record(base, at);
    stats.record({ ...base, status: 503, error: true }, 9_300);
    const over = (seconds?: number) => stats.report(9_500, breakerOf(), seconds);
    expect([over(1), over(5), over()].map((r) => [r.windowSeconds, r.cells[0]!.requests, r.cells[0]!.errors])).toEqual([
      [1, 3, 1],
      [5, 4, 1],
      [60, 5, 1],
    ]);
    expect(stats.report(70_000, breakerOf()).cells[0]!.requests).toBe(0);
  });

  test("a cell whose breaker is open shows up even without calls in the window", () => {
    const breaker = breakerOf();
    for (let i = 0; i < 3; i++) call(breaker, "gamma", false, 0);
    const report = new CellStats().report(10, breaker);
    expect(report.cells).toEqual([expect.objectContaining({ cellId: "gamma", requests: 0, latencyMs: { p50: null, p99: null, histogram: expect.any(Array) }, breaker: { state: "open", consecutiveFailures: 3, retryAfterSeconds: 1 } })]);
  });
});

describe("edge health contract", () => {
  test("percentiles are the bucket's upper bound; the overflow bucket reads as the last bound", () => {
    const histogram = new Array(EDGE_LATENCY_BUCKETS_MS.length + 1).fill(0);
    expect(histogramPercentile(histogram, 50)).toBeNull();
    histogram[0] = 1;
    histogram[EDGE_LATENCY_BUCKETS_MS.length] = 1;
    expect(histogramPercentile(histogram, 50)).toBe(1);
    expect(histogramPercentile(histogram, 99)).toBe(60_000);
  });

  test.each([
    [{}, /v must be 1/],
    [{ v: 1, generatedAt: "x", windowSeconds: 60, cells: [] }, /generatedAt/],
    [{ v: 1, generatedAt: "2026-01-01T00:00:00Z", windowSeconds: 60, cells: [{ cellId: "Alpha" }] }, /cellId is invalid/],
    [{ v: 1, generatedAt: "2026-01-01T00:00:00Z", windowSeconds: 60, cells: [{ cellId: "alpha", requests: -1 }] }, /requests must be a non-negative integer/],
  ])("a malformed report is an error value: %p", (value, error) => {
    expect(parseEdgeHealthReport(value)).toEqual({ ok: false, error: expect.stringMatching(error) });
  });
});
