import type { Container } from "@azure/cosmos";
import { ITEM_KINDS } from "../../cells/azure/cosmos-items";

/**
 * Reads a Cosmos DB container's outbox documents for the sandbox, standing in for the change feed the
 * deployed trigger reads (the emulator's change feed is a stub). Each tick queries the `kind: "change"`
 * documents across partitions whose `seq` (`<committed at>#<record>#<version>`) is at or after the
 * cursor, hands the new ones to `deliver` in `seq` order, in batches, and moves the cursor.
 *
 * Commit times come from the writers' clocks, and a write stamped earlier can become visible after
 * one stamped later; so the cursor trails the newest commit time seen by `overlapMs`, the overlap is
 * read again, and documents already delivered are dropped by their identity (tenant and `seq`, which
 * holds record and version). Delivery is at least once: a failed batch is not marked delivered and is
 * read again on the next tick.
 */

/** What the pump hands on: the fields of an outbox document the lake consumer reads (the feed's shape). */
export interface OutboxDocument {
  readonly kind: typeof ITEM_KINDS.change;
  readonly tenantId: string;
  readonly seq: string;
  readonly event: unknown;
}

export interface OutboxPumpOptions {
  readonly container: Container;
  /** Lands one batch; throws to have it read again. */
  readonly deliver: (documents: OutboxDocument[]) => Promise<void>;
  /** Most documents per batch (the trigger's `maxItemsPerInvocation`). @default 100 */
  readonly batchSize?: number;
  /** How far behind the newest commit time the cursor stays, ms. @default 5000 */
  readonly overlapMs?: number;
}

const identity = (doc: Pick<OutboxDocument, "tenantId" | "seq">): string => `${doc.tenantId}\u0000${doc.seq}`;
/** The commit time at the front of a `seq`. */
const commitTimeOf = (seq: string): string => seq.slice(0, seq.indexOf("#") === -1 ? seq.length : seq.indexOf("#"));

export class CosmosOutboxPump {
  /** The newest commit time delivered; undefined: start from the beginning. */
  private newest: string | undefined;
  /** Identities delivered at or after the cursor (older ones can no longer be read again, so they are forgotten). */
  private delivered = new Map<string, string>();

  constructor(private readonly options: OutboxPumpOptions) {}

  private cursor(): string {
    if (this.newest === undefined) return "";
    const at = Date.parse(this.newest);
    return Number.isNaN(at) ? "" : new Date(at - (this.options.overlapMs ?? 5_000)).toISOString();
  }

  async tick(): Promise<"busy" | "idle"> {
    const since = this.cursor();
    const { resources } = await this.options.container.items
      .query<OutboxDocument>({
        query: "SELECT c.kind, c.tenantId, c.seq, c.event FROM c WHERE c.kind = @kind AND c.seq >= @since",
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
        this.delivered.set(identity(doc), doc.seq);
        const at = commitTimeOf(doc.seq);
        if (this.newest === undefined || at > this.newest) this.newest = at;
      }
    }
    const cursor = this.cursor();
    for (const [key, seq] of this.delivered) if (seq < cursor) this.delivered.delete(key);
    return fresh.length > 0 ? "busy" : "idle";
  }

  /** Forgets the cursor and what was delivered: the next tick reads every outbox document again. */
  rewind(): void {
    this.newest = undefined;
    this.delivered.clear();
  }
}
