/**
 * One provider-import measurement in a fresh, plain Node process (no tsx, no TypeScript), for
 * `bench/run.ts` (section "imports"):
 *
 *     node bench/import-child.cjs <module> [<module> ...]
 *
 * Requires the modules in order and reports how long the requires took, how many modules ended up
 * loaded, and the process's peak RSS, on one line starting with the marker of `bench/child.ts`.
 */
"use strict";

const modules = process.argv.slice(2);
const start = performance.now();
for (const name of modules) require(name);
const requireMs = performance.now() - start;

const result = {
  modules: modules.length,
  requireMs,
  loadedModules: Object.keys(require.cache).length,
  heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  // maxRSS is in KiB.
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`@@bench-result ${JSON.stringify(result)}\n`);
