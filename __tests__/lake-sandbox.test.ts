import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AdminClient, type AdminTarget } from "../control/admin-client";
import { openLake, type LakeDb } from "../control/report/lake-db";
import { SANDBOX_LAKE_DIR as REPORT_DEFAULT_LAKE, parseLakeSource } from "../control/report/lake-sources";
import { runReport } from "../control/report/report";
import type { ChangeEvent } from "../contract";
import { SANDBOX_LAKE_DIR } from "../sandbox/lake/local-lake";
import { startSandbox, type Sandbox, type SandboxCell } from "../sandbox/sandbox";
import { TOPOLOGY } from "../topology";
import { signed } from "./support/signing";

/**
 * The reporting lake end to end, as `npm start` runs it: the deployed topology (alpha on AWS, beta on
 * Azure) with the lake pumps landing every cell's change stream in a folder, then the report's DuckDB
 * views over both clouds' files. Writes go to the tenant's cell signed exactly as the router signs
 * them (the router's own path is the end-to-end suite's subject; the lake starts at the cell).
 */

const TENANTS = [
  { tenantId: "T-100", cellId: "alpha" },
  { tenantId: "T-200", cellId: "beta" },
  { tenantId: "T-300", cellId: "alpha" },
  { tenantId: "T-400", cellId: "beta" },
] as const;

let sandbox: Sandbox;
let lakeDir: string;
const lake = () => sandbox.lake!;

beforeAll(async () => {
  lakeDir = mkdtempSync(path.join(tmpdir(), "lake-"));
  sandbox = await startSandbox({
    routerPort: 0,
    dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT,
    topology: { cells: TOPOLOGY.cells, tenants: TENANTS },
    lakeDir,
  });
});

afterAll(async () => {
  await sandbox?.close();
  if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
});

/** Which cell serves each tenant now (a move changes it). */
const placement: Record<string, string> = Object.fromEntries(TENANTS.map((t) => [t.tenantId, t.cellId]));

/** A record request to the tenant's cell, signed as the router signs it; throws unless it succeeds. */
async function call(method: string, tenantId: string, recordId: string, body?: unknown): Promise<any> {
  const cell = sandbox.cells[placement[tenantId]!]!;
  const path = `/api/tenants/${tenantId}/records/${recordId}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const request = await signed({ method, path, headers: text === undefined ? {} : { "content-type": "application/json" }, body: text }, { tenantId, cellId: cell.cellId, key: cell.key });
  const response = await fetch(`${cell.url}${path}`, { method, headers: request.headers, body: text, signal: AbortSignal.timeout(10_000) });
  const answer = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${path} on ${cell.cellId}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}
const put = (tenantId: string, recordId: string, data: object, expectedVersion?: number) =>
  call("PUT", tenantId, recordId, expectedVersion === undefined ? { data } : { data, expected_version: expectedVersion });
const del = (tenantId: string, recordId: string) => call("DELETE", tenantId, recordId);

/** The lake as the report reads it. */
async function withLake<T>(fn: (db: LakeDb) => Promise<T>): Promise<T> {
  const db = await openLake([parseLakeSource(lakeDir)]);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
const eventsOf = (db: LakeDb, tenantId: string, recordId: string) =>
  db.rows<{ version: number; kind: string; cloud: string; cell_id: string }>(
    `SELECT version::INTEGER AS version, kind, cloud, cell_id FROM events WHERE tenant_id = '${tenantId}' AND record_id = '${recordId}' ORDER BY version`,
  );
/** Every line of every file under the lake folder. */
function lakeLines(): Array<ChangeEvent & { file: string }> {
  const out: Array<ChangeEvent & { file: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".jsonl")) out.push(...readFileSync(full, "utf8").trimEnd().split("\n").map((l) => ({ ...(JSON.parse(l) as ChangeEvent), file: path.relative(lakeDir, full) })));
    }
  };
  walk(lakeDir);
  return out;
}

test("npm start's lake folder is the one npm run report reads by default", () => {
  expect(SANDBOX_LAKE_DIR).toBe(REPORT_DEFAULT_LAKE);
});

test("writes on both clouds land in each cell's own zone, and the report shows both tenants, both clouds and the latest state", async () => {
  await put("T-100", "hello", { msg: "hi from aws" });
  await put("T-200", "hello", { msg: "hi from azure" });
  await lake().caughtUp();

  const files = lakeLines();
  expect(files.filter((l) => l.tenant_id === "T-100").map((l) => l.file.split(path.sep).slice(0, 3).join("/"))).toEqual(["alpha/cloud=aws/cell=alpha"]);
  expect(files.filter((l) => l.tenant_id === "T-200").map((l) => l.file.split(path.sep).slice(0, 3).join("/"))).toEqual(["beta/cloud=azure/cell=beta"]);

  const report = await runReport({ sources: [parseLakeSource(lakeDir)], outDir: path.join(lakeDir, "..", `${path.basename(lakeDir)}-report`) });
  expect(report.tenants).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ tenant_id: "T-100", cloud: "aws", records: 1, writes: 1 }),
      expect.objectContaining({ tenant_id: "T-200", cloud: "azure", records: 1, writes: 1 }),
    ]),
  );
  expect(report.latest).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ tenant_id: "T-100", record_id: "hello", version: 1, cloud: "aws", cell_id: "alpha", data: { msg: "hi from aws" } }),
      expect.objectContaining({ tenant_id: "T-200", record_id: "hello", version: 1, cloud: "azure", cell_id: "beta", data: { msg: "hi from azure" } }),
    ]),
  );
  // The Parquet files hold the same rows.
  const fromParquet = await withLake((db) => db.rows<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM read_parquet('${report.parquet!.latest}') WHERE record_id = 'hello'`));
  expect(fromParquet).toEqual([{ n: 2 }]);
  rmSync(path.dirname(report.parquet!.latest), { recursive: true, force: true });
});

