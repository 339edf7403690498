/**
 * Mutation testing of the pure logic (`npm run mutate`): the wire contract, the cell core and the edge
 * router, scored by the fast unit suites of `jest.unit.config.js` (no emulators, no Miniflare). Not
 * part of `npm test` or CI; the README's Tests section gives the score and the run time.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: "npm",
  testRunner: "jest",
  jest: { projectType: "custom", configFile: "jest.unit.config.js", enableFindRelatedTests: true },
  // Each mutant runs only the tests that reach it.
  coverageAnalysis: "perTest",
  mutate: ["contract/**/*.ts", "cells/core/**/*.ts", "router/**/*.ts"],
  // Only what the unit suites load is copied into Stryker's sandboxes.
  ignorePatterns: ["/.build", "/.sandbox", "/cdktf.out", "/bench", "/reports"],
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
};
