import type { Container } from "@azure/cosmos";
import { ITEM_KINDS } from "../../cells/azure/cosmos-items";

/**
 * Reads a Cosmos DB container's outbox documents for the sandbox, standing in for the change feed the
 * deployed trigger reads (the emulator's change feed is a stub). Each tick queries the `kind: "change"`
 * documents across partitions written at or after the cursor, hands the new ones to `deliver` in `seq`
 * order (`<committed at>#<record>#<version>`), in batches, and moves the cursor.
 *
 * The cursor is the server's write time `_ts` (whole seconds), not the event's `committed_at`: a commit
 * time comes from the writer's clock when it planned the write, and under load a write can become
 * visible seconds after a later-stamped one (a cursor on commit times lost such writes; the
 * benchmark found it). `_ts` is set by the store when the document is written, so the cursor trails
 * the newest `_ts` seen by `overlapSeconds` (the same second can still receive writes), that overlap
 * is read again, and documents already delivered are dropped by their identity (tenant and `seq`).
 * Delivery is at least once: a failed batch is not marked delivered and is read again on the next tick.
 */

/** What the pump hands on: the fields of an outbox document the lake consumer reads (the feed's shape). */
export interface OutboxDocument {
  readonly kind: typeof ITEM_KINDS.change;
  readonly tenantId: string;
  readonly seq: string;
  readonly event: unknown;
  /** When the store wrote the document, epoch seconds (Cosmos DB's system property). */
  readonly _ts: number;
}

export interface OutboxPumpOptions {
  readonly container: Container;
  /** Lands one batch; throws to have it read again. */
  readonly deliver: (documents: OutboxDocument[]) => Promise<void>;
  /** Most documents per batch (the trigger's `maxItemsPerInvocation`). @default 100 */
  readonly batchSize?: number;
  /** How far behind the newest write time seen the cursor stays, seconds. @default 2 */
  readonly overlapSeconds?: number;
}

const identity = (doc: Pick<OutboxDocument, "tenantId" | "seq">): string => `${doc.tenantId}\u0000${doc.seq}`;

export class CosmosOutboxPump {
  /** The newest write time (`_ts`) delivered; undefined: start from the beginning. */
  private newest: number | undefined;
  /** Identities delivered, with their `_ts`; those older than the cursor can no longer be read again and are forgotten. */
  private delivered = new Map<string, number>();

  constructor(private readonly options: OutboxPumpOptions) {}

  private cursor(): number {
    return this.newest === undefined ? 0 : this.newest - (this.options.overlapSeconds ?? 2);
  }

  /** Delivers every outbox document written since the last tick; `idle` once it has (see the end). */
  async tick(): Promise<"busy" | "idle"> {
    const since = this.cursor();
    const { resources } = await this.options.container.items
      .query<OutboxDocument>({
        query: "SELECT c.kind, c.tenantId, c.seq, c.event, c._ts FROM c WHERE c.kind = @kind AND c._ts >= @since",
        parameters: [
          { name: "@kind", value: ITEM_KINDS.change },
          { name: "@since", value: since },
        ],
      })
      .fetchAll();
    const fresh = resources.filter((doc) => typeof doc.seq === "string" && !this.delivered.has(identity(doc))).sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    const size = this.options.batchSize ?? 100;
    for (let i = 0; i < fresh.length; i += size) {
      const batch = fresh.slice(i, i + size);
      await this.options.deliver(batch);
      for (const doc of batch) {
        this.delivered.set(identity(doc), doc._ts);
        if (this.newest === undefined || doc._ts > this.newest) this.newest = doc._ts;
      }
    }
    const cursor = this.cursor();
    for (const [key, ts] of this.delivered) if (ts < cursor) this.delivered.delete(key);
    // One tick reads everything written up to its query, so there is never more to read at once:
    // the next look waits for the poll interval (a query is a scan of the whole emulated container,
    // and polling it back to back slowed the cell's own writes on the same emulator).
    return "idle";
  }

  /** Forgets the cursor and what was delivered: the next tick reads every outbox document again. */
  rewind(): void {
    this.newest = undefined;
    this.delivered.clear();
  }
}
