import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { tenantKey } from "../contract";
import { AdminClient } from "../control/admin-client";
import { runCellctl } from "../control/cellctl";
import type { Io } from "../control/cli/output";
import { SANDBOX_CONNECTION_FILE, writeConnection } from "../control/connection";
import { initCommand } from "../control/commands/place";
import { ControlPlane } from "../control/control-plane";
import { chooseCell, type CellLoad } from "../control/placement";
import { startSandbox, type Sandbox } from "../sandbox/sandbox";
import { runIn } from "./support/cellctl-runner";

/** `cellctl` against the running sandbox, as an operator would use it: real cells, real router, real registry endpoint. */

let sandbox: Sandbox;
let cwd: string;

beforeAll(async () => {
  sandbox = await startSandbox({ routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 0 });
  cwd = mkdtempSync(path.join(tmpdir(), "cellctl-"));
  writeConnection(path.join(cwd, SANDBOX_CONNECTION_FILE), sandbox.connection);
});

afterAll(async () => {
  await sandbox?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** Runs one command in-process and captures what it printed. */
const cellctl = (...argv: string[]) => runIn(cwd, argv);

/** A client write through the router, with a token the sandbox's issuer minted for the tenant. */
const write = async (tenantId: string, recordId: string) =>
  fetch(`${sandbox.routerUrl}/api/tenants/${tenantId}/records/${recordId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${await sandbox.auth!.mint(tenantId)}` },
    body: JSON.stringify({ data: { by: "cellctl test" } }),
  });

test("tenants lists T-100 on alpha and T-200 on beta, registry and cells agreeing", async () => {
  const { code, json, out } = await cellctl("--json", "tenants");
  expect(code).toBe(0);
  const byId = Object.fromEntries(json.tenants.map((t: any) => [t.tenant_id, t]));
  expect(byId["T-100"]).toEqual(expect.objectContaining({ registry: { cell_id: "alpha", epoch: 1, status: "active" }, owner: { cell_id: "alpha", epoch: 1, state: "active" }, flags: [] }));
  expect(byId["T-200"]).toEqual(expect.objectContaining({ registry: { cell_id: "beta", epoch: 1, status: "active" }, owner: { cell_id: "beta", epoch: 1, state: "active" }, flags: [] }));
  expect(out).not.toMatch(/TENANT/); // --json prints the document only
  expect((await cellctl("tenants")).out).toMatch(/^TENANT\s+REGISTRY\s+OWNER \(CELLS\)/);
});

test("cells shows each cell's health and load as the cell reports it", async () => {
  const { code, json } = await cellctl("--json", "cells");
  expect(code).toBe(0);
  expect(json.cells.map((c: any) => [c.cell_id, c.cloud, c.health, c.status])).toEqual([
    ["alpha", "aws", "ok", "active"],
    ["beta", "azure", "ok", "active"],
  ]);
  expect(json.cells.every((c: any) => c.tenants >= 1 && c.capacity === 100)).toBe(true);
});

test("place onboards a tenant on a cell that then serves it through the router; a second run changes nothing", async () => {
  const placed = await cellctl("--json", "place", "T-300");
  expect(placed.code).toBe(0);
  expect(placed.json).toEqual(expect.objectContaining({ tenant_id: "T-300", epoch: 1, changed: true }));
  expect((await write("T-300", "first")).status).toBe(201);
  const again = await cellctl("--json", "place", "T-300");
  expect(again.json).toEqual(expect.objectContaining({ cell_id: placed.json.cell_id, changed: false }));
  const other = placed.json.cell_id === "alpha" ? "beta" : "alpha";
  const refused = await cellctl("place", "T-300", "--cell", other);
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(new RegExp(`already on cell '${placed.json.cell_id}'.*cellctl move T-300 --to ${other}`));
});

