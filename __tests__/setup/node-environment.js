const { AsyncLocalStorage } = require("node:async_hooks");
const { TestEnvironment } = require("jest-environment-node");

/** The AsyncLocalStorage instances entered while this process's current test file ran. */
const entered = new Set();

for (const method of ["run", "enterWith"]) {
  const original = AsyncLocalStorage.prototype[method];
  AsyncLocalStorage.prototype[method] = function (...args) {
    entered.add(this);
    return original.apply(this, args);
  };
}

/**
 * Jest's node environment, plus one clean-up. On Node 20 an AsyncLocalStorage that has been entered
 * stays enabled until it is disabled, in a process-wide list that is walked each time a promise is
 * created. Jest-circus makes a new one for each test file, and so does each fresh load of the Azure
 * cell's log adapter (`cells/azure/functions-log.ts`); none is ever disabled, so in a process that runs
 * many files every promise gets slower file after file: a little in Jest's workers (a few dozen files
 * each), a lot in Stryker's test runner, which runs thousands (at 1000 instances, 100 000 awaits take
 * 12 s instead of 23 ms). The instances a test file entered are disabled once the file is done; one
 * entered again later enables itself again.
 */
class NodeEnvironment extends TestEnvironment {
  async teardown() {
    await super.teardown();
    for (const storage of entered) storage.disable();
    entered.clear();
  }
}

module.exports = NodeEnvironment;
