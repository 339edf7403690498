import { randomBytes } from "node:crypto";
import type { Logger } from "../cells/core";
import type { CellPlacement, Cloud, SigningKey } from "../contract";
import { AdminClient } from "../control/admin-client";
import type { Connection } from "../control/connection";
import { REGISTRY_BINDING } from "../router/bindings";
import { TOPOLOGY, type Topology } from "../topology";
import { loadTopology } from "../topology-schema";
import { closeInReverse } from "./close-in-reverse";
import { startDynamoDbLocal } from "./emulators/dynamodb-local";
import { startLocalLake, type LocalLake } from "./lake/local-lake";
import { DEFAULT_STORE_TIMEOUT_MS, localStandbyTiming, startLocalStandby, type LocalStandby, type LocalStandbyTiming } from "./standby/local-standby";
import type { Faults, FaultProxy } from "./fault-proxy";
import { startLocalCell, type LocalCell } from "./local-cells";
import { startLocalIssuer } from "./issuer";
import { sandboxControlRoutes } from "./control-routes";
import { startRegistryServer, type KvNamespaceLike } from "./registry-server";
import { localRouterSettings, startLocalRouter } from "./router";
import { sandboxAuthOf, type SandboxAuth } from "./sandbox-auth";

/**
 * The whole system on one machine: every cell of a topology with its own store (behind a fault
 * proxy) and its real composition root behind a loopback stand-in for its platform, and the bundled
 * edge router in workerd in front of them, its registry seeded with the contract's builder and each
 * seeded tenant's ownership written to its cell through the admin API. `npm start` runs it, the
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
  /** How long the router's open circuit breaker sheds a cell's requests before a probe, ms. @default the Worker's default (10 s) */
  readonly breakerCooldownMs?: number;
  /**
   * A running DynamoDB Local for the AWS cells' tables (the tests share one per run).
   * @default - the sandbox starts its own (one JVM) when the topology has an AWS cell
   */
  readonly dynamodbEndpoint?: string;
  /**
   * Budget of one store call, ms, in every cell or per cell id (short in tests that freeze a store).
   * @default the cells' own
   */
  readonly storeTimeoutMs?: number | Readonly<Record<string, number>>;
  /** Receives the cells' and the router's log lines (JSON, one object per line). @default dropped */
  readonly log?: (line: string) => void;
  /**
   * Client authentication at the router: a local token issuer with fresh keys, and a token per
   * seeded tenant (`Sandbox.auth`). `false` runs the router with `AUTH_MODE=none`.
   * @default true
   */
  readonly auth?: boolean;
  /**
   * Runs the reporting lake's consumers: one pump per cell landing its change stream in
   * `<lakeDir>/<cellId>` (emptied first), which `npm run report` reads. `npm start` uses `.sandbox/lake`.
   * @default - no lake pumps
   */
  readonly lakeDir?: string;
  /**
   * Runs the standby replication consumers (one per cell, the deployed consumers' code on the
   * emulators' streams and a sweep loop): `true` with the sandbox's timing, or some of it changed.
   * `npm start` runs them.
   * @default - no replication consumers (a standby set up with `cellctl standby` is never confirmed)
   */
  readonly standby?: boolean | Partial<LocalStandbyTiming>;
}

/** One running cell, as a client of the sandbox sees it. */
export interface SandboxCell {
  readonly cellId: string;
  readonly cloud: Cloud;
  /** The cell's own endpoint, `http://127.0.0.1:<port>`: what its registry entry points at. It accepts signed requests only. */
  readonly url: string;
  /** The key the router signs with (fresh for every sandbox), so a test can sign requests as the router does. */
  readonly key: SigningKey;
  /** The cell's admin key (fresh for every sandbox), as `cellctl` uses it. */
  readonly adminKey: SigningKey;
  /** False between `stopCell` and `startCell`. */
  readonly running: boolean;
  /** The fault proxy in front of the cell's store. */
  readonly storeProxy: FaultProxy;
}

