const path = require("node:path");
const base = require("./jest.config.js");

/**
 * The fast unit-level suites only, for the mutation run (`stryker.config.mjs`, `npm run mutate`): the
 * contract, the cell core with the in-memory fakes, and the router's logic with fakes. Left out: every
 * suite that starts an emulator (DynamoDB Local, cosmosdb-server), the bundled Worker in workerd
 * (Miniflare: router-auth, router-moved, router-resilience, router-worker), the sandbox, a synth, the
 * architecture test (it reads source text, which Stryker rewrites), and the standby replication's
 * suites: standby-control waits out real leases (each mutant it covers would cost seconds), and
 * replication-core alone kills too few of the replication code's mutants to score it (README, Tests).
 * No global setup: nothing here needs DynamoDB Local.
 * @type {import('jest').Config}
 */
module.exports = {
  roots: base.roots,
  transform: base.transform,
  // Every unit test here takes milliseconds; a mutant that makes one wait for ever fails it in 2 s,
  // before Stryker's own timeout (5 s and more) would restart the test runner.
  testTimeout: 2000,
  testMatch: [
    "**/contract-*.test.ts",
    "**/core.test.ts",
    "**/core-*.test.ts",
    "**/lake-core.test.ts",
    "**/cell-http.core.test.ts",
    "**/stores.in-memory.test.ts",
    "**/router-*.test.ts",
  ],
  testPathIgnorePatterns: ["/node_modules/", "/router-(auth|moved|resilience|worker)\\.test\\.ts$"],
  // Under Stryker only: load just the test files whose tests cover the mutant (see the sequencer), and
  // stop at its first failing test (see the environment, otherwise the project's node environment, and the
  // runner, otherwise jest-circus).
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup/mutation-test-index.js"],
  testSequencer: "<rootDir>/__tests__/setup/mutation-sequencer.js",
  testRunner: "<rootDir>/__tests__/setup/mutation-jest-circus.js",
  // An absolute path: Stryker loads the environment itself, without Jest's <rootDir>.
  testEnvironment: path.join(__dirname, "__tests__/setup/mutation-environment.js"),
};
