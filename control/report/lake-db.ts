import type { DuckDBConnection } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import type { LakeSourceSpec } from "./lake-sources";

/**
 * The lake as one DuckDB table, whatever cloud or cell the files came from, and the views every
 * report reads. The SQL lives here, once; the README quotes it.
 *
 * - `lake_raw`: every line of every file (a change delivered twice is there twice), with the Hive
 *   partition `dt` and the file it came from.
 * - `events`: one row per change, deduplicated by (tenant_id, record_id, version), the contract's
 *   change identity; which copy survives does not matter, copies are equal.
 * - `latest`: the latest state of every record: its highest version, left out when that version is a
 *   delete. Versions of a record never repeat and grow across cells (a moved tenant's records keep
 *   their versions), so "highest version" is right across clouds, whatever the commit clocks say.
 * - `tenant_cloud`: per tenant and cloud, the records whose latest version was committed there and
 *   the writes (changes) committed there.
 * - `events_per_minute`: changes per minute of commit time and cloud.
 */

/** The columns of a lake file's lines (the contract's `ChangeEvent`), typed for DuckDB. */
export const LAKE_COLUMNS = {
  v: "INTEGER",
  id: "VARCHAR",
  tenant_id: "VARCHAR",
  record_id: "VARCHAR",
  version: "BIGINT",
  kind: "VARCHAR",
  data: "JSON",
  committed_at: "TIMESTAMPTZ",
  cell_id: "VARCHAR",
  cloud: "VARCHAR",
} as const;

const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const columnsStruct = `{${Object.entries(LAKE_COLUMNS)
  .map(([name, type]) => `${name}: ${quote(type)}`)
  .join(", ")}}`;

/** `read_json` over the given globs: NDJSON, explicit column types (a file never changes the schema), Hive partitions, file names. */
export const readLakeFilesSql = (globs: readonly string[]): string =>
  `read_json([${globs.map(quote).join(", ")}], format = 'newline_delimited', columns = ${columnsStruct}, hive_partitioning = true, hive_types = {'dt': 'DATE'}, filename = true)`;

/** The views over `lake_raw` (see the module comment). */
export const LAKE_VIEWS_SQL = `
CREATE OR REPLACE VIEW events AS
  SELECT * EXCLUDE (copy) FROM (
    SELECT *, row_number() OVER (PARTITION BY tenant_id, record_id, version ORDER BY file) AS copy FROM lake_raw
  ) WHERE copy = 1;

CREATE OR REPLACE VIEW latest AS
  SELECT tenant_id, record_id, version, data, committed_at, cell_id, cloud FROM (
    SELECT *, row_number() OVER (PARTITION BY tenant_id, record_id ORDER BY version DESC) AS newest FROM events
  ) WHERE newest = 1 AND kind <> 'deleted';

CREATE OR REPLACE VIEW tenant_cloud AS
  WITH writes AS (
    SELECT tenant_id, cloud, count(*) AS writes, count(*) FILTER (WHERE kind = 'deleted') AS deletes, max(committed_at) AS last_write
    FROM events GROUP BY tenant_id, cloud
  ), records AS (
    SELECT tenant_id, cloud, count(*) AS records FROM latest GROUP BY tenant_id, cloud
  )
  SELECT tenant_id, cloud, coalesce(records.records, 0) AS records, writes.writes, writes.deletes, writes.last_write
  FROM writes LEFT JOIN records USING (tenant_id, cloud);

CREATE OR REPLACE VIEW events_per_minute AS
  SELECT date_trunc('minute', committed_at) AS minute, cloud, count(*) AS events FROM events GROUP BY ALL;
`;

/** A typed row reader over an open lake. */
export interface LakeDb {
  readonly connection: DuckDBConnection;
  /** Files read, lines read (`lake_raw`), changes after deduplication (`events`). */
  readonly counts: { readonly files: number; readonly lines: number; readonly events: number };
  /** Runs `sql` and returns its rows as plain objects (BIGINT as number, JSON as text, times as ISO strings if cast). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Writes the deduplicated changes and the latest state as Parquet files into `dir` (local path or a DuckDB URL). */
  writeParquet(dir: string): Promise<{ readonly events: string; readonly latest: string }>;
  close(): void;
}

