import { consoleLineSink, consoleObjectSink, jsonLineLogger, levelOf, type LogLevel } from "../cells/core";

/** Replaces the four console methods with recorders for the duration of `fn`. */
function captureConsole(fn: () => void): Array<[LogLevel, unknown[]]> {
  const calls: Array<[LogLevel, unknown[]]> = [];
  const levels: LogLevel[] = ["debug", "info", "warn", "error"];
  const spies = levels.map((level) => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void calls.push([level, args])));
  const log = jest.spyOn(console, "log").mockImplementation((...args: unknown[]) => void calls.push(["info", ["console.log", ...args]]));
  try {
    fn();
  } finally {
    [...spies, log].forEach((spy) => spy.mockRestore());
  }
  return calls;
}

describe("levelOf", () => {
  test.each([
    [{ level: "error" }, "error"],
    [{ level: "ERROR" }, "error"],
    [{ level: "fatal" }, "error"],
    [{ level: "warning" }, "warn"],
    [{ level: "warn" }, "warn"],
    [{ level: "debug" }, "debug"],
    [{ level: "info" }, "info"],
    [{}, "info"],
    [{ level: "loud" }, "info"],
    [{ level: 3 }, "info"],
  ])("%j is logged at %s", (entry, level) => {
    expect(levelOf(entry)).toBe(level);
  });
});

describe("jsonLineLogger with the default sink (Lambda's JSON log format)", () => {
  test("an error entry goes to console.error as one object, not a pre-serialized string", () => {
    const calls = captureConsole(() => jsonLineLogger().log({ level: "error", msg: "unhandled error", requestId: "r-1" }));
    expect(calls).toHaveLength(1);
    const [level, args] = calls[0]!;
    expect(level).toBe("error");
    expect(args).toHaveLength(1);
    expect(typeof args[0]).toBe("object");
    expect(args[0]).toEqual({ time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), level: "error", msg: "unhandled error", requestId: "r-1" });
  });

  test("each level reaches its own console method; an entry without a level is info", () => {
    const calls = captureConsole(() => {
      const logger = jsonLineLogger();
      logger.log({ level: "warn", msg: "w" });
      logger.log({ level: "debug", msg: "d" });
      logger.log({ msg: "record.changed" });
    });
    expect(calls.map(([level, [entry]]) => [level, (entry as { msg: string; level: string }).msg, (entry as { level: string }).level])).toEqual([
      ["warn", "w", "warn"],
      ["debug", "d", "debug"],
      ["info", "record.changed", "info"],
    ]);
  });

  test("the entry cannot claim one level in its field and be written at another", () => {
    const calls = captureConsole(() => jsonLineLogger().log({ level: "warning", msg: "x" }));
    expect(calls).toEqual([["warn", [expect.objectContaining({ level: "warn" })]]]);
  });
});

describe("sinks", () => {
  test("consoleObjectSink passes the object itself", () => {
    const entry = { level: "info", msg: "m" };
    const calls = captureConsole(() => consoleObjectSink(entry, "info"));
    expect(calls).toEqual([["info", [entry]]]);
  });

  test("consoleLineSink writes one parseable JSON line at the entry's level", () => {
    const calls = captureConsole(() => jsonLineLogger(consoleLineSink).log({ level: "error", msg: "boom", detail: { a: 1 } }));
    expect(calls).toHaveLength(1);
    const [level, [line]] = calls[0]!;
    expect(level).toBe("error");
    expect(typeof line).toBe("string");
    expect(JSON.parse(line as string)).toMatchObject({ level: "error", msg: "boom", detail: { a: 1 } });
  });

  test("a custom sink receives the stamped entry and its level", () => {
    const seen: Array<[unknown, LogLevel]> = [];
    jsonLineLogger((entry, level) => seen.push([entry, level])).log({ level: "error", msg: "x" });
    expect(seen).toEqual([[expect.objectContaining({ level: "error", msg: "x", time: expect.any(String) }), "error"]]);
  });
});
