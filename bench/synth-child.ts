/**
 * One synth in a fresh process, for `bench/run.ts` (section "synth"):
 *
 *     node --import tsx bench/synth-child.ts <real|cell count> <outdir>
 *
 * Times, from before the stacks are imported to after `app.synth()`:
 * - import: `cdktf` and `stacks/app` (and through them every construct and provider class the app uses);
 * - bundle: the bundles the topology needs (`bundle()` resolves each once per process, so the synth
 *   that follows reuses them; measured apart because it is a fixed cost per process, not per cell).
 *   esbuild runs only when an input changed since the last build; otherwise `.build/` is reused;
 * - construct: `new App()` and `defineStacks(...)`;
 * - synth: `app.synth()` (resolving tokens, writing the JSON and the asset archives).
 * Reports them and its peak RSS on one result line.
 *
 * cdktf 0.21 zips every `AssetType.ARCHIVE` asset (the Lambda and Function packages, once per cell
 * stack) by running `node <cdktf>/lib/private/fs.js <src> <dest>` through `child_process.execSync`.
 * This child wraps `execSync` (same arguments, same result) to count those calls and time them, so
 * the report can say how much of the per-cell cost they are. Their memory is not in this process's
 * peak RSS: each runs in its own process.
 */
import { emitResult } from "./child";
import { parseTopologyArg, topologyFor } from "./topologies";

const archive = { calls: 0, ms: 0 };
// Patched on the module object before cdktf loads: cdktf calls `child_process_1.execSync(...)` through it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require("node:child_process") as { execSync: (...args: unknown[]) => unknown };
const execSync = childProcess.execSync;
childProcess.execSync = (...args: unknown[]) => {
  const start = performance.now();
  try {
    return execSync(...args);
  } finally {
    archive.calls += 1;
    archive.ms += performance.now() - start;
  }
};

function main(): void {
  const [choiceArg, outdir] = process.argv.slice(2);
  if (!outdir) throw new Error("usage: synth-child.ts <real|cell count> <outdir>");
  const topology = topologyFor(parseTopologyArg(choiceArg));

  // require(), not import: loading is part of what is timed, and it must happen here, not at startup.
  const t0 = performance.now();
  const { App } = require("cdktf") as typeof import("cdktf");
  const { defineStacks } = require("../stacks/app") as typeof import("../stacks/app");
  const { LOCAL_BACKEND } = require("../stacks/backend") as typeof import("../stacks/backend");
  const tImported = performance.now();

  // Already loaded by stacks/app; requiring them again costs nothing.
  const { bundle } = require("../constructs/bundling") as typeof import("../constructs/bundling");
  const { AWS_CELL_BUNDLE } = require("../constructs/aws-cell") as typeof import("../constructs/aws-cell");
  const { AZURE_CELL_BUNDLE } = require("../constructs/azure-cell") as typeof import("../constructs/azure-cell");
  const { ROUTER_BUNDLE } = require("../router/bundle-spec") as typeof import("../router/bundle-spec");
  const bundleMs: Record<string, number> = {};
  const bundleFromCache: Record<string, boolean> = {};
  const timeBundle = (name: string, spec: Parameters<typeof bundle>[0]) => {
    const start = performance.now();
    bundleFromCache[name] = bundle(spec).fromCache;
    bundleMs[name] = performance.now() - start;
  };
  if (topology.cells.some((c) => c.cloud === "aws")) timeBundle("lambda", AWS_CELL_BUNDLE);
  if (topology.cells.some((c) => c.cloud === "azure")) timeBundle("function", AZURE_CELL_BUNDLE);
  timeBundle("worker", ROUTER_BUNDLE);
  const tBundled = performance.now();

  // As main.ts does, with the local backend and the outdir the parent chose.
  const app = new App({ outdir });
  const stacks = defineStacks(app, topology, { backend: LOCAL_BACKEND });
  const tConstructed = performance.now();
  app.synth();
  const tSynthesized = performance.now();

  emitResult({
    cells: topology.cells.length,
    stacks: stacks.cells.length + 1,
    importMs: tImported - t0,
    bundleMs: tBundled - tImported,
    bundleMsBySpec: bundleMs,
    bundleFromCache,
    constructMs: tConstructed - tBundled,
    synthMs: tSynthesized - tConstructed,
    archiveCalls: archive.calls,
    archiveMs: archive.ms,
    totalMs: tSynthesized - t0,
    /** The in-process cost without the per-process bundling. */
    totalExclBundleMs: tSynthesized - t0 - (tBundled - tImported),
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  });
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}
