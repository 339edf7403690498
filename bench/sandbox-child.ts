/**
 * The local sandbox in a process of its own, for the router and lake benchmarks
 * (`bench/router-overhead.ts`, `bench/lake.ts`):
 *
 *     node --import tsx bench/sandbox-child.ts [--lake-dir=<dir>]
 *
 * Starts `startSandbox({ routerPort: 0 })`, reports the router URL and every cell (URL, cloud, signing
 * key) on one result line, and runs until its stdin closes; then closes the sandbox and exits. So the
 * benchmark client does not share an event loop with the cells and emulators it measures (workerd,
 * the router, runs in its own process anyway).
 */
import { startSandbox } from "../sandbox/sandbox";
import { RESULT_MARKER } from "./child";

async function main(): Promise<void> {
  // With --lake-dir the sandbox also runs its lake pumps into that folder.
  const lakeDir = process.argv.find((a) => a.startsWith("--lake-dir="))?.slice("--lake-dir=".length);
  const sandbox = await startSandbox({ routerPort: 0, ...(lakeDir ? { lakeDir } : {}) });
  const cells = Object.values(sandbox.cells).map(({ cellId, cloud, url, key }) => ({ cellId, cloud, url, key }));
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ routerUrl: sandbox.routerUrl, cells, lakeDir: sandbox.lake?.dir, pid: process.pid })}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", resolve).once("close", resolve));
  await sandbox.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
