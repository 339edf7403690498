import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CHANGE_EVENT_VERSION, changeEventId, signatureHeaders, type ChangeEvent, type Cloud, type SigningKey } from "../contract";
import { openLake } from "../control/report/lake-db";
import { parseLakeSource } from "../control/report/lake-sources";
import { reportOf } from "../control/report/report";
import { TOPOLOGY } from "../topology";
import { startNode, tsxArgs } from "./child";
import { formatTable, median, percentile, round } from "./table";

/**
 * Section 5: the reporting lake.
 *
 * - lag: the local sandbox with its lake pumps runs in a child process (`bench/sandbox-child.ts
 *   --lake-dir=<tmp>`); this process writes records at a steady rate to each tenant's cell (signed as
 *   the router signs, so the measurement starts at the cell) and, once everything has landed, reads
 *   every lake file. An event's lag is its file's modification time minus the moment this client got
 *   the write's 201 (the write is committed then); both clocks are this machine's. The time from the
 *   event's own `committed_at` (stamped by the cell when it planned the write) is shown too: it adds
 *   the write's own time in the cell. What it measures is the sandbox's pumps (DynamoDB Local's stream
 *   and the Cosmos DB emulator's outbox, each polled every 250 ms) plus the file write, not Lambda's
 *   event source mapping or the Functions host's change feed, whose own poll intervals (4 per second
 *   per shard and a 1 s batching window; `feedPollDelay` 1 s) come on top in the cloud.
 * - report: `npm run report`'s work over 100,000 synthetic events in 200 files across both clouds,
 *   2 % of them delivered twice: reading the files into DuckDB, the standard views, the Parquet files.
 */

export interface LakeOptions {
  /** Seconds of steady writes. */
  readonly seconds: number;
  /** Writes per second per tenant. */
  readonly ratePerTenant: number;
  /** Synthetic events for the report measurement. */
  readonly reportEvents: number;
  /** Report runs (median reported). */
  readonly reportRepeats: number;
  readonly log: (line: string) => void;
}

export interface LagStats {
  readonly cloud: string;
  readonly cellId: string;
  readonly tenantId: string;
  readonly writes: number;
  readonly landed: number;
  readonly errors: number;
  /** Lag from the client's acknowledgement, ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Lag from the event's `committed_at` (adds the write's own time in the cell), ms. */
  readonly fromCommitStamp: { readonly p50: number; readonly p99: number };
  /** The writes' own latency as this client saw it, ms. */
  readonly write: { readonly p50: number; readonly p99: number };
}

export interface ReportTiming {
  readonly events: number;
  readonly files: number;
  readonly duplicates: number;
  readonly runs: ReadonlyArray<{ readonly loadMs: number; readonly viewsMs: number; readonly parquetMs: number; readonly totalMs: number }>;
  readonly medianMs: { readonly load: number; readonly views: number; readonly parquet: number; readonly total: number };
}

export interface LakeSection {
  readonly setup: string;
  readonly options: Omit<LakeOptions, "log">;
  readonly lag: readonly LagStats[];
  readonly report: ReportTiming;
  readonly firstError?: string;
}

interface SandboxInfo {
  readonly cells: ReadonlyArray<{ readonly cellId: string; readonly cloud: Cloud; readonly url: string; readonly key: SigningKey }>;
  readonly lakeDir: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every line of every `.jsonl` file under `dir`, with the file's modification time. */
function landedEvents(dir: string): Array<{ event: ChangeEvent; landedAt: number }> {
  const out: Array<{ event: ChangeEvent; landedAt: number }> = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".jsonl")) {
        const landedAt = statSync(full).mtimeMs;
        for (const line of readFileSync(full, "utf8").trimEnd().split("\n")) out.push({ event: JSON.parse(line) as ChangeEvent, landedAt });
      }
    }
  };
  walk(dir);
  return out;
}