test("a delete takes the record out of the latest state and stays in its history, on both clouds", async () => {
  await Promise.all(
    ["T-100", "T-200"].map(async (tenantId) => {
      await put(tenantId, "doomed", { step: 1 });
      await put(tenantId, "doomed", { step: 2 }, 1);
      await del(tenantId, "doomed");
    }),
  );
  await lake().caughtUp();
  await withLake(async (db) => {
    for (const tenantId of ["T-100", "T-200"]) {
      expect((await eventsOf(db, tenantId, "doomed")).map((e) => [e.version, e.kind])).toEqual([
        [1, "created"],
        [2, "replaced"],
        [3, "deleted"],
      ]);
    }
    expect(await db.rows(`SELECT * FROM latest WHERE record_id = 'doomed'`)).toEqual([]);
  });
});

test("at least once: a consumer that lost its checkpoint lands everything again, and the views count each change once", async () => {
  await lake().caughtUp();
  const before = await withLake(async (db) => ({ counts: db.counts, latest: await db.rows("SELECT tenant_id, record_id, version FROM latest ORDER BY ALL") }));
  await lake().rewind();
  await lake().caughtUp();
  await withLake(async (db) => {
    expect(db.counts.lines).toBe(2 * before.counts.lines);
    expect(db.counts.events).toBe(before.counts.events);
    expect(await db.rows("SELECT tenant_id, record_id, version FROM latest ORDER BY ALL")).toEqual(before.latest);
    expect(await db.rows("SELECT id FROM events GROUP BY id HAVING count(*) > 1")).toEqual([]);
  });
});

test("a consumer that was down delivers its backlog when it returns", async () => {
  await lake().stop("alpha");
  await lake().stop("beta");
  await Promise.all([1, 2, 3].flatMap((i) => [put("T-100", `backlog-${i}`, { i }), put("T-200", `backlog-${i}`, { i })]));
  expect([lake().running("alpha"), lake().running("beta")]).toEqual([false, false]);
  expect(lakeLines().filter((l) => l.record_id.startsWith("backlog-"))).toEqual([]);

  lake().start();
  await lake().caughtUp();
  const landed = await withLake((db) =>
    db.rows<{ tenant_id: string; cloud: string; n: number }>("SELECT tenant_id, cloud, count(*)::INTEGER AS n FROM events WHERE record_id LIKE 'backlog-%' GROUP BY ALL ORDER BY ALL"),
  );
  expect(landed).toEqual([
    { tenant_id: "T-100", cloud: "aws", n: 3 },
    { tenant_id: "T-200", cloud: "azure", n: 3 },
  ]);
});

