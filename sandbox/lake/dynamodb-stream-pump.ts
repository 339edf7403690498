import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record, type Shard } from "@aws-sdk/client-dynamodb-streams";

/**
 * Reads a DynamoDB stream the way Lambda's event source mapping does, for the sandbox: every shard
 * from its oldest record (`TRIM_HORIZON`), a child shard only once its parent is read to its end,
 * batches handed to `deliver` in shard order, and a checkpoint (the last delivered sequence number)
 * per shard, advanced only after `deliver` resolved. So delivery is at least once: a failed delivery
 * is read again from the checkpoint on the next tick.
 *
 * Shard iterators expire after 15 minutes; an expired one (`ExpiredIteratorException`) is replaced by
 * a fresh iterator after the checkpoint. A checkpoint older than the stream's 24-hour retention
 * (`TrimmedDataAccessException`) restarts the shard at its oldest record and says so.
 */

export interface StreamPumpOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  /** Lands one batch; throws to have it read again. */
  readonly deliver: (records: _Record[]) => Promise<void>;
  /** Most records per `GetRecords` call, so per batch (Lambda's `batch_size`). @default 100 */
  readonly batchSize?: number;
  readonly log?: (entry: Record<string, unknown>) => void;
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId?: string;
  iterator?: string;
  /** Sequence number of the last record delivered. */
  checkpoint?: string;
  /** Read to its end (a closed shard whose iterator ran out). */
  finished: boolean;
}

const errorName = (error: unknown): string => (error as { name?: string })?.name ?? "";

export class DynamoDbStreamPump {
  private shards = new Map<string, ShardState>();

  constructor(private readonly options: StreamPumpOptions) {}

  /** Reads every readable shard once. `busy` when it delivered something. */
  async tick(): Promise<"busy" | "idle"> {
    await this.discoverShards();
    let busy = false;
    for (const shard of this.shards.values()) {
      if (shard.finished) continue;
      const parent = shard.parentShardId === undefined ? undefined : this.shards.get(shard.parentShardId);
      if (parent !== undefined && !parent.finished) continue; // a child waits for its parent: records of one item stay in order
      if (await this.readShard(shard)) busy = true;
    }
    return busy ? "busy" : "idle";
  }

  /** Forgets every checkpoint: the next tick reads the stream again from its oldest record (a consumer that lost its state). */
  rewind(): void {
    this.shards.clear();
  }

  /** Drops the shard iterators (they expire anyway); the checkpoints stay, so reading resumes after them. */
  pause(): void {
    for (const shard of this.shards.values()) shard.iterator = undefined;
  }

  private async discoverShards(): Promise<void> {
    let start: string | undefined;
    do {
      const { StreamDescription: description } = await this.options.client.send(new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }));
      for (const shard of description?.Shards ?? ([] as Shard[])) {
        if (shard.ShardId !== undefined && !this.shards.has(shard.ShardId)) {
          this.shards.set(shard.ShardId, { shardId: shard.ShardId, parentShardId: shard.ParentShardId, finished: false });
        }
      }
      start = description?.LastEvaluatedShardId;
    } while (start !== undefined);
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shard.shardId,
        ...(shard.checkpoint === undefined ? { ShardIteratorType: "TRIM_HORIZON" } : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: shard.checkpoint }),
      }),
    );
    return ShardIterator;
  }

  /** One `GetRecords` on `shard`; true when it delivered records. */
  private async readShard(shard: ShardState): Promise<boolean> {
    shard.iterator ??= await this.iteratorFor(shard);
    if (shard.iterator === undefined) {
      shard.finished = true;
      return false;
    }
    let page: { Records?: _Record[]; NextShardIterator?: string };
    try {
      page = await this.options.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.options.batchSize ?? 100 }));
    } catch (error) {
      if (errorName(error) === "ExpiredIteratorException") {
        shard.iterator = undefined;
        return true; // look again at once, with a fresh iterator after the checkpoint
      }
      if (errorName(error) === "TrimmedDataAccessException") {
        this.options.log?.({ level: "warn", msg: "lake pump: records after the checkpoint were trimmed from the stream; reading the shard from its oldest record", shardId: shard.shardId });
        shard.iterator = undefined;
        shard.checkpoint = undefined;
        return true;
      }
      throw error;
    }
    const records = page.Records ?? [];
    if (records.length > 0) {
      try {
        await this.options.deliver(records);
      } catch (error) {
        shard.iterator = undefined; // the iterator moved past the batch; the checkpoint did not
        throw error;
      }
      shard.checkpoint = records[records.length - 1]!.dynamodb?.SequenceNumber ?? shard.checkpoint;
    }
    shard.iterator = page.NextShardIterator;
    if (shard.iterator === undefined) shard.finished = true;
    return records.length > 0;
  }
}