/** A running sandbox. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: send tenant requests here. */
  readonly routerUrl: string;
  /** Cell id -> cell. */
  readonly cells: Readonly<Record<string, SandboxCell>>;
  /** The router's Workers KV namespace (the registry), for tests that change placements directly. */
  readonly registry: KvNamespaceLike;
  /** What `cellctl` needs to operate this sandbox; `npm start` writes it to `.sandbox/connection.json`. */
  readonly connection: Connection;
  /** The token issuer the router trusts and a ready token per seeded tenant; undefined when the sandbox runs without auth. */
  readonly auth: SandboxAuth | undefined;
  /** The lake pumps (stop, start, rewind, wait until caught up), when started with `lakeDir`. */
  readonly lake: LocalLake | undefined;
  /** The standby replication consumers, when started with `standby`. */
  readonly standby: LocalStandby | undefined;
  /**
   * Takes a cell's compute down, as an outage would: its port refuses connections and open ones are
   * cut. With `store: true` its store becomes unreachable too (the fault proxy refuses), as in a
   * whole-region outage; the store keeps its data either way. The cell's standby replication consumer
   * stops with it (it runs in the cell's cloud). Does nothing when the cell is stopped
   * already; throws for a cell the topology does not have, or once the sandbox is closed.
   */
  stopCell(cellId: string, options?: { readonly store?: boolean }): Promise<void>;
  /** Brings a stopped cell (and its store, and its replication consumer) back on the same ports, so its registry entry is right again. Throws once the sandbox is closed. */
  startCell(cellId: string): Promise<void>;
  /** Injects faults between a cell and its store (`{}` clears them). */
  setStoreFaults(cellId: string, faults: Faults): Promise<void>;
  /** Stops the router, then every cell with its store, last started first. Safe to call twice. */
  close(): Promise<void>;
}

/** The port `npm start` and the docs use: Wrangler's default, so the URL looks familiar. */
export const DEFAULT_ROUTER_PORT = 8787;

/** A fresh per-run signing key: 32 random bytes as hex, under the key id the deployed cell uses (`<cellId>-v1`). */
export const freshSigningKey = (cellId: string): SigningKey => ({ keyId: `${cellId}-v1`, secret: randomBytes(32).toString("hex") });

/** A fresh per-run admin key, under the key id the deployed cell uses (`<cellId>-admin-v1`). */
export const freshAdminKey = (cellId: string): SigningKey => ({ keyId: `${cellId}-admin-v1`, secret: randomBytes(32).toString("hex") });

/** A cell's log: JSON lines tagged with the cell, to `log`; nowhere without one. */
function cellLogger(cellId: string, log: ((line: string) => void) | undefined): Logger {
  return { log: (entry) => log?.(JSON.stringify({ time: new Date().toISOString(), cellId, ...entry })) };
}

