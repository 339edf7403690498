import { randomBytes } from "node:crypto";
import type { Logger } from "../cells/core";
import type { CellPlacement, Cloud, SigningKey } from "../contract";
import { TOPOLOGY, type Topology } from "../topology";
import { loadTopology } from "../topology-schema";
import { closeInReverse } from "./close-in-reverse";
import { startLocalCell, type LocalCell } from "./local-cells";
import { localRouterSettings, startLocalRouter } from "./router";

/**
 * The whole system on one machine: every cell of a topology with its own store emulator and its real
 * composition root behind a loopback stand-in for its platform, and the bundled edge router in
 * workerd in front of them, its registry seeded with the contract's builder. `npm start` runs it, the
 * end-to-end tests and the benchmark start it in-process.
 */

/** How to start the sandbox. */
export interface SandboxOptions {
  /** Which cells to run and which tenants they serve. @default TOPOLOGY, the topology `main.ts` deploys */
  readonly topology?: Topology;
  /** The router's port on 127.0.0.1; 0 picks a free port. @default 8787 */
  readonly routerPort?: number;
  /** How long the router waits for a cell before answering 504, ms. @default the Worker's default (10 s) */
  readonly cellTimeoutMs?: number;
  /** How long the router caches registry entries, ms. @default the Worker's default (10 s) */
  readonly registryCacheTtlMs?: number;
  /** Receives the cells' and the router's log lines (JSON, one object per line). @default dropped */
  readonly log?: (line: string) => void;
}

/** One running cell, as a client of the sandbox sees it. */
export interface SandboxCell {
  readonly cellId: string;
  readonly cloud: Cloud;
  /** The cell's own endpoint, `http://127.0.0.1:<port>`: what its registry entry points at. It accepts signed requests only. */
  readonly url: string;
  /** The key the cell verifies signatures with (fresh for every sandbox), so a test can sign requests as the router does. */
  readonly key: SigningKey;
  /** False between `stopCell` and `startCell`. */
  readonly running: boolean;
}

/** A running sandbox. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: send tenant requests here. */
  readonly routerUrl: string;
  /** Cell id -> cell. */
  readonly cells: Readonly<Record<string, SandboxCell>>;
  /**
   * Takes a cell's compute down, as an outage would: its port refuses connections and open ones are
   * cut. Its store keeps running and keeps its data. Does nothing when the cell is stopped already;
   * throws for a cell the topology does not have, or once the sandbox is closed.
   */
  stopCell(cellId: string): Promise<void>;
  /** Brings a stopped cell's compute back on the same port, so its registry entry is right again. Throws once the sandbox is closed. */
  startCell(cellId: string): Promise<void>;
  /** Stops the router, then every cell with its store, last started first. Safe to call twice. */
  close(): Promise<void>;
}

/** The port `npm start` and the docs use: Wrangler's default, so the URL looks familiar. */
export const DEFAULT_ROUTER_PORT = 8787;

/** A fresh per-run signing key: 32 random bytes as hex, under the key id the deployed cell uses (`<cellId>-v1`). */
export const freshSigningKey = (cellId: string): SigningKey => ({ keyId: `${cellId}-v1`, secret: randomBytes(32).toString("hex") });

/** A cell's log: JSON lines tagged with the cell, to `log`; nowhere without one. */
function cellLogger(cellId: string, log: ((line: string) => void) | undefined): Logger {
  return { log: (entry) => log?.(JSON.stringify({ time: new Date().toISOString(), cellId, ...entry })) };
}

/**
 * Starts every cell of the topology (each with its own store), then the router in front of them.
 * Throws at once on a topology that fails the synth's check (`TopologyError`) or a router setting out of range; if a part fails to start, what did start is
 * stopped again before the error is thrown.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const topology = loadTopology(options.topology ?? TOPOLOGY); // the synth's own check: a bad topology fails here, before any emulator starts
  localRouterSettings(options); // a bad timeout fails here, before any emulator starts
  const closers: Array<() => unknown> = [];
  const cells = new Map<string, LocalCell>();
  try {
    for (const spec of topology.cells) {
      const cell = await startLocalCell(spec, { key: freshSigningKey(spec.cellId), logger: cellLogger(spec.cellId, options.log) });
      closers.push(() => cell.close());
      cells.set(cell.cellId, cell);
    }
    const placements: CellPlacement[] = [...cells.values()].map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: c.region, url: c.host.url }));
    const router = await startLocalRouter({
      port: options.routerPort ?? DEFAULT_ROUTER_PORT,
      cells: placements,
      tenants: topology.tenants,
      keys: Object.fromEntries([...cells.values()].map((c) => [c.cellId, c.key])),
      cellTimeoutMs: options.cellTimeoutMs,
      registryCacheTtlMs: options.registryCacheTtlMs,
      log: options.log,
    });
    closers.push(() => router.close());
    return sandboxOf(router.url, cells, closers);
  } catch (error) {
    await closeInReverse(closers).catch(() => undefined);
    throw error;
  }
}

function sandboxOf(routerUrl: string, running: ReadonlyMap<string, LocalCell>, closers: Array<() => unknown>): Sandbox {
  const cellOf = (cellId: string): LocalCell => {
    const cell = running.get(cellId);
    if (!cell) throw new Error(`no cell '${cellId}' in this sandbox; cells: ${[...running.keys()].join(", ")}`);
    return cell;
  };
  const cells = Object.fromEntries(
    [...running.values()].map((cell): [string, SandboxCell] => [
      cell.cellId,
      {
        cellId: cell.cellId,
        cloud: cell.cloud,
        url: cell.host.url,
        key: cell.key,
        get running() {
          return cell.host.running;
        },
      },
    ]),
  );
  let closing: Promise<void> | undefined;
  const open = (what: string) => {
    if (closing) throw new Error(`cannot ${what}: the sandbox is closed`);
  };
  return {
    routerUrl,
    cells,
    stopCell: async (cellId) => {
      open(`stop cell '${cellId}'`);
      await cellOf(cellId).host.stop();
    },
    startCell: async (cellId) => {
      open(`start cell '${cellId}'`);
      await cellOf(cellId).host.start();
    },
    close: () => (closing ??= closeInReverse(closers)),
  };
}
