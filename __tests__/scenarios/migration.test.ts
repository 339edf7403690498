import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AdminClient } from "../../control/admin-client";
import { ControlPlane } from "../../control/control-plane";
import { JournalStore } from "../../control/moves/journal";
import { Mover } from "../../control/moves/move";
import type { LocalRouter } from "../../sandbox/router";
import { startSandbox, type Sandbox } from "../../sandbox/sandbox";
import type { Topology } from "../../topology";
import { startStaleRouter } from "../support/stale-router";
import { readerLoop, writerLoop, type Acked, type LoadCall, type LoadClient } from "../support/move-load";

/**
 * A live tenant moves between clouds while its clients keep writing and reading through two routers,
 * one of which keeps its stale registry view for the whole run (its own KV, a five-minute cache): it
 * reaches the new owner only through the source's `tenant_moved` answer. A bystander tenant on the
 * other cell is under load too.
 */

const TOPOLOGY: Topology = {
  cells: [
    { cloud: "aws", cellId: "alpha", region: "us-east-1", wave: 0 },
    { cloud: "azure", cellId: "beta", location: "eastus", wave: 1 },
  ],
  tenants: [
    { tenantId: "T-MOVE-A", cellId: "alpha" },
    { tenantId: "T-MOVE-B", cellId: "beta" },
    { tenantId: "T-STAY-A", cellId: "alpha" },
    { tenantId: "T-STAY-B", cellId: "beta" },
  ],
};

let sandbox: Sandbox;
let stale: LocalRouter;
let journalRoot: string;
let client: LoadClient;

beforeAll(async () => {
  sandbox = await startSandbox({ topology: TOPOLOGY, routerPort: 0, dynamodbEndpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, registryCacheTtlMs: 500 });
  stale = await startStaleRouter(sandbox, TOPOLOGY.tenants);
  journalRoot = mkdtempSync(path.join(tmpdir(), "moves-"));
  client = { routers: { fresh: sandbox.routerUrl, stale: stale.url }, token: (t) => sandbox.auth!.mint(t) };
}, 60_000);

afterAll(async () => {
  await stale?.close();
  await sandbox?.close();
  if (journalRoot) rmSync(journalRoot, { recursive: true, force: true });
});

describe.each([
  { tenant: "T-MOVE-A", from: "alpha", to: "beta", bystander: "T-STAY-B" },
  { tenant: "T-MOVE-B", from: "beta", to: "alpha", bystander: "T-STAY-A" },
])("$tenant moves $from -> $to under load", ({ tenant, from, to, bystander }) => {
  test("no acknowledged write is lost, nothing commits on the source after the fence, clients see only 2xx or a 503 with Retry-After, the bystander nothing", async () => {
    const calls: LoadCall[] = [];
    const acked: Acked = new Map();
    const bystanderAcked: Acked = new Map();
    let stop = false;
    const until = () => stop;
    const load = [
      writerLoop(client, "fresh", tenant, "w1", until, calls, acked),
      writerLoop(client, "fresh", tenant, "w2", until, calls, acked),
      writerLoop(client, "stale", tenant, "w3", until, calls, acked),
      readerLoop(client, "fresh", tenant, until, calls, acked),
      readerLoop(client, "stale", tenant, until, calls, acked),
      writerLoop(client, "stale", bystander, "b1", until, calls, bystanderAcked),
      readerLoop(client, "fresh", bystander, until, calls, bystanderAcked),
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mover = new Mover(new ControlPlane(sandbox.connection), new JournalStore(journalRoot));
    const journal = await mover.start(tenant, to);
    await new Promise((resolve) => setTimeout(resolve, 700)); // keep the load on after the cut-over
    stop = true;
    await Promise.all(load);

    expect({ phase: journal.phase, target: journal.target, epoch: journal.toEpoch }).toEqual({ phase: "done", target: to, epoch: 2 });
    const mine = calls.filter((c) => c.tenantId === tenant);
    const theirs = calls.filter((c) => c.tenantId === bystander);
    const unexpected = mine.filter((c) => !(c.status === 200 || c.status === 201 || (c.status === 503 && c.problem === "tenant_fenced" && c.retryAfter !== null) || (c.status === 409 && c.problem === "version_conflict")));
    expect(unexpected).toEqual([]);
    expect(mine.filter((c) => c.op === "read" && c.status !== 200)).toEqual([]);
    expect(theirs.filter((c) => c.status >= 300)).toEqual([]);
    expect(theirs.length).toBeGreaterThan(10);
    const byRouter = (router: string) => mine.filter((c) => c.router === router && c.at > Date.parse(journal.activatedAt!) && c.status < 300).length;
    expect(byRouter("stale")).toBeGreaterThan(0); // the stale router reached the new owner after the cut-over

    // Every acknowledged write is on the target with its acknowledged version and data.
    const target = new AdminClient({ cellId: to, url: sandbox.cells[to]!.url, key: sandbox.cells[to]!.adminKey });
    const ids = [...acked.keys()];
    const items = new Map((await target.exportItems(tenant, ids)).map((i) => [i.record_id, i]));
    for (const [recordId, want] of acked) expect({ recordId, version: items.get(recordId)?.version, data: items.get(recordId)?.data }).toEqual({ recordId, ...want });

    // The source took no write after the fence: its change stream ends before the fence was acknowledged.
    const source = new AdminClient({ cellId: from, url: sandbox.cells[from]!.url, key: sandbox.cells[from]!.adminKey });
    const late = (await source.changes(tenant, { since: journal.fencedAt })).filter((c) => c.committed_at > journal.fencedAt!);
    expect(late).toEqual([]);
    expect((await source.ownership(tenant))?.state).toBe("moved");

    const fenced = mine.filter((c) => c.status === 503);
    const pauseSeen = fenced.length > 0 ? Math.max(...fenced.map((c) => c.at)) - Math.min(...fenced.map((c) => c.at)) : 0;
    console.log(
      `${tenant} ${from} -> ${to}: write pause ${journal.pauseMs} ms (fence to target active); clients saw 503 for ${pauseSeen} ms; ` +
        `${mine.filter((c) => c.op === "write" && c.status < 300).length} writes and ${mine.filter((c) => c.op === "read").length} reads served, ${fenced.length} 503s; ` +
        `bystander ${bystander}: ${theirs.length} calls, no errors`,
    );
  }, 120_000);
});
