import { CHANGE_EVENT_VERSION, CHANGE_KINDS, CLOUDS, changeEventId, err, isCellId, isRecordId, isTenantId, ok, sha256Hex, type ChangeEvent, type Cloud, type Result } from "../../contract";

/**
 * The reporting lake's consumer logic, the same on both clouds and in the sandbox: it turns a batch
 * of outbox entries (what a cell's change stream delivers: DynamoDB Streams, the Cosmos DB change
 * feed, or a local pump) into NDJSON files in a landing zone (S3, Blob Storage, a local folder).
 *
 * Layout, Hive-style so DuckDB, Athena, Snowflake and Spark read the partitions as columns:
 *
 *     cloud=<cloud>/cell=<cellId>/dt=<YYYY-MM-DD>/<first commit time>-<digest>.jsonl
 *
 * `dt` is the UTC day of each event's `committed_at`; a batch spanning midnight becomes two files.
 * One line per event, its fields in the contract's order. The file name is derived from the events it
 * holds (the earliest commit time, then a SHA-256 over their ids), so a batch delivered again lands
 * on the same name with the same bytes: a redelivery of the same batch overwrites, a redelivery cut
 * differently adds a file with copies of some events, which readers drop by `id`
 * ((tenant, record, version), the contract's dedupe key). Delivery is at least once.
 *
 * Nothing here touches an SDK or the environment: adapters hand in the entries and a `LandingZone`.
 */

/** Where lake files go: an S3 bucket, a Blob container, a local folder. */
export interface LandingZone {
  /**
   * Writes `body` under `key` (a relative, `/`-separated path), replacing an object of that name.
   * Resolves once the object is durable; throws otherwise (the caller then retries the whole batch).
   */
  put(key: string, body: string): Promise<void>;
}

/** One outbox entry as a change stream delivers it. */
export interface OutboxEntry {
  /** The tenant whose partition the entry was read from (`T#<tenant>` on DynamoDB, `tenantId` on Cosmos DB). */
  readonly partitionTenantId: string;
  /** The entry's change event, parsed from the store's JSON but not yet checked. */
  readonly event: unknown;
}

/** The cell a consumer reads, and so the only cell whose events it may land. */
export interface LakeSource {
  readonly cloud: Cloud;
  readonly cellId: string;
}

/** One file of a delivery. */
export interface LakeFile {
  /** `cloud=<cloud>/cell=<cellId>/dt=<day>/<name>.jsonl` */
  readonly key: string;
  readonly events: readonly ChangeEvent[];
  /** NDJSON, one event per line, with a final newline. */
  readonly body: string;
}

/** An entry the consumer refused to land, and why (a bug upstream; the adapters log it as an error). */
export interface RejectedEntry {
  readonly reason: string;
  /** The event's id when it had a readable one, for the log line; never its data. */
  readonly id?: string;
  readonly partitionTenantId: string;
}

export interface LakeBatch {
  readonly files: readonly LakeFile[];
  readonly rejected: readonly RejectedEntry[];
}

/** What one delivery did. */
export interface LakeDelivery extends LakeBatch {
  /** Events written (the sum over `files`). */
  readonly delivered: number;
}

export const LAKE_FILE_EXTENSION = ".jsonl";
/** Content type of a lake file (NDJSON). */
export const LAKE_CONTENT_TYPE = "application/x-ndjson";

/** The key prefix a cell's consumer writes under (`cloud=aws/cell=alpha/`): what its write permission is scoped to. */
export const lakeCellPrefix = (source: LakeSource): string => `cloud=${source.cloud}/cell=${source.cellId}/`;

/** ISO-8601 UTC with milliseconds, as the cells write `committed_at`. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * Checks that `value` is a change event of the contract's version: every field present with its
 * type, ids within the contract's patterns, `id` equal to (tenant, record, version), `data` null
 * exactly for deletes. Returns the event with its fields in the contract's order.
 */
