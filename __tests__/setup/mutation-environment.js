const { AsyncLocalStorage } = require("node:async_hooks");
const { TestEnvironment } = require("jest-environment-node");

/** The mutant one of this process's tests has failed for (mutant ids are unique within a Stryker run). */
let killed;

/** The AsyncLocalStorage instances entered while the current test file ran. */
const entered = new Set();

/**
 * Under Stryker only. Jest-circus makes a new AsyncLocalStorage for each test file it runs and never
 * disables it; on Node 20 every enabled instance stays in a process-wide list that is walked each time
 * a promise is created. Jest's own workers run a few dozen files and exit, but Stryker's test runner
 * process runs the covering test files of one mutant after another (thousands of files), so each
 * promise got slower as the run went on (at 1000 instances, 100 000 awaits take 12 s instead of 23 ms).
 * The instances a test file entered are disabled once the file is done (`teardown`); one that is
 * entered again later enables itself again.
 */
if (process.env.STRYKER_MUTATOR_WORKER !== undefined) {
  for (const method of ["run", "enterWith"]) {
    const original = AsyncLocalStorage.prototype[method];
    AsyncLocalStorage.prototype[method] = function (...args) {
      entered.add(this);
      return original.apply(this, args);
    };
  }
}

/**
 * Mutation run only (`jest.unit.config.js` under Stryker; outside a mutant run it is Jest's node
 * environment, unchanged). Jest has no way to stop a run at the first failing test, and Stryker needs
 * only one to call a mutant killed: once a test has failed for the active mutant, every later test of
 * that mutant's run, in any file, is skipped (and `mutation-jest-circus.js` does not even load the later
 * files).
 */
class MutationEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    if (mutant === undefined) return;
    if (event.name === "test_done" && event.test.errors.length > 0) killed = mutant;
    else if (event.name === "test_start" && killed === mutant) event.test.mode = "skip";
  }

  /** Whether a test has already failed for this mutant (then `mutation-jest-circus.js` skips whole files). */
  static hasKilled(mutant) {
    return mutant !== undefined && killed === mutant;
  }

  async teardown() {
    await super.teardown();
    for (const storage of entered) storage.disable();
    entered.clear();
  }
}

module.exports = MutationEnvironment;
