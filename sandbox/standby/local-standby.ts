import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { AWS_CELL_ENV } from "../../cells/aws/config";
import { createAwsStandbyConsumer, readAwsStandbyConfig, type AwsStandbyConsumer } from "../../cells/aws/standby-consumer";
import { createAzureStandbyConsumer, type AzureStandbyConsumer } from "../../cells/azure/standby-trigger";
import { STANDBY_TIMING_ENV, type Logger, type ReplicationTiming } from "../../cells/core";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../emulators/dynamodb-local";
import { CosmosOutboxPump } from "../lake/cosmos-outbox-pump";
import { DynamoDbStreamPump } from "../lake/dynamodb-stream-pump";
import { PollingLoop } from "../lake/polling-loop";
import type { LocalCell } from "../local-cells";

/**
 * Standby replication on this machine: for every cell, the deployed consumer's own code
 * (`createAwsStandbyConsumer`, `createAzureStandbyConsumer`) composed from the cell's settings, fed
 * as the cloud feeds it:
 *
 * - the fast path: an AWS cell's real stream on DynamoDB Local, read like Lambda's event source
 *   mapping (`DynamoDbStreamPump`, its own checkpoints, beside the lake's: one stream, two consumers);
 *   an Azure cell's outbox documents polled from its emulator, whose change feed is a stub
 *   (`CosmosOutboxPump`);
 * - the sweep: a loop every `sweepMs`, standing in for the schedule (EventBridge, the timer trigger).
 *
 * A stopped cell's consumer stops with it (`Sandbox.stopCell`): in a region outage the consumer, which
 * runs in the cell's cloud, is down too.
 */

/** The sandbox's timing: a sweep a second, a five-second lease (a loaded laptop delays sweeps); the guard follows the cells' store budget. */
export interface LocalStandbyTiming extends ReplicationTiming {
  readonly sweepMs: number;
}

/** Store budget of the sandbox's cells when none is given: the cells' own default. */
export const DEFAULT_STORE_TIMEOUT_MS = 2_500;

/**
 * The sandbox's replication timing for cells whose store calls take at most `storeTimeoutMs` per
 * attempt: a write started under the lease commits within three attempts of it (the SDKs' retries),
 * which is the guard; the scan margin covers the same plus the planning.
 */
export function localStandbyTiming(storeTimeoutMs = DEFAULT_STORE_TIMEOUT_MS): LocalStandbyTiming {
  return { sweepMs: 1_000, leaseMs: 5_000, guardMs: 3 * storeTimeoutMs + 1_000, scanMarginMs: 3 * storeTimeoutMs + 5_000, relistMs: 5_000 };
}

export interface LocalStandbyOptions {
  readonly cells: readonly LocalCell[];
  readonly logger: (cellId: string) => Logger;
  readonly timing: LocalStandbyTiming;
  /**
   * Pause between fast-path polls when nothing was new, ms. @default 100 on a DynamoDB stream, 250 on
   * the Cosmos DB emulator (a poll there scans the whole container, like the lake's)
   */
  readonly pollMs?: number;
}

/** The running replication consumers of a sandbox. */
export interface LocalStandby {
  readonly timing: LocalStandbyTiming;
  /** Stops a cell's consumer (its fast path and its sweeps) after the work in progress; its checkpoints stay. */
  stop(cellId: string): Promise<void>;
  /** Starts it again: the fast path resumes after its checkpoint, the sweeps catch up the rest. */
  start(cellId: string): void;
  /** Runs one sweep of every running consumer now (tests and benchmarks that must not wait for the schedule). */
  sweepNow(): Promise<void>;
  close(): Promise<void>;
}

interface Consumer {
  readonly fastPath: PollingLoop;
  readonly sweeps: PollingLoop;
  readonly sweep: () => Promise<unknown>;
  readonly pause: () => void;
  readonly close: () => void;
}