describe("a tenant moved from AWS to Azure by hand through the admin API", () => {
  const admin = (cell: SandboxCell): AdminClient => new AdminClient({ cellId: cell.cellId, url: cell.url, key: cell.adminKey } satisfies AdminTarget);

  test("has one continuous history in the lake: the source's events, then the target's, versions in order", async () => {
    const { alpha, beta } = sandbox.cells as Record<string, SandboxCell>;
    await put("T-300", "doc", { rev: 1 });
    await put("T-300", "doc", { rev: 2 }, 1);
    await put("T-300", "gone", { rev: 1 });
    await del("T-300", "gone");

    // The move: target importing at epoch 2, copy, fence the source, activate the target, source moved.
    const source = admin(alpha!);
    const target = admin(beta!);
    await target.setOwnership("T-300", { epoch: 2, state: "importing", expected: null });
    for (let cursor: string | undefined; ; ) {
      const page = await source.exportPage("T-300", { cursor });
      if (page.items.length > 0) await target.importPage("T-300", page.items);
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    await source.setOwnership("T-300", { epoch: 2, state: "fenced", expected: { epoch: 1, state: "active" } });
    await target.setOwnership("T-300", { epoch: 2, state: "active", expected: { epoch: 2, state: "importing" } });
    await source.setOwnership("T-300", { epoch: 2, state: "moved", movedTo: { cellId: "beta", epoch: 2 }, expected: { epoch: 2, state: "fenced" } });

    // The source refuses the tenant now; the target takes the next write.
    await expect(put("T-300", "doc", { rev: 3 }, 2)).rejects.toThrow(/409/);
    placement["T-300"] = "beta";
    await put("T-300", "doc", { rev: 3 }, 2);
    await lake().caughtUp();

    await withLake(async (db) => {
      expect(await eventsOf(db, "T-300", "doc")).toEqual([
        { version: 1, kind: "created", cloud: "aws", cell_id: "alpha" },
        { version: 2, kind: "replaced", cloud: "aws", cell_id: "alpha" },
        { version: 3, kind: "replaced", cloud: "azure", cell_id: "beta" },
      ]);
      const latest = await db.rows("SELECT record_id, version::INTEGER AS version, cloud FROM latest WHERE tenant_id = 'T-300' ORDER BY record_id");
      expect(latest).toEqual([{ record_id: "doc", version: 3, cloud: "azure" }]);
    });
    // The import wrote no change events: each change came once, from the cell that committed it.
    expect(lakeLines().filter((l) => l.tenant_id === "T-300" && l.cell_id === "beta").map((l) => l.id)).toEqual(["T-300/doc/3"]);
  });
});

test("nothing from one tenant appears under another", async () => {
  // Same record ids on two tenants of each cell, each write carrying its tenant in its data.
  await Promise.all(TENANTS.filter((t) => t.tenantId !== "T-300").map(({ tenantId }) => put(tenantId, "shared-id", { owner: tenantId })));
  await lake().caughtUp();
  await withLake(async (db) => {
    expect(await db.rows("SELECT id, tenant_id FROM events WHERE json_extract_string(data, '$.owner') IS NOT NULL AND json_extract_string(data, '$.owner') <> tenant_id")).toEqual([]);
    expect(await db.rows("SELECT id FROM events WHERE id <> tenant_id || '/' || record_id || '/' || version")).toEqual([]);
    const shared = await db.rows<{ tenant_id: string; owner: string; cloud: string }>(
      "SELECT tenant_id, json_extract_string(data, '$.owner') AS owner, cloud FROM latest WHERE record_id = 'shared-id' ORDER BY tenant_id",
    );
    expect(shared).toEqual([
      { tenant_id: "T-100", owner: "T-100", cloud: "aws" },
      { tenant_id: "T-200", owner: "T-200", cloud: "azure" },
      { tenant_id: "T-400", owner: "T-400", cloud: "azure" },
    ]);
  });
  // Each cell's zone holds only its own cell's events.
  for (const line of lakeLines()) expect(line.file.split(path.sep)[0]).toBe(line.cell_id);
});