test("init gives the topology's tenants their owners once, and leaves a tenant owned elsewhere where it is", async () => {
  // The sandbox placed T-100 and T-200 itself; T-INIT is new; T-100 is listed on beta, but alpha owns it.
  const tenants = [
    { tenantId: "T-200", cellId: "beta" },
    { tenantId: "T-INIT", cellId: "alpha" },
    { tenantId: "T-100", cellId: "beta" },
  ];
  const run = async () => {
    let out = "";
    const io: Io = { out: (t) => void (out += t), err: () => {}, interactive: false, json: true };
    expect(await initCommand(new ControlPlane(sandbox.connection), io, tenants)).toBe(0);
    return JSON.parse(out).tenants.map((r: any) => [r.tenant_id, r.cell_id, r.result]);
  };
  expect(await run()).toEqual([
    ["T-200", "beta", "already placed"],
    ["T-INIT", "alpha", "placed"],
    ["T-100", "alpha", "owned by alpha: left there"],
  ]);
  expect((await write("T-INIT", "first")).status).toBe(201);
  expect((await run()).map((r: string[]) => r[2])).toEqual(["already placed", "already placed", "owned by alpha: left there"]);
  // The command line runs the same with topology.ts's tenants.
  expect((await cellctl("init")).out).toMatch(/T-100 +alpha +alpha +1 +already placed/);
});

test("a drained cell is never chosen by place, and comes back with activate", async () => {
  expect((await cellctl("drain", "alpha")).out).toMatch(/alpha: active -> draining/);
  expect((await cellctl("drain", "alpha")).out).toMatch(/already draining; nothing to do/);
  for (const tenant of ["T-301", "T-302", "T-303"]) expect((await cellctl("--json", "place", tenant)).json.cell_id).toBe("beta");
  const refused = await cellctl("place", "T-304", "--cell", "alpha");
  expect({ code: refused.code, err: refused.err }).toEqual({ code: 1, err: expect.stringMatching(/alpha' is draining; 'cellctl activate alpha' first/) });
  expect((await cellctl("activate", "alpha")).code).toBe(0);
  expect((await cellctl("--json", "cells")).json.cells.find((c: any) => c.cell_id === "alpha").status).toBe("active");
});

test("a registry entry that disagrees with the cells is flagged", async () => {
  await sandbox.registry.put(tenantKey("T-200"), JSON.stringify({ v: 1, tenantId: "T-200", cellId: "alpha", status: "active", epoch: 1 }));
  try {
    const view = (await cellctl("--json", "tenants")).json.tenants.find((t: any) => t.tenant_id === "T-200");
    expect(view.flags).toEqual(["registry says alpha, cells say beta"]);
    expect((await cellctl("tenants", "--cell", "beta")).out).toMatch(/T-200 .*registry says alpha, cells say beta/);
  } finally {
    await sandbox.registry.put(tenantKey("T-200"), JSON.stringify({ v: 1, tenantId: "T-200", cellId: "beta", status: "active", epoch: 1 }));
  }
});

test("registry export and import round-trip the live registry; a broken backup is refused whole", async () => {
  const file = path.join(cwd, "backup.json");
  expect((await cellctl("registry", "export", "--out", file)).code).toBe(0);
  await sandbox.registry.delete(tenantKey("T-100"));
  const dry = await cellctl("registry", "import", file, "--dry-run");
  expect({ code: dry.code, out: dry.out }).toEqual({ code: 0, out: expect.stringMatching(/entries are valid; nothing written/) });
  expect(await sandbox.registry.get(tenantKey("T-100"), "text")).toBeNull();
  expect((await cellctl("registry", "import", file)).code).toBe(0);
  expect(JSON.parse((await sandbox.registry.get(tenantKey("T-100"), "text"))!).cellId).toBe("alpha");

  writeFileSync(file, JSON.stringify({ v: 1, entries: [{ key: "tenant:T-9", value: "{}" }] }));
  const bad = await cellctl("registry", "import", file);
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/was not imported; fix these first:\n\s+- tenant:T-9: tenant entry v must be 1/);
});

test("usage mistakes exit 2, failures exit 1 with one line saying what to do, never a stack trace", async () => {
  const badId = await cellctl("place", "not a tenant");
  expect({ code: badId.code, err: badId.err }).toEqual({ code: 2, err: expect.stringMatching(/tenant id must match/) });
  const unknownCell = await cellctl("drain", "gamma");
  expect({ code: unknownCell.code, err: unknownCell.err }).toEqual({ code: 1, err: expect.stringMatching(/cell 'gamma' is not in the registry; cells: alpha, beta/) });
  const noConnection = await runCellctl(["cells"], { env: {}, cwd: tmpdir(), io: (json) => ({ out: () => {}, err: (t) => void (noConnectionErr += t), interactive: false, json }) });
  expect(noConnection).toBe(1);
  expect(noConnectionErr).toMatch(/start the sandbox with 'npm start'/);
  for (const text of [badId.err, unknownCell.err, noConnectionErr]) expect(text).not.toMatch(/\n\s+at /);
});
let noConnectionErr = "";

test("sandbox fault slows and breaks a cell's store as its deep health then shows; clear heals it; mistakes name the allowed values", async () => {
  const alpha = sandbox.cells.alpha!;
  const health = () => new AdminClient({ cellId: "alpha", url: alpha.url, key: alpha.adminKey }).health(10);
  try {
    const slow = await cellctl("--json", "sandbox", "fault", "alpha", "--delay", "300");
    expect({ code: slow.code, faults: slow.json?.faults }).toEqual({ code: 0, faults: { delayMs: 300 } });
    const probe = (await health()).probe;
    expect(probe.ok).toBe(true);
    expect(probe.write_ms! + probe.read_ms!).toBeGreaterThanOrEqual(600); // each call waits behind the delay at least once
    expect((await cellctl("sandbox", "fault", "alpha", "--errors", "1")).out).toMatch(/alpha: store faults now errors 1/);
    expect((await health()).probe).toEqual(expect.objectContaining({ ok: false, error: expect.stringMatching(/StoreUnavailableError/) }));
    const listed = await cellctl("--json", "sandbox", "faults");
    expect(listed.json.cells.find((c: any) => c.cell_id === "alpha")).toEqual(expect.objectContaining({ faults: { errorRate: 1 }, counts: expect.objectContaining({ errors: expect.any(Number) }) }));
    expect(listed.json.cells.find((c: any) => c.cell_id === "alpha").counts.errors).toBeGreaterThan(0);
    const bad = await cellctl("sandbox", "fault", "alpha", "--errors", "3");
    expect({ code: bad.code, err: bad.err }).toEqual({ code: 2, err: expect.stringMatching(/--errors: must be a number from 0 to 1, got 3/) });
    expect((await cellctl("sandbox", "fault", "alpha")).code).toBe(2);
  } finally {
    expect((await cellctl("sandbox", "clear", "alpha")).out).toMatch(/alpha: store faults cleared/);
  }
  expect((await health()).probe.ok).toBe(true);
  const deployed = path.join(cwd, "deployed.json");
  writeConnection(deployed, { ...sandbox.connection, sandbox: undefined });
  let err = "";
  const notSandbox = await runCellctl(["sandbox", "faults"], { env: { CELLCTL_CONNECTION: deployed }, cwd, io: (json) => ({ out: () => {}, err: (t) => void (err += t), interactive: false, json }) });
  expect({ code: notSandbox, err }).toEqual({ code: 1, err: expect.stringMatching(/not a running sandbox/) });
});

test("npx cellctl runs the same CLI as a process", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.resolve(__dirname, "../control/bin/cellctl.cjs"), "--json", "cells"], { cwd });
  expect(JSON.parse(stdout).cells.map((c: any) => c.cell_id)).toEqual(["alpha", "beta"]);
});

