import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isCellId } from "../../contract";
import { emit, table, type Io } from "../cli/output";
import { moveProgress } from "../cli/progress";
import { CliError, ControlPlane, reasonOf } from "../control-plane";
import { JournalStore } from "../moves/journal";
import { Mover, type MoveHooks } from "../moves/move";
import { chooseCell, type CellLoad } from "../placement";
import { occupancy, surveyCells } from "./status";

/** Where an evacuation stands, per tenant; written after every tenant so a crash resumes it. */
interface EvacuationJournal {
  readonly v: 1;
  readonly cell: string;
  readonly to: string | null;
  readonly startedAt: string;
  tenants: Record<string, { status: "pending" | "done" | "failed"; target?: string; records?: number; pauseMs?: number; error?: string }>;
}

/**
 * `cellctl evacuate <cell> [--to <cell>] [--parallel N]`: moves every tenant off a cell. The cell is
 * drained first (no new tenant lands there), then its tenants move, N at a time, each to `--to` or to
 * the active cell with the lowest utilisation (counting the moves this evacuation already sent there).
 * Each tenant's move is journaled as a single move is; the evacuation's own journal lists the
 * tenants, so running the command again resumes what a crash interrupted and skips what is done.
 */
export async function evacuateCommand(
  plane: ControlPlane,
  io: Io,
  journals: JournalStore,
  journalRoot: string,
  cellId: string,
  options: { to?: string; parallel?: number },
  hooks: Omit<MoveHooks, "progress"> = {},
): Promise<number> {
  if (!isCellId(cellId)) throw new CliError(`cell id must be a cell id, got '${cellId}'`, 2);
  if (options.to !== undefined && (!isCellId(options.to) || options.to === cellId)) throw new CliError(`--to must be another cell's id, got '${options.to}'`, 2);
  const parallel = options.parallel ?? 2;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32) throw new CliError(`--parallel must be an integer from 1 to 32, got ${options.parallel}`, 2);

  const entry = await plane.registry.cell(cellId);
  if (!entry) throw new CliError(`cell '${cellId}' is not in the registry`);
  if (entry.status === "active") {
    await plane.registry.putCellStatus(entry, "draining");
    io.err(`${cellId}: drained (no new tenants; its tenants keep being served until they move)`);
  }

  const file = path.join(journalRoot, "evacuations", `${cellId}.json`);
  const journal: EvacuationJournal = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as EvacuationJournal)
    : { v: 1, cell: cellId, to: options.to ?? null, startedAt: new Date().toISOString(), tenants: {} };
  const save = () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, `${JSON.stringify(journal, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  };

  const { reports } = await surveyCells(plane);
  const source = reports.find((r) => r.entry.cellId === cellId);
  if (!source?.tenants) throw new CliError(`cell '${cellId}' could not be asked for its tenants: ${source?.error ?? "no answer"}`);
  for (const o of source.tenants) {
    if ((o.state === "active" || o.state === "fenced") && journal.tenants[o.tenantId]?.status !== "done") journal.tenants[o.tenantId] = { status: "pending" };
  }
  save();

  const loads = new Map<string, CellLoad>(reports.map((r) => [r.entry.cellId, { cell: r.entry, tenants: occupancy(r) ?? 0, capacity: r.capacity, reachable: r.health === "ok" }]));
  const queue = Object.keys(journal.tenants).filter((t) => journal.tenants[t]!.status !== "done").sort();
  io.err(`${cellId}: ${queue.length} tenants to move, ${parallel} at a time`);
  const progress = moveProgress(io);
  const mover = new Mover(plane, journals, { ...hooks, progress });

  const worker = async () => {
    for (let tenantId = queue.shift(); tenantId !== undefined; tenantId = queue.shift()) {
      const slot = journal.tenants[tenantId]!;
      try {
        const pending = journals.load(tenantId);
        let done;
        if (pending && pending.phase !== "done" && pending.phase !== "aborted") {
          done = await mover.resume(tenantId);
        } else {
          let target = options.to ?? journal.to ?? undefined;
          if (target === undefined) {
            const choice = chooseCell([...loads.values()], new Set([cellId]));
            if (!choice.ok) throw new CliError(choice.reason);
            target = choice.cellId;
          }
          const load = loads.get(target);
          if (load) loads.set(target, { ...load, tenants: load.tenants + 1 });
          done = await mover.start(tenantId, target);
        }
        Object.assign(slot, { status: "done", target: done.target, records: done.copied, pauseMs: done.pauseMs, error: undefined });
      } catch (error) {
        Object.assign(slot, { status: "failed", error: reasonOf(error) });
        io.err(`${tenantId}: ${reasonOf(error)}`);
      }
      save();
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    progress.stop();
  }

  const rows = Object.entries(journal.tenants)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([tenantId, t]) => ({ tenant_id: tenantId, status: t.status, to: t.target ?? null, records: t.records ?? null, write_pause_ms: t.pauseMs ?? null, error: t.error ?? null }));
  emit(io, { cell_id: cellId, tenants: rows }, (d) =>
    table(["TENANT", "STATUS", "TO", "RECORDS", "PAUSE", "ERROR"], d.tenants.map((r) => [r.tenant_id, r.status, r.to, r.records, r.write_pause_ms === null ? null : `${r.write_pause_ms} ms`, r.error])),
  );
  const failed = rows.filter((r) => r.status !== "done").length;
  if (failed > 0) io.err(`${failed} tenants did not move; run 'cellctl evacuate ${cellId}' again to retry them`);
  return failed > 0 ? 1 : 0;
}
