/**
 * Mutation run only (`jest.unit.config.js` under Stryker; nothing happens otherwise). During Stryker's
 * initial test run, which runs every test with no mutant active, writes down which test file holds
 * which test, one JSON line per file, for `mutation-sequencer.js`.
 */
const { appendFileSync } = require("node:fs");
const path = require("node:path");

/** Kept in Stryker's sandbox (the working directory of its test runner processes). */
const INDEX_FILE = path.join(process.cwd(), ".stryker-test-index.jsonl");

if (process.env.STRYKER_MUTATOR_WORKER !== undefined && process.env.__STRYKER_ACTIVE_MUTANT__ === undefined) {
  const names = new Set();
  beforeEach(() => {
    names.add(expect.getState().currentTestName);
  });
  afterAll(() => {
    appendFileSync(INDEX_FILE, `${JSON.stringify({ path: expect.getState().testPath, tests: [...names] })}\n`);
  });
}
