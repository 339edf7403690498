import { AsyncLocalStorage } from "node:async_hooks";
import type { InvocationContext } from "@azure/functions";
import { consoleLineSink, type LogSink } from "../core";

/**
 * The Azure cell's log sink, in the Functions logging model.
 *
 * The Node.js worker turns every argument of `context.log`/`context.error`/... into text with
 * `util.format`, so an object would arrive in `util.inspect` notation, not JSON: the sink writes one
 * JSON line. Within an invocation it goes to the invocation context's method of the entry's level
 * (`context.error(line)` for an error), which the host records at that level, in Application Insights'
 * traces with the invocation's operation id. Outside one (module load, a composition error before the
 * first request is handled) it falls back to the console, whose stdout the host records as
 * Information and whose stderr it classifies by keywords ("warn", "error"): `consoleLineSink` writes
 * warnings and errors to stderr, and their JSON line carries the level's word.
 */

/** The logging half of an `InvocationContext`. */
export type InvocationLog = Pick<InvocationContext, "debug" | "info" | "warn" | "error">;

const current = new AsyncLocalStorage<InvocationLog>();

/** Runs `fn` with `context` as the invocation whose log `functionsLogSink` writes to. */
export function withInvocationLog<T>(context: InvocationLog, fn: () => T): T {
  return current.run(context, fn);
}

/** See the module comment: the current invocation's log at the entry's level, else the console. */
export const functionsLogSink: LogSink = (entry, level) => {
  const context = current.getStore();
  if (context === undefined) consoleLineSink(entry, level);
  else context[level](JSON.stringify(entry));
};
