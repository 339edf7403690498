/**
 * The local sandbox in a process of its own, for the router and lake benchmarks
 * (`bench/router-overhead.ts`, `bench/lake.ts`):
 *
 *     node --import tsx bench/sandbox-child.ts [--lake-dir=<dir>] [--standby]
 *
 * Starts `startSandbox({ routerPort: 0 })` (its router verifies client tokens from the sandbox's
 * issuer, on a socket of its own in workerd) and, in front of the same cells, a second router with
 * `AUTH_MODE=none` and a third one with auth reached through Miniflare's development proxy. Reports
 * the router URLs, a pass-through Worker's URL (forwards to `x-bench-target`, no logic), every cell
 * (URL, cloud, signing key) and a token per tenant on one result line,
 * and runs until its stdin closes; then closes everything and exits. So the benchmark client does not share an event loop
 * with the cells and emulators it measures (workerd, the router, runs in its own process anyway).
 */
import { Miniflare } from "miniflare";
import { ROUTER_COMPATIBILITY_DATE } from "../router/bundle-spec";
import { startLocalRouter } from "../sandbox/router";
import { startSandbox } from "../sandbox/sandbox";
import { TOPOLOGY, regionOf } from "../topology";
import { RESULT_MARKER } from "./child";

/**
 * A Worker that does nothing but forward the request to the URL in `x-bench-target`, on its own
 * workerd socket like the sandbox's router: the floor any Worker in front of the cells costs.
 */
const PASS_THROUGH = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    const target = headers.get("x-bench-target");
    headers.delete("x-bench-target");
    return fetch(target + url.pathname + url.search, { method: request.method, headers, redirect: "manual" });
  },
};`;

async function main(): Promise<void> {
  // With --lake-dir the sandbox also runs its lake pumps into that folder.
  const lakeDir = process.argv.find((a) => a.startsWith("--lake-dir="))?.slice("--lake-dir=".length);
  // With --standby the sandbox also runs its standby replication consumers (bench/standby.ts).
  const standby = process.argv.includes("--standby");
  const sandbox = await startSandbox({ routerPort: 0, ...(lakeDir ? { lakeDir } : {}), ...(standby ? { standby: true } : {}) });
  const cells = Object.values(sandbox.cells).map(({ cellId, cloud, url, key }) => ({ cellId, cloud, url, key }));
  const same = {
    port: 0,
    cells: TOPOLOGY.cells.map((spec) => ({ cellId: spec.cellId, cloud: spec.cloud, region: regionOf(spec), url: sandbox.cells[spec.cellId]!.url })),
    tenants: TOPOLOGY.tenants,
    keys: Object.fromEntries(cells.map((c) => [c.cellId, c.key])),
  };
  const open = await startLocalRouter(same);
  const proxied = await startLocalRouter({ ...same, auth: sandbox.auth });
  const passThrough = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    script: PASS_THROUGH,
    compatibilityDate: ROUTER_COMPATIBILITY_DATE,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  await passThrough.ready;
  const passThroughUrl = (await passThrough.unsafeGetDirectURL()).origin;
  process.stdout.write(
    `${RESULT_MARKER}${JSON.stringify({ routerUrl: sandbox.routerUrl, openRouterUrl: open.url, devProxyRouterUrl: proxied.devProxyUrl, passThroughUrl, cells, tokens: sandbox.auth?.tokens ?? {}, lakeDir: sandbox.lake?.dir, connection: sandbox.connection, ...(standby ? { standbyTiming: sandbox.standby?.timing } : {}), pid: process.pid })}\n`,
  );
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", resolve).once("close", resolve));
  await passThrough.dispose();
  await proxied.close();
  await open.close();
  await sandbox.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
