import type { Cloud } from "./registry";

/**
 * One committed change of one record, the same on both clouds: what the standby replication and the
 * reporting lake consume. Delivery is at least once and ordered per record by `version`; versions of
 * a record never repeat (a delete leaves a tombstone whose version continues the sequence), so
 * (tenant, record, version) identifies a change and `id` is that triple.
 */
export const CHANGE_EVENT_VERSION = 1;

export const CHANGE_KINDS = ["created", "replaced", "deleted"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeEvent {
  readonly v: typeof CHANGE_EVENT_VERSION;
  /** `<tenant>/<record>/<version>`: equal ids are the same change delivered twice. */
  readonly id: string;
  readonly tenant_id: string;
  readonly record_id: string;
  readonly version: number;
  readonly kind: ChangeKind;
  /** The record's data after the change; null for a delete. */
  readonly data: unknown;
  /** ISO-8601 UTC commit time, from the writing cell's clock. */
  readonly committed_at: string;
  readonly cell_id: string;
  readonly cloud: Cloud;
}

export const changeEventId = (tenantId: string, recordId: string, version: number): string => `${tenantId}/${recordId}/${version}`;