/**
 * Starts every cell of the topology (each with its own store), then the router in front of them,
 * writes the registry and each seeded tenant's ownership (active at its epoch, on its cell). Throws
 * at once on a topology that fails the synth's check (`TopologyError`) or a router setting out of
 * range; if a part fails to start, what did start is stopped again before the error is thrown.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const topology = loadTopology(options.topology ?? TOPOLOGY); // the synth's own check: a bad topology fails here, before any emulator starts
  localRouterSettings({ cellTimeoutMs: options.cellTimeoutMs, registryCacheTtlMs: options.registryCacheTtlMs, breakerCooldownMs: options.breakerCooldownMs }); // a bad timeout fails here, before any emulator starts
  const closers: Array<() => unknown> = [];
  const cells = new Map<string, LocalCell>();
  try {
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (dynamodbEndpoint === undefined && topology.cells.some((c) => c.cloud === "aws")) {
      const db = await startDynamoDbLocal();
      closers.push(() => db.close());
      dynamodbEndpoint = db.endpoint;
    }
    for (const spec of topology.cells) {
      const cell = await startLocalCell(spec, {
        key: freshSigningKey(spec.cellId),
        adminKey: freshAdminKey(spec.cellId),
        logger: cellLogger(spec.cellId, options.log),
        dynamodbEndpoint: dynamodbEndpoint ?? "",
        storeTimeoutMs: typeof options.storeTimeoutMs === "number" ? options.storeTimeoutMs : options.storeTimeoutMs?.[spec.cellId],
      });
      closers.push(() => cell.close());
      cells.set(cell.cellId, cell);
    }
    const placements: CellPlacement[] = [...cells.values()].map((c) => ({ cellId: c.cellId, cloud: c.cloud, region: c.region, url: c.host.url }));
    const issuer = options.auth === false ? undefined : await startLocalIssuer();
    if (issuer) closers.push(() => issuer.close());
    const router = await startLocalRouter({
      port: options.routerPort ?? DEFAULT_ROUTER_PORT,
      cells: placements,
      tenants: topology.tenants,
      keys: Object.fromEntries([...cells.values()].map((c) => [c.cellId, c.key])),
      cellTimeoutMs: options.cellTimeoutMs,
      registryCacheTtlMs: options.registryCacheTtlMs,
      breakerCooldownMs: options.breakerCooldownMs,
      log: options.log,
      auth: issuer,
    });
    closers.push(() => router.close());
    for (const tenant of topology.tenants) {
      const cell = cells.get(tenant.cellId)!;
      await new AdminClient({ cellId: cell.cellId, url: cell.host.url, key: cell.adminKey }).setOwnership(tenant.tenantId, { epoch: tenant.epoch ?? 1, state: "active", expected: null });
    }
    let lake: LocalLake | undefined;
    if (options.lakeDir !== undefined) {
      const pumps = startLocalLake({ dir: options.lakeDir, cells: [...cells.values()], logger: (cellId) => cellLogger(cellId, options.log) });
      closers.push(() => pumps.close());
      lake = pumps;
    }
    let standby: LocalStandby | undefined;
    if (options.standby !== undefined && options.standby !== false) {
      // The guard covers the slowest cell's store budget (a cell given none has the cells' default).
      const budget = (cellId: string) => (typeof options.storeTimeoutMs === "number" ? options.storeTimeoutMs : options.storeTimeoutMs?.[cellId]) ?? DEFAULT_STORE_TIMEOUT_MS;
      const timing = { ...localStandbyTiming(Math.max(...[...cells.keys()].map(budget))), ...(options.standby === true ? {} : options.standby) };
      const consumers = startLocalStandby({ cells: [...cells.values()], logger: (cellId) => cellLogger(cellId, options.log), timing });
      closers.push(() => consumers.close());
      standby = consumers;
    }
    const registry = (await router.mf.getKVNamespace(REGISTRY_BINDING)) as unknown as KvNamespaceLike;
    // The control routes act on the sandbox this function returns (set once it exists).
    let self: Sandbox | undefined;
    const registryServer = await startRegistryServer(registry, {
      routes: sandboxControlRoutes({
        cellIds: [...cells.keys()],
        faultsOf: (cellId) => ({ faults: cells.get(cellId)!.storeProxy.faults, counts: cells.get(cellId)!.storeProxy.counts }),
        setStoreFaults: (cellId, faults) => cells.get(cellId)!.storeProxy.setFaults(faults),
        running: (cellId) => self?.cells[cellId]?.running ?? true,
        stopCell: (cellId, how) => self!.stopCell(cellId, how),
        startCell: (cellId) => self!.startCell(cellId),
      }),
    });
    closers.push(() => registryServer.close());
    const auth = issuer === undefined ? undefined : sandboxAuthOf(issuer, topology.tenants);
    const connection: Connection = {
      v: 1,
      kind: "sandbox",
      router: { url: router.url },
      registry: { kind: "sandbox", url: registryServer.url, token: registryServer.token },
      sandbox: { url: registryServer.url, token: registryServer.token },
      cells: Object.fromEntries([...cells.values()].map((c) => [c.cellId, { url: c.host.url, adminKey: c.adminKey }])),
      ...(auth ? { tokens: { ...auth.tokens } } : {}),
    };
    self = sandboxOf(router.url, cells, registry, connection, closers, auth, lake, standby);
    return self;
  } catch (error) {
    await closeInReverse(closers).catch(() => undefined);
    throw error;
  }
}

function sandboxOf(
  routerUrl: string,
  running: ReadonlyMap<string, LocalCell>,
  registry: KvNamespaceLike,
  connection: Connection,
  closers: Array<() => unknown>,
  auth: SandboxAuth | undefined,
  lake: LocalLake | undefined,
  standby: LocalStandby | undefined,
): Sandbox {
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
        adminKey: cell.adminKey,
        storeProxy: cell.storeProxy,
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
    registry,
    connection,
    auth,
    lake,
    standby,
    stopCell: async (cellId, stopOptions = {}) => {
      open(`stop cell '${cellId}'`);
      const cell = cellOf(cellId);
      await Promise.all([cell.host.stop(), standby?.stop(cellId)]);
      if (stopOptions.store) await cell.storeProxy.setFaults({ refuse: true });
    },
    startCell: async (cellId) => {
      open(`start cell '${cellId}'`);
      const cell = cellOf(cellId);
      if (cell.storeProxy.faults.refuse) await cell.storeProxy.setFaults({});
      await cell.host.start();
      standby?.start(cellId);
    },
    setStoreFaults: async (cellId, faults) => {
      open(`inject faults into cell '${cellId}'`);
      await cellOf(cellId).storeProxy.setFaults(faults);
    },
    close: () => (closing ??= closeInReverse(closers)),
  };
}