export function parseChangeEvent(value: unknown): Result<ChangeEvent> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return err("the event is not a JSON object");
  const e = value as Record<string, unknown>;
  if (e.v !== CHANGE_EVENT_VERSION) return err(`v must be ${CHANGE_EVENT_VERSION}, got ${JSON.stringify(e.v)}`);
  if (!isTenantId(e.tenant_id)) return err("tenant_id is missing or not a tenant id");
  if (!isRecordId(e.record_id)) return err("record_id is missing or not a record id");
  if (!(typeof e.version === "number" && Number.isSafeInteger(e.version) && e.version >= 1)) return err("version must be an integer of at least 1");
  if (e.id !== changeEventId(e.tenant_id, e.record_id, e.version)) return err(`id must be '${changeEventId(e.tenant_id, e.record_id, e.version)}'`);
  if (!(CHANGE_KINDS as readonly unknown[]).includes(e.kind)) return err(`kind must be one of ${CHANGE_KINDS.join(", ")}`);
  if ((e.kind === "deleted") !== (e.data === null)) return err("data must be null for a delete and only for a delete");
  if (e.data === undefined) return err("data is missing");
  if (!(typeof e.committed_at === "string" && ISO_UTC.test(e.committed_at) && !Number.isNaN(Date.parse(e.committed_at)))) return err("committed_at must be an ISO-8601 UTC time");
  if (!isCellId(e.cell_id)) return err("cell_id is missing or not a cell id");
  if (!(CLOUDS as readonly unknown[]).includes(e.cloud)) return err(`cloud must be one of ${CLOUDS.join(", ")}`);
  return ok({
    v: CHANGE_EVENT_VERSION,
    id: e.id,
    tenant_id: e.tenant_id,
    record_id: e.record_id,
    version: e.version,
    kind: e.kind as ChangeEvent["kind"],
    data: e.data,
    committed_at: e.committed_at,
    cell_id: e.cell_id,
    cloud: e.cloud as Cloud,
  });
}

/** `2026-11-20T10:15:00.123Z` -> `20261120T101500123Z`: sortable and safe in every store's object names. */
const compactTime = (iso: string): string => iso.replace(/[-:.]/g, "");

const byCommitThenId = (a: ChangeEvent, b: ChangeEvent): number =>
  a.committed_at < b.committed_at ? -1 : a.committed_at > b.committed_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * Checks and groups a batch into files (see the module comment). An entry is refused when its event
 * is not a valid change event, when the event names another tenant than the partition it was stored
 * in (nothing of one tenant may land as another's), or when it names another cell or cloud than the
 * consumer's (a cell's outbox only holds changes committed on that cell; imports write none). A
 * change delivered twice within the batch is kept once.
 */
export async function planLakeFiles(entries: readonly OutboxEntry[], source: LakeSource): Promise<LakeBatch> {
  const rejected: RejectedEntry[] = [];
  const byDay = new Map<string, Map<string, ChangeEvent>>();
  for (const entry of entries) {
    const parsed = parseChangeEvent(entry.event);
    const rawId = typeof (entry.event as { id?: unknown } | null)?.id === "string" ? ((entry.event as { id: string }).id) : undefined;
    const refuse = (reason: string) => rejected.push({ reason, partitionTenantId: entry.partitionTenantId, ...(rawId === undefined ? {} : { id: rawId.slice(0, 300) }) });
    if (!parsed.ok) {
      refuse(parsed.error);
      continue;
    }
    const event = parsed.value;
    if (event.tenant_id !== entry.partitionTenantId) {
      refuse(`the event names tenant '${event.tenant_id}' but was stored in the partition of tenant '${entry.partitionTenantId}'`);
      continue;
    }
    if (event.cloud !== source.cloud || event.cell_id !== source.cellId) {
      refuse(`the event was committed on ${event.cloud} cell '${event.cell_id}', not on this consumer's ${source.cloud} cell '${source.cellId}'`);
      continue;
    }
    const day = event.committed_at.slice(0, 10);
    let events = byDay.get(day);
    if (!events) byDay.set(day, (events = new Map()));
    events.set(event.id, event);
  }
  const files: LakeFile[] = [];
  for (const day of [...byDay.keys()].sort()) {
    const events = [...byDay.get(day)!.values()].sort(byCommitThenId);
    const digest = (await sha256Hex(events.map((e) => e.id).sort().join("\n"))).slice(0, 16);
    const name = `${compactTime(events[0]!.committed_at)}-${digest}${LAKE_FILE_EXTENSION}`;
    files.push({ key: `${lakeCellPrefix(source)}dt=${day}/${name}`, events, body: events.map((e) => `${JSON.stringify(e)}\n`).join("") });
  }
  return { files, rejected };
}

/**
 * Lands a batch: plans its files and puts each into `zone`, one at a time. Throws the first failed
 * put, so the caller does not checkpoint the batch and its stream delivers it again (the files
 * written before the failure are then rewritten under the same names). Refused entries are returned,
 * not thrown: retrying could never land them, and they must not stop the stream.
 */
export async function deliverToLake(entries: readonly OutboxEntry[], zone: LandingZone, source: LakeSource): Promise<LakeDelivery> {
  const batch = await planLakeFiles(entries, source);
  for (const file of batch.files) await zone.put(file.key, file.body);
  return { ...batch, delivered: batch.files.reduce((n, f) => n + f.events.length, 0) };
}