async function measureLag(options: LakeOptions): Promise<{ lag: LagStats[]; firstError?: string }> {
  const lakeDir = mkdtempSync(path.join(tmpdir(), "bench-lake-"));
  options.log(`lake: starting the sandbox with its lake pumps in a child process (lake in ${lakeDir})`);
  const child = await startNode<SandboxInfo>(tsxArgs("bench/sandbox-child.ts", `--lake-dir=${lakeDir}`));
  let firstError: string | undefined;
  try {
    const targets = TOPOLOGY.tenants.map((t) => ({ tenantId: t.tenantId, cell: child.result.cells.find((c) => c.cellId === t.cellId)! }));
    const written = new Map<string, number>(targets.map((t) => [t.tenantId, 0]));
    /** Event id -> when this client had the write's 201. */
    const acknowledged = new Map<string, number>();
    const writeMs = new Map<string, number[]>(targets.map((t) => [t.tenantId, []]));
    const errors = new Map<string, number>(targets.map((t) => [t.tenantId, 0]));
    const runId = Date.now().toString(36);
    const write = async (tenantId: string, cell: SandboxInfo["cells"][number], n: number) => {
      const recordId = `lag-${runId}-${n}`;
      const requestPath = `/api/tenants/${tenantId}/records/${recordId}`;
      const body = JSON.stringify({ data: { n, purpose: "lake lag benchmark" } });
      try {
        const sent = performance.now();
        const headers = await signatureHeaders(cell.key, { method: "PUT", path: requestPath, query: "", cellId: cell.cellId, tenantId, body: new TextEncoder().encode(body) });
        const response = await fetch(`${cell.url}${requestPath}`, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`PUT ${requestPath} answered ${response.status}`);
        acknowledged.set(changeEventId(tenantId, recordId, 1), Date.now());
        writeMs.get(tenantId)!.push(performance.now() - sent);
        written.set(tenantId, written.get(tenantId)! + 1);
      } catch (error) {
        firstError ??= error instanceof Error ? error.message : String(error);
        errors.set(tenantId, errors.get(tenantId)! + 1);
      }
    };
    options.log(`lake: ${options.ratePerTenant} writes/s per tenant for ${options.seconds} s (${targets.map((t) => `${t.tenantId} -> ${t.cell.cellId}`).join(", ")})`);
    const intervalMs = 1000 / options.ratePerTenant;
    const start = performance.now();
    const inFlight: Array<Promise<void>> = [];
    const total = Math.round(options.seconds * options.ratePerTenant);
    for (let n = 0; n < total; n++) {
      const due = start + n * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await pause(wait);
      for (const { tenantId, cell } of targets) inFlight.push(write(tenantId, cell, n));
    }
    await Promise.all(inFlight);

    options.log("lake: waiting for every write to land");
    const expected = [...written.values()].reduce((a, b) => a + b, 0);
    const deadline = Date.now() + 30_000;
    let landed = landedEvents(lakeDir).filter((l) => l.event.record_id.startsWith(`lag-${runId}-`));
    while (new Set(landed.map((l) => l.event.id)).size < expected && Date.now() < deadline) {
      await pause(250);
      landed = landedEvents(lakeDir).filter((l) => l.event.record_id.startsWith(`lag-${runId}-`));
    }
    const lag = targets.map(({ tenantId, cell }): LagStats => {
      const mine = landed.filter((l) => l.event.tenant_id === tenantId && acknowledged.has(l.event.id));
      // The first copy of each change counts (a redelivery is later by definition).
      const first = new Map<string, { landedAt: number; committedAt: number }>();
      for (const l of mine) {
        const seen = first.get(l.event.id);
        if (!seen || l.landedAt < seen.landedAt) first.set(l.event.id, { landedAt: l.landedAt, committedAt: Date.parse(l.event.committed_at) });
      }
      const samples = [...first.entries()].map(([id, f]) => f.landedAt - acknowledged.get(id)!);
      const fromStamp = [...first.values()].map((f) => f.landedAt - f.committedAt);
      return {
        cloud: cell.cloud,
        cellId: cell.cellId,
        tenantId,
        writes: written.get(tenantId)!,
        landed: first.size,
        errors: errors.get(tenantId)!,
        p50: percentile(samples, 50),
        p90: percentile(samples, 90),
        p99: percentile(samples, 99),
        max: Math.max(...samples),
        fromCommitStamp: { p50: percentile(fromStamp, 50), p99: percentile(fromStamp, 99) },
        write: { p50: percentile(writeMs.get(tenantId)!, 50), p99: percentile(writeMs.get(tenantId)!, 99) },
      };
    });
    return { lag, firstError };
  } finally {
    await child.stop();
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

/** Writes `count` synthetic events as lake files under `dir`: 200 files over both clouds, 2 % delivered twice. */
function writeSyntheticLake(dir: string, count: number): { files: number; duplicates: number } {
  const cells = [
    { cloud: "aws" as const, cellId: "alpha" },
    { cloud: "azure" as const, cellId: "beta" },
  ];
  const files = 200;
  const perFile = Math.ceil(count / files);
  const base = Date.parse("2026-11-20T00:00:00.000Z");
  const versions = new Map<string, number>();
  const deleted = new Set<string>();
  let duplicates = 0;
  let written = 0;
  let previous: string[] = [];
  for (let f = 0; f < files && written < count; f++) {
    const cell = cells[f % 2]!;
    const lines: string[] = [];
    for (let i = 0; i < perFile && written < count; i++) {
      // Every 50th line re-delivers a line of the previous file (at least once), the rest are new changes.
      if (i % 50 === 49 && previous.length > 0) {
        lines.push(previous[i % previous.length]!);
        duplicates++;
        written++;
        continue;
      }
      const tenant = `T-${(written % 100) + (cell.cloud === "aws" ? 100 : 200)}`;
      const record = `r${written % 1000}`;
      const key = `${tenant}/${record}`;
      const version = (versions.get(key) ?? 0) + 1;
      versions.set(key, version);
      const kind = version === 1 || deleted.has(key) ? "created" : written % 10 === 0 ? "deleted" : "replaced";
      if (kind === "deleted") deleted.add(key);
      else deleted.delete(key);
      const event: ChangeEvent = {
        v: CHANGE_EVENT_VERSION,
        id: changeEventId(tenant, record, version),
        tenant_id: tenant,
        record_id: record,
        version,
        kind,
        data: kind === "deleted" ? null : { n: written, label: `item ${written}`, tags: ["a", "b"] },
        committed_at: new Date(base + written * 50).toISOString(),
        cell_id: cell.cellId,
        cloud: cell.cloud,
      };
      lines.push(JSON.stringify(event));
      written++;
    }
    const day = new Date(base).toISOString().slice(0, 10);
    const folder = path.join(dir, cell.cellId, `cloud=${cell.cloud}`, `cell=${cell.cellId}`, `dt=${day}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `batch-${String(f).padStart(4, "0")}.jsonl`), `${lines.join("\n")}\n`);
    previous = lines;
  }
  return { files, duplicates };
}

async function measureReport(options: LakeOptions): Promise<ReportTiming> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-report-"));
  try {
    options.log(`lake: writing ${options.reportEvents} synthetic events`);
    const { files, duplicates } = writeSyntheticLake(path.join(dir, "lake"), options.reportEvents);
    const sources = [parseLakeSource(path.join(dir, "lake"))];
    const runs: Array<ReportTiming["runs"][number]> = [];
    for (let i = 0; i < options.reportRepeats; i++) {
      options.log(`lake: report run ${i + 1}/${options.reportRepeats}`);
      const t0 = performance.now();
      const db = await openLake(sources);
      const t1 = performance.now();
      try {
        await reportOf(db, sources);
        const t2 = performance.now();
        await db.writeParquet(path.join(dir, `out-${i}`));
        const t3 = performance.now();
        runs.push({ loadMs: t1 - t0, viewsMs: t2 - t1, parquetMs: t3 - t2, totalMs: t3 - t0 });
      } finally {
        db.close();
      }
    }
    return {
      events: options.reportEvents,
      files,
      duplicates,
      runs,
      medianMs: {
        load: median(runs.map((r) => r.loadMs)),
        views: median(runs.map((r) => r.viewsMs)),
        parquet: median(runs.map((r) => r.parquetMs)),
        total: median(runs.map((r) => r.totalMs)),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runLakeSection(options: LakeOptions): Promise<LakeSection> {
  const { lag, firstError } = await measureLag(options);
  const report = await measureReport(options);
  const { log: _log, ...rest } = options;
  return {
    setup: "startSandbox({ lakeDir }) in a child process (bench/sandbox-child.ts): TOPOLOGY's cells with their lake pumps; this process writes to the cells and reads the lake folder",
    options: rest,
    lag,
    report,
    ...(firstError ? { firstError } : {}),
  };
}

export function formatLakeSection(section: LakeSection): { table: string; summary: string[] } {
  const table = formatTable<LagStats>(
    [
      { header: "tenant -> cell", value: (r) => `${r.tenantId} -> ${r.cellId} (${r.cloud})`, align: "left" },
      { header: "writes", value: (r) => r.writes },
      { header: "landed", value: (r) => r.landed },
      { header: "errors", value: (r) => r.errors },
      { header: "lag p50 ms", value: (r) => round(r.p50, 0) },
      { header: "p90 ms", value: (r) => round(r.p90, 0) },
      { header: "p99 ms", value: (r) => round(r.p99, 0) },
      { header: "max ms", value: (r) => round(r.max, 0) },
      { header: "from committed_at p50/p99", value: (r) => `${round(r.fromCommitStamp.p50, 0)}/${round(r.fromCommitStamp.p99, 0)}`, align: "right" },
      { header: "write p50/p99 ms", value: (r) => `${round(r.write.p50, 0)}/${round(r.write.p99, 0)}`, align: "right" },
    ],
    section.lag,
  );
  const r = section.report;
  const o = section.options;
  return {
    table,
    summary: [
      `lag = lake file's mtime - the moment the client had the write's 201 (first copy of each change); "from committed_at" adds the write's own time in the cell. ${o.ratePerTenant} writes/s per tenant for ${o.seconds} s, written straight to the cells (signed, concurrently); the sandbox's pumps poll every 250 ms.`,
      `report over ${r.events} synthetic events (${r.files} files, both clouds, ${r.duplicates} duplicate deliveries): median ${round(r.medianMs.total, 0)} ms = read into DuckDB ${round(r.medianMs.load, 0)} ms + standard views ${round(r.medianMs.views, 0)} ms + Parquet ${round(r.medianMs.parquet, 0)} ms (${r.runs.length} runs).`,
      ...(section.firstError ? [`first failed write: ${section.firstError}`] : []),
    ],
  };
}
