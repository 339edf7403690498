import { signatureHeaders, tenantMovedTarget, type Cloud, type ExportItem, type SigningKey } from "../contract";
import type { Connection } from "../control/connection";
import { ControlPlane } from "../control/control-plane";
import { JournalStore, type MovePhase } from "../control/moves/journal";
import { Mover } from "../control/moves/move";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startNode, tsxArgs } from "./child";
import { formatTable, round } from "./table";

/**
 * Section 6: live tenant moves (`cellctl move`), each direction, at a few tenant sizes.
 *
 * The sandbox runs in a child process (`bench/sandbox-child.ts`); this process is the controller (a
 * `Mover`, as `cellctl move` runs it) and one client. For each case a fresh tenant is seeded on the
 * source through the admin API (import, then active), then moved while the client writes to it
 * straight at its cell, signed as the router signs, about 50 times a second: on a 503 it retries
 * after 20 ms, on `tenant_moved` it follows to the new cell, as the router does. Reported: the
 * move's total time, the bulk copy's rate, the phase after it up to the fence (catch-up and the
 * pre-fence listings), the write pause the controller measured (fence to target active) and the one
 * the client saw (first to last 503), and that no acknowledged client write is missing afterwards.
 */

export interface MovesOptions {
  /** Tenant sizes (records) to move, each in both directions. */
  readonly sizes: readonly number[];
  readonly log: (line: string) => void;
}

export interface MoveRow {
  readonly from: string;
  readonly to: string;
  readonly direction: string;
  readonly records: number;
  readonly seedMs: number;
  readonly totalMs: number;
  readonly copyMs: number;
  readonly copyPerSecond: number;
  /** From the end of the bulk copy to the fence: the catch-up from the change stream and the listings. */
  readonly catchUpMs: number;
  /** Fence to target active, as the controller measured it. */
  readonly pauseMs: number;
  /** First to last 503 the client got; 0 when it never waited. */
  readonly clientPauseMs: number;
  readonly clientWrites: number;
  readonly client503s: number;
  /** Acknowledged client writes not on the target afterwards (must be 0). */
  readonly lost: number;
}

export interface MovesSection {
  readonly setup: string;
  readonly sizes: readonly number[];
  readonly rows: readonly MoveRow[];
}

interface SandboxInfo {
  readonly cells: ReadonlyArray<{ readonly cellId: string; readonly cloud: Cloud; readonly url: string; readonly key: SigningKey }>;
  readonly connection: Connection;
}

const SEED_PAGE = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seeds `tenantId` on `cellId` with `count` records through the admin API (importing, import pages, active). */
async function seedTenant(plane: ControlPlane, cellId: string, tenantId: string, count: number): Promise<void> {
  const cell = await plane.admin(cellId);
  await cell.setOwnership(tenantId, { epoch: 1, state: "importing", expected: null });
  const now = new Date().toISOString();
  for (let i = 0; i < count; i += SEED_PAGE) {
    const items: ExportItem[] = [];
    for (let n = i; n < Math.min(count, i + SEED_PAGE); n++) {
      items.push({ record_id: `r${String(n).padStart(6, "0")}`, version: 1, deleted: false, data: { n, note: "seeded for the move benchmark", tags: ["a", "b", "c"] }, created_at: now, updated_at: now, committed_by: cellId });
    }
    await cell.importPage(tenantId, items);
  }
  await cell.setOwnership(tenantId, { epoch: 1, state: "active", expected: { epoch: 1, state: "importing" } });
  const entry = (await plane.registry.cell(cellId))!;
  await plane.registry.putTenant({ tenantId, cellId, status: "active", epoch: 1 }, entry);
}

/** A client writing new records to the tenant at its cell until `until()`, following `tenant_moved`. */
async function clientLoad(info: SandboxInfo, tenantId: string, from: string, until: () => boolean) {
  const cells = new Map(info.cells.map((c) => [c.cellId, c]));
  let cell = cells.get(from)!;
  const acked: string[] = [];
  const unavailable: number[] = [];
  let writes = 0;
  for (let n = 0; !until(); n++) {
    const recordId = `w${n}`;
    const requestPath = `/api/tenants/${tenantId}/records/${recordId}`;
    const body = JSON.stringify({ data: { n } });
    for (;;) {
      const headers = await signatureHeaders(cell.key, { method: "PUT", path: requestPath, query: "", cellId: cell.cellId, tenantId, body: new TextEncoder().encode(body) });
      const response = await fetch(`${cell.url}${requestPath}`, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body });
      const answer: unknown = await response.json();
      writes++;
      if (response.status === 201) {
        acked.push(recordId);
        break;
      }
      if (response.status === 503) {
        unavailable.push(Date.now());
        await sleep(20);
        continue;
      }
      const moved = response.status === 409 ? tenantMovedTarget(answer) : undefined;
      if (moved && cells.has(moved.cell)) {
        cell = cells.get(moved.cell)!;
        continue;
      }
      throw new Error(`client write ${requestPath} to ${cell.cellId} answered ${response.status}: ${JSON.stringify(answer)}`);
    }
    await sleep(20);
  }
  return { acked, unavailable, writes };
}

