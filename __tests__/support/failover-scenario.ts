import type { ChangeEvent } from "../../contract";
import { AdminClient } from "../../control/admin-client";
import type { Io } from "../../control/cli/output";
import { ControlPlane } from "../../control/control-plane";
import { changesSince } from "../../control/moves/copy";
import { failover } from "../../control/standby/failover";
import { reconcile, type ReconcileView } from "../../control/standby/reconcile";
import { setUpStandby } from "../../control/standby/setup";
import type { LocalRouter } from "../../sandbox/router";
import { startSandbox, type Sandbox } from "../../sandbox/sandbox";
import type { Topology } from "../../topology";
import { cellctlIn } from "./cellctl-runner";
import { startStaleRouter } from "./stale-router";
import { readerLoop, writerLoop, type Acked, type AckedWrite, type LoadCall, type LoadClient } from "./move-load";

/**
 * Cross-cloud standby and failover on the sandbox: real cells on DynamoDB Local and the Cosmos DB
 * emulator, the deployed replication consumers' code on the emulators' streams, the Worker in
 * workerd, two routers (one keeps its stale registry view the whole run).
 *
 * Under load, both directions: the primary's cell and store go down mid-write, `failover` promotes
 * the standby, the old cell comes back. Every write acknowledged before the standby's replication
 * point is on the new owner; every acknowledged write that is not is exactly what `reconcile` lists;
 * the old primary accepts nothing after the failover (its stale router meets a 503, then
 * tenant_moved); the bystander on the surviving cell sees no error. Then the operator's flow through
 * `cellctl`, as the README gives it.
 */

const TOPOLOGY: Topology = {
  cells: [
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
    { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
  ],
  tenants: [
    { tenantId: "T-FO-A", cellId: "alpha" },
    { tenantId: "T-FO-B", cellId: "beta" },
    { tenantId: "T-BY-A", cellId: "alpha" },
    { tenantId: "T-BY-B", cellId: "beta" },
  ],
};

let sandbox: Sandbox;
let stale: LocalRouter;
let plane: ControlPlane;
let client: LoadClient;
let operator: ReturnType<typeof cellctlIn>;
const quiet: Io = { out: () => undefined, err: () => undefined, interactive: false, json: true };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  sandbox = await startSandbox({
    topology: TOPOLOGY,
    routerPort: 0,
    dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT,
    registryCacheTtlMs: 500,
    breakerCooldownMs: 1_000,
    storeTimeoutMs: 1_500,
    standby: { sweepMs: 400, leaseMs: 3_000 },
  });
  stale = await startStaleRouter(sandbox, TOPOLOGY.tenants, { breakerCooldownMs: 1_000 });
  plane = new ControlPlane(sandbox.connection);
  client = { routers: { fresh: sandbox.routerUrl, stale: stale.url }, token: (t) => sandbox.auth!.mint(t) };
  operator = cellctlIn(sandbox.connection, "failover-");
}, 60_000);

afterAll(async () => {
  await stale?.close();
  await sandbox?.close();
  operator?.dispose();
});

/** One `cellctl` command, as an operator runs it with `npm start` running. */
const cellctl = (...argv: string[]) => operator.cellctl(...argv);

const admin = (cellId: string) => new AdminClient({ cellId, url: sandbox.cells[cellId]!.url, key: sandbox.cells[cellId]!.adminKey });

/** Each record's version on `owner` when it was promoted: before its first change there since, else its version now. */
async function versionsAtFailover(owner: AdminClient, tenantId: string, promotedAt: string, ids: readonly string[]): Promise<Map<string, number>> {
  const since = (await changesSince(owner, tenantId, promotedAt)).filter((c) => c.committed_at >= promotedAt);
  const first = new Map<string, number>();
  for (const c of since) first.set(c.record_id, Math.min(first.get(c.record_id) ?? Infinity, c.version));
  const now = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 50) for (const item of await owner.exportItems(tenantId, ids.slice(i, i + 50))) now.set(item.record_id, item.version);
  return new Map(ids.map((id) => [id, first.has(id) ? first.get(id)! - 1 : (now.get(id) ?? 0)]));
}

/**
 * The two directions share one scenario, one test file each (`failover-aws-azure.test.ts`,
 * `failover-azure-aws.test.ts`, each with its own sandbox, so two jest workers run them side by side).
 * The AWS -> Azure one is driven through `cellctl` as the README gives it (standby, sandbox stop-cell,
 * failover, sandbox start-cell, reconcile, then reconcile --apply and failback); the other through the
 * same functions in-process.
 */
