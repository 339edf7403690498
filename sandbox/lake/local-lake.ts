import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { rmSync } from "node:fs";
import * as path from "node:path";
import { landStreamRecords } from "../../cells/aws/lake-consumer";
import { landFeedDocuments } from "../../cells/azure/lake-consumer";
import type { LakeSource, Logger } from "../../cells/core";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../emulators/dynamodb-local";
import type { LocalCell } from "../local-cells";
import { CosmosOutboxPump } from "./cosmos-outbox-pump";
import { DynamoDbStreamPump } from "./dynamodb-stream-pump";
import { FolderLandingZone } from "./folder-landing-zone";
import { PollingLoop } from "./polling-loop";

/**
 * The reporting lake on this machine: one pump per cell, each landing its cell's outbox in a folder of
 * its own (`<dir>/<cellId>/cloud=.../cell=.../dt=.../*.jsonl`) that stands in for the cell's bucket
 * (AWS) or landing container (Azure). The pumps run the deployed consumers' own code on what the
 * emulators offer:
 *
 * - an AWS cell: `landStreamRecords` (the consumer Lambda's body) on the real stream of its table on
 *   DynamoDB Local, read like Lambda's event source mapping reads it (`DynamoDbStreamPump`);
 * - an Azure cell: `landFeedDocuments` (the Cosmos DB trigger's body) on its outbox documents, polled
 *   from its emulator because the emulator's change feed is a stub (`CosmosOutboxPump`).
 *
 * `npm run report` reads `<dir>` by default.
 */

/** Where `npm start` runs the lake: `npm run report` reads this folder by default. */
export const SANDBOX_LAKE_DIR = path.join(".sandbox", "lake");

export interface LocalLakeOptions {
  /** The lake folder; each cell lands in `<dir>/<cellId>`. */
  readonly dir: string;
  readonly cells: readonly LocalCell[];
  /** Each cell's logger (refused entries, delivery errors). */
  readonly logger: (cellId: string) => Logger;
  /** Pause between polls when a pump found nothing, ms (Lambda polls a shard four times a second). @default 250 */
  readonly pollMs?: number;
  /** Most events per batch, so per file. @default 100 */
  readonly batchSize?: number;
  /** Empty the cells' folders first (the sandbox's stores start empty, so must their lake). @default true */
  readonly fresh?: boolean;
}

/** The running lake pumps of a sandbox. */
export interface LocalLake {
  readonly dir: string;
  /** Cell id -> the folder standing in for its bucket or container. */
  readonly zones: Readonly<Record<string, string>>;
  /** Whether `cellId`'s pump runs. */
  running(cellId: string): boolean;
  /** Stops the pump of `cellId` (or every pump) after the batch in progress: a consumer outage. Its checkpoint stays. */
  stop(cellId?: string): Promise<void>;
  /** Starts the pump of `cellId` (or every pump) again; it resumes after its checkpoint and lands the backlog. */
  start(cellId?: string): void;
  /**
   * Makes the pump of `cellId` (or every pump) forget its checkpoint, as a consumer that lost its state:
   * it reads its whole stream again and lands every change a second time (at least once), in batches
   * cut differently from the first time.
   */
  rewind(cellId?: string): Promise<void>;
  /** Resolves once every running pump has read everything committed before the call. @default timeoutMs 10000 */
  caughtUp(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops every pump. Safe to call twice. */
  close(): Promise<void>;
}

interface Pump {
  readonly loop: PollingLoop;
  readonly reader: { rewind(): void; pause?(): void };
  readonly close: () => void;
}

function pumpFor(cell: LocalCell, zone: FolderLandingZone, logger: Logger, options: LocalLakeOptions): Pump {
  const source: LakeSource = { cloud: cell.cloud, cellId: cell.cellId };
  const batchSize = options.batchSize ?? 100;
  const onError = (error: Error) => logger.log({ level: "warn", msg: "lake pump: batch not landed, retrying from the checkpoint", error: error.message });
  const outbox = cell.outbox;
  if (outbox.kind === "dynamodb-stream") {
    const client = new DynamoDBStreamsClient({ region: LOCAL_REGION, endpoint: outbox.endpoint, credentials: LOCAL_CREDENTIALS });
    const reader = new DynamoDbStreamPump({
      client,
      streamArn: outbox.streamArn,
      batchSize,
      deliver: async (records) => void (await landStreamRecords(records, zone, source, logger)),
      log: (entry) => logger.log(entry),
    });
    return { loop: new PollingLoop(`the lake pump of cell '${cell.cellId}'`, () => reader.tick(), options.pollMs ?? 250, onError), reader, close: () => client.destroy() };
  }
  const reader = new CosmosOutboxPump({ container: outbox.container, batchSize, deliver: async (documents) => void (await landFeedDocuments(documents, zone, source, logger)) });
  return { loop: new PollingLoop(`the lake pump of cell '${cell.cellId}'`, () => reader.tick(), options.pollMs ?? 250, onError), reader, close: () => undefined };
}

/** Starts one pump per cell; each lands in `<dir>/<cellId>`. */
export function startLocalLake(options: LocalLakeOptions): LocalLake {
  const dir = path.resolve(options.dir);
  const pumps = new Map<string, Pump>();
  const zones: Record<string, string> = {};
  for (const cell of options.cells) {
    const root = path.join(dir, cell.cellId);
    if (options.fresh ?? true) rmSync(root, { recursive: true, force: true });
    zones[cell.cellId] = root;
    pumps.set(cell.cellId, pumpFor(cell, new FolderLandingZone(root), options.logger(cell.cellId), options));
  }
  const selected = (cellId: string | undefined): Pump[] => {
    if (cellId === undefined) return [...pumps.values()];
    const pump = pumps.get(cellId);
    if (!pump) throw new Error(`no lake pump for cell '${cellId}'; cells: ${[...pumps.keys()].join(", ")}`);
    return [pump];
  };
  let closed = false;
  const open = () => {
    if (closed) throw new Error("the local lake is closed");
  };
  for (const pump of pumps.values()) pump.loop.start();
  return {
    dir,
    zones,
    running: (cellId) => selected(cellId)[0]!.loop.isRunning,
    stop: async (cellId) => {
      await Promise.all(
        selected(cellId).map(async (pump) => {
          await pump.loop.stop();
          pump.reader.pause?.();
        }),
      );
    },
    start: (cellId) => {
      open();
      for (const pump of selected(cellId)) pump.loop.start();
    },
    rewind: async (cellId) => {
      open();
      for (const pump of selected(cellId)) {
        const wasRunning = pump.loop.isRunning;
        await pump.loop.stop();
        pump.reader.rewind();
        if (wasRunning) pump.loop.start();
      }
    },
    caughtUp: async ({ timeoutMs = 10_000 } = {}) => {
      await Promise.all([...pumps.values()].filter((p) => p.loop.isRunning).map((p) => p.loop.caughtUp(timeoutMs)));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([...pumps.values()].map((p) => p.loop.stop()));
      for (const pump of pumps.values()) pump.close();
    },
  };
}