const timingEnv = (timing: ReplicationTiming) => ({
  [STANDBY_TIMING_ENV.leaseMs]: String(timing.leaseMs),
  [STANDBY_TIMING_ENV.guardMs]: String(timing.guardMs),
  [STANDBY_TIMING_ENV.scanMarginMs]: String(timing.scanMarginMs),
  [STANDBY_TIMING_ENV.relistMs]: String(timing.relistMs ?? 0),
});

function consumerFor(cell: LocalCell, logger: Logger, options: LocalStandbyOptions): Consumer {
  const env: Readonly<Record<string, string | undefined>> = { ...cell.settings.env, ...timingEnv(options.timing) };
  const onError = (what: string) => (error: Error) => logger.log({ level: "warn", msg: `standby ${what} failed; retrying`, error: error.message });
  const loop = (what: string, tick: () => Promise<"busy" | "idle">, idleMs: number) => new PollingLoop(`the standby ${what} of cell '${cell.cellId}'`, tick, idleMs, onError(what));
  const outbox = cell.outbox;
  if (outbox.kind === "dynamodb-stream") {
    const consumer: AwsStandbyConsumer = createAwsStandbyConsumer(readAwsStandbyConfig(env), { logger });
    // Through the cell's store proxy, like the cell itself: a stopped store stops the stream reads too.
    const streams = new DynamoDBStreamsClient({ region: LOCAL_REGION, endpoint: env[AWS_CELL_ENV.dynamodbEndpoint], credentials: LOCAL_CREDENTIALS });
    const reader = new DynamoDbStreamPump({ client: streams, streamArn: outbox.streamArn, deliver: async (records) => void (await consumer.onStream(records)) });
    return {
      fastPath: loop("fast path", () => reader.tick(), options.pollMs ?? 100),
      sweeps: loop("sweep", async () => (await consumer.onSchedule(), "idle"), options.timing.sweepMs),
      sweep: () => consumer.onSchedule(),
      pause: () => reader.pause(),
      close: () => {
        consumer.close();
        streams.destroy();
      },
    };
  }
  const consumer: AzureStandbyConsumer = createAzureStandbyConsumer(env, { logger, cosmosClientOptions: cell.settings.cosmosClientOptions });
  const reader = new CosmosOutboxPump({ container: outbox.container, deliver: async (documents) => void (await consumer.onFeed(documents)) });
  return {
    fastPath: loop("fast path", () => reader.tick(), options.pollMs ?? 250),
    sweeps: loop("sweep", async () => (await consumer.onSweep(), "idle"), options.timing.sweepMs),
    sweep: () => consumer.onSweep(),
    pause: () => undefined,
    close: () => consumer.close(),
  };
}

/** Starts one replication consumer per cell. */
export function startLocalStandby(options: LocalStandbyOptions): LocalStandby {
  const consumers = new Map<string, Consumer>();
  for (const cell of options.cells) consumers.set(cell.cellId, consumerFor(cell, options.logger(cell.cellId), options));
  const of = (cellId: string): Consumer => {
    const consumer = consumers.get(cellId);
    if (!consumer) throw new Error(`no standby consumer for cell '${cellId}'; cells: ${[...consumers.keys()].join(", ")}`);
    return consumer;
  };
  const start = (consumer: Consumer) => {
    consumer.fastPath.start();
    consumer.sweeps.start();
  };
  for (const consumer of consumers.values()) start(consumer);
  let closed = false;
  return {
    timing: options.timing,
    stop: async (cellId) => {
      const consumer = of(cellId);
      await Promise.all([consumer.fastPath.stop(), consumer.sweeps.stop()]);
      consumer.pause();
    },
    start: (cellId) => {
      if (closed) throw new Error("the local standby consumers are closed");
      start(of(cellId));
    },
    sweepNow: async () => {
      await Promise.all([...consumers.values()].filter((c) => c.sweeps.isRunning).map((c) => c.sweep()));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers.values()].flatMap((c) => [c.fastPath.stop(), c.sweeps.stop()]));
      for (const consumer of consumers.values()) consumer.close();
    },
  };
}