/** Loads DuckDB's extensions and credentials for remote sources: downloaded at run time, so remote reads need the internet. */
async function prepareRemote(connection: DuckDBConnection, sources: readonly LakeSourceSpec[]): Promise<void> {
  if (sources.some((s) => s.kind === "s3")) {
    await connection.run("INSTALL httpfs; LOAD httpfs;");
    // The AWS SDK's default chain: AWS_PROFILE, AWS_* variables, SSO, instance roles.
    await connection.run("CREATE OR REPLACE SECRET lake_s3 (TYPE s3, PROVIDER credential_chain);");
  }
  const accounts = [...new Set(sources.flatMap((s) => (s.kind === "azure" ? [s.accountName] : [])))];
  if (accounts.length > 0) {
    await connection.run("INSTALL azure; LOAD azure;");
    // Entra ID through the Azure CLI login or the environment: the lake accounts have shared keys off.
    for (const [i, account] of accounts.entries()) {
      await connection.run(`CREATE OR REPLACE SECRET lake_az_${i} (TYPE azure, PROVIDER credential_chain, CHAIN 'cli;env;managed_identity', ACCOUNT_NAME ${quote(account)});`);
    }
  }
}

const plain = (value: unknown): unknown => (typeof value === "bigint" ? Number(value) : value);

/** Opens an in-memory DuckDB, reads every file of `sources` into `lake_raw` and creates the views. */
export async function openLake(sources: readonly LakeSourceSpec[]): Promise<LakeDb> {
  // Loaded here, not at the top: every other cellctl command starts without DuckDB's native module (and runs where it is not installed).
  const { DuckDBInstance } = require("@duckdb/node-api") as typeof import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    await connection.run("SET TimeZone = 'UTC';");
    await prepareRemote(connection, sources);
    const rows = async <T>(sql: string): Promise<T[]> =>
      (await connection.runAndReadAll(sql)).getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])) as T);
    // Only globs that match something: read_json refuses a glob without files.
    const globs: string[] = [];
    let files = 0;
    for (const source of sources) {
      const [{ n }] = await rows<{ n: number }>(`SELECT count(*) AS n FROM glob(${quote(source.glob)})`);
      files += n!;
      if (n! > 0) globs.push(source.glob);
    }
    const columns = Object.entries(LAKE_COLUMNS).map(([name, type]) => `${name} ${type}`);
    await connection.run(
      globs.length === 0
        ? `CREATE TABLE lake_raw (${[...columns, "dt DATE", "file VARCHAR"].join(", ")});`
        : `CREATE TABLE lake_raw AS SELECT ${Object.keys(LAKE_COLUMNS).join(", ")}, dt, filename AS file FROM ${readLakeFilesSql(globs)};`,
    );
    await connection.run(LAKE_VIEWS_SQL);
    const [counts] = await rows<{ lines: number; events: number }>("SELECT (SELECT count(*) FROM lake_raw) AS lines, (SELECT count(*) FROM events) AS events");
    return {
      connection,
      counts: { files, lines: counts!.lines, events: counts!.events },
      rows,
      writeParquet: async (dir) => {
        const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(dir);
        if (local) mkdirSync(dir, { recursive: true });
        const target = (name: string) => (local ? path.join(dir, name) : `${dir.replace(/\/+$/, "")}/${name}`);
        const events = target("events.parquet");
        const latest = target("latest.parquet");
        await connection.run(`COPY (SELECT * EXCLUDE (file) FROM events ORDER BY tenant_id, record_id, version) TO ${quote(events)} (FORMAT parquet);`);
        await connection.run(`COPY (SELECT * FROM latest ORDER BY tenant_id, record_id) TO ${quote(latest)} (FORMAT parquet);`);
        return { events, latest };
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
