import { jsonAnswer, logChangeFeed, systemClock } from "../cells/core";
import { CHANGE_EVENT_VERSION, type ChangeEvent } from "../contract";

/** The core's small adapters and helpers: the wall clock, the change feed on the log, JSON answers. */
describe("system adapters", () => {
  test("the system clock is the wall clock, in epoch milliseconds", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  test("a change is published as one record.changed log entry carrying the whole event", async () => {
    const logged: Array<Record<string, unknown>> = [];
    const change: ChangeEvent = { v: CHANGE_EVENT_VERSION, id: "T-1/r1/1", tenant_id: "T-1", record_id: "r1", version: 1, kind: "created", data: { n: 1 }, committed_at: "2026-01-01T00:00:00.000Z", cell_id: "alpha", cloud: "aws" };
    await logChangeFeed({ log: (entry) => void logged.push(entry) }).publish(change);
    expect(logged).toEqual([{ msg: "record.changed", ...change }]);
  });

  test("a JSON answer carries headers only when given some", () => {
    expect(jsonAnswer(201, { a: 1 }, { etag: '"1"' })).toEqual({ status: 201, body: '{"a":1}', headers: { etag: '"1"' } });
    expect(Object.keys(jsonAnswer(200, null))).toEqual(["status", "body"]);
  });
});
