import type { Container, ItemDefinition } from "@azure/cosmos";
import { COSMOS_STATUS, guarded, hasStatus } from "./cosmos-errors";

/** An item as read, with the ETag a conditional write must present (`IfMatch`). */
export interface ReadItem<T> {
  readonly item: T;
  readonly etag: string;
}

/**
 * Point-reads one item of a tenant's partition; undefined when it does not exist. SDK 4.x answers a
 * missing item with a 404 response rather than an exception, older versions threw: both mean absent.
 * `deadlineMs` bounds the read, the SDK's retries included (see `guarded`).
 */
export async function readItem<T extends ItemDefinition>(container: Container, id: string, partitionKey: string, deadlineMs?: number): Promise<ReadItem<T> | undefined> {
  try {
    const response = await guarded("read", (abortSignal) => container.item(id, partitionKey).read<T>({ abortSignal }), deadlineMs);
    const resource = response.resource;
    if (!resource) return undefined;
    return { item: resource, etag: resource._etag ?? response.etag };
  } catch (error) {
    if (hasStatus(error, COSMOS_STATUS.notFound)) return undefined;
    throw error;
  }
}

/** Request options for a write that must fail (412) if the item changed since it was read. */
export const ifMatch = (etag: string) => ({ accessCondition: { type: "IfMatch", condition: etag } });