async function measureMove(info: SandboxInfo, from: string, to: string, records: number, journals: JournalStore, log: (line: string) => void): Promise<MoveRow> {
  const plane = new ControlPlane(info.connection);
  const tenantId = `B-MOVE-${from}-${records}-${Date.now().toString(36)}`;
  const seedStart = performance.now();
  await seedTenant(plane, from, tenantId, records);
  const seedMs = performance.now() - seedStart;
  log(`moves: ${tenantId}: ${records} records seeded on ${from} in ${round(seedMs / 1000, 1)} s; moving to ${to}`);

  const at = new Map<MovePhase, number>();
  const mover = new Mover(plane, journals, { afterStep: (phase) => void at.set(phase, performance.now()) });
  let stop = false;
  const load = clientLoad(info, tenantId, from, () => stop);
  await sleep(200);
  const started = performance.now();
  const journal = await mover.start(tenantId, to);
  const totalMs = performance.now() - started;
  await sleep(200);
  stop = true;
  const client = await load;

  const target = await plane.admin(to);
  const found = new Set<string>();
  for (let i = 0; i < client.acked.length; i += 50) for (const item of await target.exportItems(tenantId, client.acked.slice(i, i + 50))) found.add(item.record_id);
  const copyMs = at.get("copied")! - at.get("prepared")!;
  // As an operator would ('cellctl purge'): the source's copy goes, so the next section's seed does not
  // land in an emulator container this tenant still fills (cosmosdb-server slows down as it grows).
  const source = await plane.admin(from);
  while ((await source.purge(tenantId)).more);
  return {
    from,
    to,
    direction: `${from} -> ${to}`,
    records,
    seedMs,
    totalMs,
    copyMs,
    copyPerSecond: records / (copyMs / 1000),
    catchUpMs: at.get("fenced")! - at.get("copied")!,
    pauseMs: journal.pauseMs ?? Number.NaN,
    clientPauseMs: client.unavailable.length > 0 ? Math.max(...client.unavailable) - Math.min(...client.unavailable) : 0,
    clientWrites: client.writes,
    client503s: client.unavailable.length,
    lost: client.acked.filter((id) => !found.has(id)).length,
  };
}

export async function runMovesSection(options: MovesOptions): Promise<MovesSection> {
  options.log("moves: starting the sandbox in a child process");
  const child = await startNode<SandboxInfo>(tsxArgs("bench/sandbox-child.ts"));
  const journalDir = mkdtempSync(path.join(tmpdir(), "bench-moves-"));
  try {
    const journals = new JournalStore(journalDir);
    const [aws, azure] = [child.result.cells.find((c) => c.cloud === "aws")!.cellId, child.result.cells.find((c) => c.cloud === "azure")!.cellId];
    const rows: MoveRow[] = [];
    for (const records of options.sizes) {
      // Azure first: the Azure cell is seeded before the AWS tenant of the same size lands on it.
      for (const [from, to] of [
        [azure, aws],
        [aws, azure],
      ] as const) {
        rows.push(await measureMove(child.result, from, to, records, journals, options.log));
      }
    }
    return {
      setup: "startSandbox() in a child process (bench/sandbox-child.ts); this process runs the Mover (as cellctl move does) and one client writing to the tenant straight at its cell, about 50 writes/s, following tenant_moved",
      sizes: options.sizes,
      rows,
    };
  } finally {
    await child.stop();
    rmSync(journalDir, { recursive: true, force: true });
  }
}

export function formatMovesSection(section: MovesSection): { table: string; summary: string[] } {
  const table = formatTable<MoveRow>(
    [
      { header: "direction", value: (r) => r.direction, align: "left" },
      { header: "records", value: (r) => r.records },
      { header: "move s", value: (r) => round(r.totalMs / 1000, 1) },
      { header: "copy s", value: (r) => round(r.copyMs / 1000, 1) },
      { header: "copy rec/s", value: (r) => round(r.copyPerSecond, 0) },
      { header: "catch-up ms", value: (r) => round(r.catchUpMs, 0) },
      { header: "pause ms", value: (r) => round(r.pauseMs, 0) },
      { header: "client 503 ms", value: (r) => round(r.clientPauseMs, 0) },
      { header: "client writes", value: (r) => r.clientWrites },
      { header: "lost", value: (r) => r.lost },
    ],
    section.rows,
  );
  const summary = [
    "move = Mover.start to done (prepare, bulk copy while the tenant keeps taking writes, catch-up from the change stream, pre-fence listings, fence, delta, verify, cut over).",
    "pause = fence to target active, as the controller measured it; client 503 ms = first to last 503 the writing client got (it retries every 20 ms). lost = acknowledged client writes missing on the target afterwards.",
  ];
  return { table, summary };
}
