import { openLake, type LakeDb } from "./lake-db";
import type { LakeSourceSpec } from "./lake-sources";

/**
 * The global report: both clouds' landing zones read as one table (`lake-db.ts`), the standard
 * views, and the same data written as Parquet for Snowflake, Databricks or Athena.
 */

const ISO = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

export interface TenantCloudRow {
  readonly tenant_id: string;
  readonly cloud: string;
  /** Live records whose latest version was committed on this cloud. */
  readonly records: number;
  /** Changes committed on this cloud (creates, replaces, deletes). */
  readonly writes: number;
  readonly deletes: number;
  readonly last_write: string;
}

export interface CloudRow {
  readonly cloud: string;
  readonly tenants: number;
  readonly records: number;
  readonly writes: number;
}

export interface LatestRow {
  readonly tenant_id: string;
  readonly record_id: string;
  readonly version: number;
  readonly cloud: string;
  readonly cell_id: string;
  readonly committed_at: string;
  readonly data: unknown;
}

export interface MinuteRow {
  readonly minute: string;
  readonly cloud: string;
  readonly events: number;
}

/** What `npm run report -- --json` prints: one stable document. */
export interface LakeReport {
  readonly sources: ReadonlyArray<{ readonly kind: string; readonly root: string }>;
  readonly files: number;
  /** Lines read (every delivery of every change). */
  readonly lines: number;
  /** Changes after deduplication by (tenant, record, version). */
  readonly events: number;
  readonly duplicatesDropped: number;
  readonly tenants: readonly TenantCloudRow[];
  readonly clouds: readonly CloudRow[];
  /** The latest state of every record (up to `limit` rows, in tenant and record order). */
  readonly latest: readonly LatestRow[];
  /** Live records in all; `latest` may show fewer. */
  readonly latestTotal: number;
  readonly eventsPerMinute: readonly MinuteRow[];
  readonly parquet?: { readonly events: string; readonly latest: string };
}

export interface ReportOptions {
  readonly sources: readonly LakeSourceSpec[];
  /** Most rows of the latest-state view in the report. @default 50 */
  readonly limit?: number;
  /** Where to write `events.parquet` and `latest.parquet`; undefined writes none. */
  readonly outDir?: string;
}

/** The standard views of an open lake. */
export async function reportOf(db: LakeDb, sources: readonly LakeSourceSpec[], limit = 50): Promise<Omit<LakeReport, "parquet">> {
  const tenants = await db.rows<TenantCloudRow>(
    `SELECT tenant_id, cloud, records::INTEGER AS records, writes::INTEGER AS writes, deletes::INTEGER AS deletes, ${ISO("last_write")} AS last_write FROM tenant_cloud ORDER BY tenant_id, cloud`,
  );
  const clouds = await db.rows<CloudRow>(
    "SELECT cloud, count(DISTINCT tenant_id)::INTEGER AS tenants, sum(records)::INTEGER AS records, sum(writes)::INTEGER AS writes FROM tenant_cloud GROUP BY cloud ORDER BY cloud",
  );
  const latest = (
    await db.rows<LatestRow & { data: string }>(
      `SELECT tenant_id, record_id, version::INTEGER AS version, cloud, cell_id, ${ISO("committed_at")} AS committed_at, data::VARCHAR AS data FROM latest ORDER BY tenant_id, record_id LIMIT ${Math.max(0, Math.floor(limit))}`,
    )
  ).map((row) => ({ ...row, data: JSON.parse(row.data) as unknown }));
  const [{ total }] = (await db.rows<{ total: number }>("SELECT count(*)::INTEGER AS total FROM latest")) as [{ total: number }];
  const eventsPerMinute = await db.rows<MinuteRow>(`SELECT ${ISO("minute")} AS minute, cloud, events::INTEGER AS events FROM events_per_minute ORDER BY minute, cloud`);
  return {
    sources: sources.map(({ kind, root }) => ({ kind, root })),
    files: db.counts.files,
    lines: db.counts.lines,
    events: db.counts.events,
    duplicatesDropped: db.counts.lines - db.counts.events,
    tenants,
    clouds,
    latest,
    latestTotal: total,
    eventsPerMinute,
  };
}

/** Reads the lake, builds the report and (with `outDir`) writes the Parquet files. */
export async function runReport(options: ReportOptions): Promise<LakeReport> {
  const db = await openLake(options.sources);
  try {
    const report = await reportOf(db, options.sources, options.limit);
    return options.outDir === undefined ? report : { ...report, parquet: await db.writeParquet(options.outDir) };
  } finally {
    db.close();
  }
}

/** A plain text table: a header, a rule, the rows; columns padded to their widest cell. */
function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = rows.map((row) => row.map((c) => (typeof c === "string" ? c : JSON.stringify(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

const MAX_DATA_CHARS = 60;

/** The report for people (the JSON document is for programs); may change. */
export function formatReport(report: LakeReport): string {
  const out: string[] = [];
  out.push(
    `lake: ${report.files} files, ${report.lines} lines, ${report.events} changes (${report.duplicatesDropped} duplicate deliveries dropped) from ${report.sources.map((s) => s.root).join(", ")}`,
    "",
    "Records and writes per tenant and cloud (records: live records whose latest version was committed there)",
    table(["tenant", "cloud", "records", "writes", "deletes", "last write"], report.tenants.map((t) => [t.tenant_id, t.cloud, t.records, t.writes, t.deletes, t.last_write])),
    "",
    "Per cloud",
    table(["cloud", "tenants", "records", "writes"], report.clouds.map((c) => [c.cloud, c.tenants, c.records, c.writes])),
    "",
    `Latest state of every record (deduplicated, deletes applied)${report.latest.length < report.latestTotal ? `: first ${report.latest.length} of ${report.latestTotal}` : ""}`,
    table(
      ["tenant", "record", "version", "cloud", "cell", "committed at", "data"],
      report.latest.map((r) => {
        const data = JSON.stringify(r.data);
        return [r.tenant_id, r.record_id, r.version, r.cloud, r.cell_id, r.committed_at, data.length > MAX_DATA_CHARS ? `${data.slice(0, MAX_DATA_CHARS - 3)}...` : data];
      }),
    ),
    "",
    "Changes per minute",
    table(["minute", "cloud", "changes"], report.eventsPerMinute.map((m) => [m.minute, m.cloud, m.events])),
  );
  if (report.parquet) out.push("", `Parquet: ${report.parquet.events}, ${report.parquet.latest}`);
  return out.join("\n");
}
