import type { ChangeFeed, Clock, Logger } from "./ports";

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };

/** One JSON object per line on stdout, which CloudWatch Logs and Application Insights both ingest as structured logs. */
export const jsonLineLogger = (write: (line: string) => void = (line) => console.log(line)): Logger => ({
  log: (entry) => write(JSON.stringify({ time: new Date().toISOString(), ...entry })),
});

/**
 * Publishes record changes as structured log lines (`msg: "record.changed"`). The durable change
 * stream for analytics is the store's own (DynamoDB Streams with new and old images, the Cosmos DB
 * change feed); this feed makes every change observable in each cloud's logs today.
 */
export const logChangeFeed = (logger: Logger): ChangeFeed => ({
  publish: async (change) => logger.log({ msg: "record.changed", ...change }),
});
