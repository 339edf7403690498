const NodeEnvironment = require("./node-environment.js");

/** The mutant one of this process's tests has failed for (mutant ids are unique within a Stryker run). */
let killed;

/**
 * Mutation run only (`jest.unit.config.js` under Stryker; outside a mutant run it is the project's
 * node environment, `node-environment.js`, unchanged). Jest has no way to stop a run at the first
 * failing test, and Stryker needs only one to call a mutant killed: once a test has failed for the
 * active mutant, every later test of that mutant's run, in any file, is skipped (and
 * `mutation-jest-circus.js` does not even load the later files).
 */
class MutationEnvironment extends NodeEnvironment {
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
}

module.exports = MutationEnvironment;
