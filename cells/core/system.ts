import type { ChangeFeed, Clock, Logger } from "./ports";

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };

/** The levels a log entry can have; an entry names its own in `level` (`info` when it names none or another). */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where a structured log entry goes: the entry (with `time` and `level` filled in) and its level. */
export type LogSink = (entry: Readonly<Record<string, unknown>>, level: LogLevel) => void;

const LEVELS: Readonly<Record<string, LogLevel>> = { debug: "debug", info: "info", warn: "warn", warning: "warn", error: "error", fatal: "error" };

/** The level an entry asks for in its `level` field; `info` when it asks for none (or for one we do not know). */
export const levelOf = (entry: Readonly<Record<string, unknown>>): LogLevel =>
  (typeof entry.level === "string" ? LEVELS[entry.level.toLowerCase()] : undefined) ?? "info";

/**
 * Hands the entry as an object to the console method of its level (`console.error(entry)` for an
 * error). Lambda's JSON log format turns a single object argument into a nested JSON `message` and
 * takes the record's `level` from the method, so CloudWatch keeps the structure and the level
 * (`{ $.level = "ERROR" }` and `{ $.message.msg = ... }` filters work); a pre-serialized string
 * would arrive escaped inside `message`, always at INFO.
 */
export const consoleObjectSink: LogSink = (entry, level) => console[level](entry);

/**
 * One JSON line per entry, on the console method of its level. For hosts that format their log
 * arguments with `util.format` (the Azure Functions Node.js worker does), where an object would be
 * logged in `util.inspect` notation instead of JSON.
 */
export const consoleLineSink: LogSink = (entry, level) => console[level](JSON.stringify(entry));

/**
 * A structured logger: every entry gets `time` (ISO 8601) and `level` (see `levelOf`) and goes to
 * `sink` at that level. The default sink (`consoleObjectSink`) suits Lambda's JSON log format; each
 * cloud's composition root picks the sink its runtime wants.
 */
export const jsonLineLogger = (sink: LogSink = consoleObjectSink): Logger => ({
  log: (entry) => {
    const level = levelOf(entry);
    sink({ time: new Date().toISOString(), ...entry, level }, level);
  },
});

/**
 * Publishes record changes as structured log lines (`msg: "record.changed"`). The durable change
 * stream for analytics is the store's own (DynamoDB Streams with new and old images, the Cosmos DB
 * change feed); this feed makes every change observable in each cloud's logs today.
 */
export const logChangeFeed = (logger: Logger): ChangeFeed => ({
  publish: async (change) => logger.log({ msg: "record.changed", ...change }),
});