export function describeFailover({ tenant, from, to, bystander, viaCellctl }: { tenant: string; from: string; to: string; bystander: string; viaCellctl: boolean }): void {
  describe(`${tenant} fails over ${from} -> ${to} under load`, () => {
    test("writes acknowledged before the replication point survive, the rest is what reconcile lists, the old primary takes nothing after, the bystander sees no error", async () => {
      const ready = viaCellctl ? (await cellctl("--json", "standby", tenant, "--cell", to)).json : await setUpStandby(plane, quiet, tenant, to, { waitMs: 30_000 });
      expect(ready).toEqual(expect.objectContaining({ ready: true, standby: { cell_id: to, epoch: 2 } }));
      if (viaCellctl) {
        const listed = (await cellctl("--json", "tenants")).json.tenants.find((t: any) => t.tenant_id === tenant);
        expect(listed).toEqual(expect.objectContaining({ standby: expect.objectContaining({ cell_id: to, primary: from, lag_ms: expect.any(Number) }) }));
        const refused = await cellctl("failover", tenant);
        expect([refused.code, refused.err]).toEqual([1, expect.stringMatching(new RegExp(`${from} answers and serves '${tenant}'`))]);
      }

      const calls: LoadCall[] = [];
      const log: AckedWrite[] = [];
      const acked: Acked = new Map();
      const bystanderAcked: Acked = new Map();
      let stop = false;
      const until = () => stop;
      const load = [
        writerLoop(client, "fresh", tenant, "w1", until, calls, acked, log),
        writerLoop(client, "fresh", tenant, "w2", until, calls, acked, log),
        writerLoop(client, "stale", tenant, "w3", until, calls, acked, log),
        readerLoop(client, "fresh", tenant, until, calls, acked),
        writerLoop(client, "fresh", bystander, "b1", until, calls, bystanderAcked),
        readerLoop(client, "stale", bystander, until, calls, bystanderAcked),
      ];
      // Load until the primary has acknowledged a good number of writes and a fresh sweep has confirmed a
      // replication point past some of them (on a busy machine a sweep can come late; the outage then
      // waits for the next one, so both sides of the point are tested).
      const confirmedPastWrites = async () => {
        const through = (await admin(to).ownership(tenant).catch(() => undefined))?.details?.replica?.appliedThrough;
        const point = through === undefined ? NaN : Date.parse(through);
        return Date.now() - point < 1_500 && log.some((w) => w.cell === from && w.at <= point);
      };
      for (let i = 0; i < 300 && (log.filter((w) => w.cell === from).length < 15 || !(await confirmedPastWrites())); i++) await sleep(100);
      const outageAt = Date.now();
      const leaseRefusals = calls.filter((c) => c.tenantId === tenant && c.problem === "tenant_unavailable").length;
      if (viaCellctl) expect((await cellctl("sandbox", "stop-cell", from, "--store")).code).toBe(0);
      else await sandbox.stopCell(from, { store: true });
      const view = viaCellctl ? (await cellctl("--json", "failover", tenant)).json : await failover(plane, quiet, tenant, { waitMs: 60_000 });
      expect(view).toEqual(expect.objectContaining({ from, to, epoch: 2, old_primary: "unreachable" }));
      const point = Date.parse(view.replication_point!);
      const promotedAt = view.promoted_at!;
      await sleep(700);
      if (viaCellctl) {
        const early = await cellctl("reconcile", tenant);
        expect([early.code, early.err]).toEqual([1, expect.stringMatching(new RegExp(`${from}, the old primary of '${tenant}', cannot be reached`))]);
        expect((await cellctl("sandbox", "start-cell", from)).code).toBe(0);
      } else {
        await sandbox.startCell(from);
      }
      // The stale router still sends the tenant to the old primary: it must reach the new owner through it.
      const restartedAt = Date.now();
      for (let i = 0; i < 100 && !calls.some((c) => c.router === "stale" && c.tenantId === tenant && c.at > restartedAt && c.status < 300); i++) await sleep(100);
      await sleep(300);
      stop = true;
      await Promise.all(load);

      const mine = calls.filter((c) => c.tenantId === tenant);
      const theirs = calls.filter((c) => c.tenantId === bystander);
      const tally = (list: LoadCall[]) => Object.entries(list.reduce<Record<string, number>>((t, c) => ({ ...t, [`${c.op} ${c.status} ${c.cell ?? "-"} ${c.problem ?? ""}`.trim()]: (t[`${c.op} ${c.status} ${c.cell ?? "-"} ${c.problem ?? ""}`.trim()] ?? 0) + 1 }), {}));
      console.log(`${tenant}: ${leaseRefusals} lease refusals before the outage; outage at +0, point at ${point - outageAt} ms, promoted at ${Date.parse(promotedAt) - outageAt} ms; calls ${JSON.stringify(tally(mine))}; bystander ${JSON.stringify(tally(theirs))}`);
      // The bystander on the surviving cell: no error at all.
      expect(theirs.filter((c) => c.status >= 300)).toEqual([]);
      expect(theirs.length).toBeGreaterThan(10);
      // The failed-over tenant's clients: served, or a retryable outage answer, or a conflict from a write that was lost.
      const expected = (c: LoadCall) =>
        c.status < 300 || [502, 503, 504].includes(c.status) || (c.status === 409 && c.problem === "version_conflict") || (c.op === "read" && c.status === 404 && c.problem === "record_not_found");
      expect(mine.filter((c) => !expected(c))).toEqual([]);
      expect(mine.filter((c) => c.router === "stale" && c.at > restartedAt && c.status < 300 && c.cell === to).length).toBeGreaterThan(0);

      // No write was accepted by the old primary after the failover: not by a client, not in its change stream.
      expect(log.filter((w) => w.cell === from && w.at > Date.parse(promotedAt))).toEqual([]);
      const oldStream: ChangeEvent[] = await changesSince(admin(from), tenant, new Date(outageAt - 60_000).toISOString());
      expect(oldStream.filter((c) => c.committed_at > promotedAt)).toEqual([]);
      expect(await admin(from).ownership(tenant)).toEqual(expect.objectContaining({ state: "moved", epoch: 2, movedTo: { cellId: to, epoch: 2 } }));

      const listed = viaCellctl ? ((await cellctl("--json", "reconcile", tenant)).json as ReconcileView) : await reconcile(plane, tenant, { apply: false });
      const lost = new Set(listed.records.flatMap((r) => r.lost_versions.map((v) => `${r.record_id}@${v}`)));
      const onOld = log.filter((w) => w.cell === from);
      const atFailover = await versionsAtFailover(admin(to), tenant, promotedAt, [...new Set(onOld.map((w) => w.recordId))]);
      const reached = (w: AckedWrite) => w.version <= atFailover.get(w.recordId)!;
      // Before the point: every acknowledged write is on the new owner.
      const before = onOld.filter((w) => w.at <= point);
      expect({ before: before.length > 0, lastSweepBeforeOutage: point - outageAt > -3_000 }).toEqual({ before: true, lastSweepBeforeOutage: true });
      expect(before.filter((w) => !reached(w))).toEqual([]);
      // Not on the new owner: exactly what reconcile lists (and all of it after the point); what it lists never reached it.
      const missing = onOld.filter((w) => !reached(w));
      expect(missing.filter((w) => !lost.has(`${w.recordId}@${w.version}`))).toEqual([]);
      expect(missing.filter((w) => w.at <= point)).toEqual([]);
      for (const key of lost) {
        const [recordId, version] = key.split("@");
        expect({ key, reached: Number(version) <= (atFailover.get(recordId!) ?? 0) }).toEqual({ key, reached: false });
      }
      // (A lost change may carry a commit time before the point: the time is stamped when the write is
      // planned; the point speaks of writes acknowledged, which were in the store when the sweep read it.)

      console.log(
        `${tenant} ${from} -> ${to}: failover waited ${view.waited_ms} ms for the lease; replication point ${point - outageAt} ms from the outage; ` +
          `${onOld.length} writes acknowledged by ${from}, ${before.length} before the point, ${missing.length} lost and listed by reconcile (${lost.size} changes listed); ` +
          `${mine.filter((c) => c.status < 300 && c.cell === to).length} served by ${to}; bystander ${theirs.length} calls, no errors`,
      );

      if (viaCellctl) {
        // Apply what was lost (as new versions), then return the tenant home with a standby again.
        const applied = (await cellctl("--json", "reconcile", tenant, "--apply")).json as ReconcileView;
        expect(applied.summary.applicable).toBe(0);
        expect(applied.summary.applied).toBe(listed.summary.applicable);
        const back = await cellctl("--json", "failback", tenant, "--discard-unreconciled");
        expect(back.code).toBe(0);
        expect(back.json).toEqual(expect.objectContaining({ from: to, to: from, epoch: 3, discarded: applied.summary.conflicts, standby: expect.objectContaining({ ready: true }) }));
        expect(await admin(from).ownership(tenant)).toEqual(expect.objectContaining({ state: "active", epoch: 3 }));
      }
    }, 120_000);
  });
}
