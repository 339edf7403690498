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
  // Mutants in module-level constants (the problem catalogue, id patterns, the settings table) are
  // reached by no test in particular, so each would run every test of every file that imports them:
  // a few percent of the mutants, most of the time. They are left out of this run; see README, Tests.
  ignoreStatic: true,
  mutate: ["contract/**/*.ts", "cells/core/**/*.ts", "router/**/*.ts"],
  // Only what the unit suites load is copied into Stryker's sandboxes.
  ignorePatterns: ["/.build", "/.sandbox", "/cdktf.out", "/bench", "/reports"],
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  // The score table on the console; every mutant, with its tests, in the HTML report.
  clearTextReporter: { reportTests: false, reportMutants: false },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
};