describe("placement by capacity", () => {
  const load = (cellId: string, tenants: number, capacity = 10, extra: Partial<CellLoad> = {}): CellLoad => ({
    cell: { v: 1, cellId, cloud: "aws", region: "us-east-1", url: "https://x.example", status: "active" },
    tenants,
    capacity,
    reachable: true,
    ...extra,
  });

  test("the lowest utilisation wins; ties go to more room, then the lower cell id", () => {
    expect(chooseCell([load("alpha", 5), load("beta", 2)])).toEqual(expect.objectContaining({ ok: true, cellId: "beta" }));
    expect(chooseCell([load("beta", 1, 10), load("alpha", 2, 20)])).toEqual(expect.objectContaining({ cellId: "alpha" }));
    expect(chooseCell([load("beta", 1), load("alpha", 1)])).toEqual(expect.objectContaining({ cellId: "alpha" }));
  });

  test("draining, unreachable, full and excluded cells are never chosen; with none left the answer says why", () => {
    const loads = [load("alpha", 0, 10, { cell: { ...load("alpha", 0).cell, status: "draining" } }), load("beta", 0, 10, { reachable: false }), load("gamma", 10, 10), load("delta", 0)];
    expect(chooseCell(loads)).toEqual(expect.objectContaining({ ok: true, cellId: "delta" }));
    expect(chooseCell(loads, new Set(["delta"]))).toEqual({ ok: false, reason: "no cell can take a tenant (alpha: draining; beta: unreachable; gamma: full (10/10))" });
  });
});
