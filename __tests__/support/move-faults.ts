import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Headers } from "../../contract";
import { runCellctl } from "../../control/cellctl";
import type { Io } from "../../control/cli/output";
import { writeConnection } from "../../control/connection";
import { ControlPlane } from "../../control/control-plane";
import { JournalStore, type MovePhase } from "../../control/moves/journal";
import { Mover, SimulatedCrash } from "../../control/moves/move";
import { startSandbox, type Sandbox } from "../../sandbox/sandbox";
import type { Topology } from "../../topology";

/**
 * The sandbox and helpers of the tests of moves that do not go to plan (`migration-crash.test.ts`,
 * `migration-abort.test.ts`, two files so the two sandboxes run side by side). After each move the
 * tests ask the same questions: every acknowledged write is where the tenant lives, exactly one cell
 * serves it, and the registry names that cell.
 */

export const tenantsOn = (cellId: string, ids: readonly string[]) => ids.map((tenantId) => ({ tenantId, cellId }));

/** Three cells (AWS alpha, Azure beta, AWS gamma) and the tenants a file names; beforeAll/afterAll are registered here. */
export function moveFaultsSandbox(tenants: Topology["tenants"]) {
  const topology: Topology = {
    cells: [
      { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
      { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
      { cloud: "aws", cellId: "gamma", region: "eu-west-1", wave: 1 },
    ],
    tenants,
  };
  let sandbox: Sandbox;
  let scratch: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ topology, routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 0 });
    scratch = mkdtempSync(path.join(tmpdir(), "move-faults-"));
  }, 60_000);

  afterAll(async () => {
    await sandbox?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** A controller: its own journal directory, as on its own machine; `crashAfter` kills it after that step. */
  function controller(name: string, crashAfter?: MovePhase): Mover {
    const afterStep = (phase: MovePhase) => {
      if (phase === crashAfter) throw new SimulatedCrash(`controller died after '${phase}'`);
    };
    return new Mover(new ControlPlane(sandbox.connection), new JournalStore(path.join(scratch, name)), { afterStep });
  }

  /** A client write through the router; the tenant's acknowledged writes are kept in `acked`. */
  async function write(tenantId: string, recordId: string, acked: Map<string, number>): Promise<Response> {
    const response = await fetch(`${sandbox.routerUrl}/api/tenants/${tenantId}/records/${recordId}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${sandbox.auth!.mint(tenantId)}` },
      body: JSON.stringify({ data: { recordId } }),
    });
    if (response.ok) acked.set(recordId, ((await response.clone().json()) as { version: number }).version);
    return response;
  }

  async function seed(tenantId: string, count: number): Promise<Map<string, number>> {
    const acked = new Map<string, number>();
    for (let i = 0; i < count; i++) expect((await write(tenantId, `r${i}`, acked)).status).toBe(201);
    return acked;
  }

  const controlPlane = () => new ControlPlane(sandbox.connection);
  const admin = (cellId: string) => controlPlane().admin(cellId);

  /** The tenant's items on a cell; none when the cell does not know the tenant at all. */
  async function itemsOn(cellId: string, tenantId: string) {
    const cell = await admin(cellId);
    return (await cell.ownership(tenantId)) === undefined ? [] : (await cell.exportPage(tenantId)).items;
  }

  /** Where the tenant is served: every cell's ownership state, the registry's cell, and whether all of `acked` is on the owner. */
  async function whereIs(tenantId: string, acked: Map<string, number>) {
    const states: Record<string, string> = {};
    for (const cellId of ["alpha", "beta", "gamma"]) states[cellId] = (await (await admin(cellId)).ownership(tenantId))?.state ?? "-";
    const active = Object.keys(states).filter((c) => states[c] === "active");
    const registry = (await controlPlane().registry.tenant(tenantId))?.cellId;
    const items = active.length === 1 ? await (await admin(active[0]!)).exportItems(tenantId, [...acked.keys()]) : [];
    const missing = [...acked].filter(([id, version]) => items.find((i) => i.record_id === id)?.version !== version).map(([id]) => id);
    return { active, registry, missing };
  }

  /** A write through the router after the fact must land on `cellId`. */
  async function servedBy(tenantId: string, acked: Map<string, number>, recordId = "after"): Promise<string | null> {
    const response = await write(tenantId, recordId, acked);
    expect(response.status).toBeLessThan(300);
    return response.headers.get(Headers.cellId);
  }

  /** Runs `cellctl` in-process against the sandbox, capturing its output. */
  async function cellctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const io = (json: boolean): Io => ({ out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), interactive: false, json });
    const code = await runCellctl(argv, { env: cliEnv(), cwd: scratch, io });
    return { code, out, err };
  }

  let written: string | undefined;
  /** What a `cellctl` process needs to find the sandbox: its connection file and a journal directory. */
  function cliEnv() {
    if (!written) writeConnection((written = path.join(scratch, "connection.json")), sandbox.connection);
    return { CELLCTL_CONNECTION: written, CELLCTL_JOURNAL_DIR: path.join(scratch, "cli") };
  }

  return { controller, write, seed, admin, controlPlane, itemsOn, whereIs, servedBy, cellctl, cliEnv, scratch: () => scratch };
}
