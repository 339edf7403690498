import { isRecordId } from "./ids";
import { err, ok, type Result } from "./result";

/**
 * The admin API's wire shapes (cells answer them, `cellctl` reads them): exported record items,
 * digests and import results. Snake case, like the rest of the wire format.
 */

/** One record as exported: a live record, or a tombstone (`deleted: true`, no data). */
export interface ExportItem {
  readonly record_id: string;
  readonly version: number;
  readonly deleted: boolean;
  /** Present for live records in a full export. */
  readonly data?: unknown;
  readonly created_at?: string;
  readonly updated_at: string;
  /** The cell that committed this version. */
  readonly committed_by: string;
}

/** A page of an export. `versions` pages carry only `record_id`, `version` and `deleted`. */
export interface ExportPage {
  readonly items: ExportItem[];
  readonly next_cursor: string | null;
}

/** What a cell says about a tenant's data, to compare two copies. */
export interface DigestView {
  readonly tenant_id: string;
  /** Live records. */
  readonly count: number;
  readonly tombstones: number;
  /** Order-independent hash over every item's id, version, deletion and data (hex). */
  readonly hash: string;
}

export interface ImportResultView {
  readonly written: number;
  readonly skipped: number;
}

const isVersion = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
const isIso = (v: unknown): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v));

/** Checks one item of an import page (what a cell accepts). `full` requires the data of live records. */
export function parseExportItem(value: unknown, full = true): Result<ExportItem> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return err("item must be a JSON object");
  const v = value as Record<string, unknown>;
  if (!isRecordId(v.record_id)) return err(`record_id is invalid: ${JSON.stringify(v.record_id)}`);
  const where = `item '${v.record_id}'`;
  if (!isVersion(v.version)) return err(`${where}: version must be an integer of at least 1, got ${JSON.stringify(v.version)}`);
  if (typeof v.deleted !== "boolean") return err(`${where}: deleted must be true or false`);
  if (!full) return ok({ record_id: v.record_id, version: v.version, deleted: v.deleted, updated_at: "", committed_by: "" });
  if (!isIso(v.updated_at)) return err(`${where}: updated_at must be an ISO-8601 time`);
  if (typeof v.committed_by !== "string" || v.committed_by === "") return err(`${where}: committed_by must name a cell`);
  if (v.deleted) return ok({ record_id: v.record_id, version: v.version, deleted: true, updated_at: v.updated_at, committed_by: v.committed_by });
  if (typeof v.data !== "object" || v.data === null || Array.isArray(v.data)) return err(`${where}: data must be a JSON object`);
  if (!isIso(v.created_at)) return err(`${where}: created_at must be an ISO-8601 time`);
  return ok({ record_id: v.record_id, version: v.version, deleted: false, data: v.data, created_at: v.created_at, updated_at: v.updated_at, committed_by: v.committed_by });
}

/**
 * A tenant digest's hash from its items' hashes (hex SHA-256 each): their sum modulo 2^256, so the
 * order items are read in never matters. Cells sum their own items; a move sums item listings.
 */
export function sumOfItemHashes(hashes: Iterable<string>): string {
  let sum = 0n;
  for (const hash of hashes) sum = (sum + BigInt(`0x${hash}`)) % (1n << 256n);
  return sum.toString(16).padStart(64, "0");
}
