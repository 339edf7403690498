const Sequencer = require("@jest/test-sequencer").default;
const { readFileSync } = require("node:fs");
const path = require("node:path");

/** Written by `mutation-test-index.js` during Stryker's initial test run. */
const INDEX_FILE = path.join(process.cwd(), ".stryker-test-index.jsonl");

/** Test file path -> the names of its tests, or undefined when there is no index (yet). */
function readIndex() {
  let text;
  try {
    text = readFileSync(INDEX_FILE, "utf8");
  } catch {
    return undefined;
  }
  const index = new Map();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const { path: file, tests } = JSON.parse(line);
    index.set(file, [...(index.get(file) ?? []), ...tests]);
  }
  return index;
}

/**
 * Mutation run only (`jest.unit.config.js` under Stryker). For each mutant, Stryker runs the tests that
 * cover it by name (`testNamePattern`) in every test file that imports the mutated file, and Jest loads
 * each such file whole even when none of its tests runs; every file imports the contract, so a contract
 * mutant would load every file. With the index of `mutation-test-index.js`, this sequencer keeps only
 * the files that hold a test the pattern names (about ten times less work per mutant). A file the index
 * does not know is kept; without an index, or outside a mutant run, nothing is dropped.
 */
class MutationSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.pattern = process.env.__STRYKER_ACTIVE_MUTANT__ === undefined ? undefined : options.globalConfig.testNamePattern;
  }

  sort(tests) {
    const index = this.pattern ? readIndex() : undefined;
    if (index === undefined) return super.sort(tests);
    const names = new RegExp(this.pattern, "i"); // as jest-circus matches test names
    const kept = tests.filter((test) => !index.has(test.path) || index.get(test.path).some((name) => names.test(name)));
    return super.sort(kept.length > 0 ? kept : tests);
  }
}

module.exports = MutationSequencer;
