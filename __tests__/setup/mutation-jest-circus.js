const { createEmptyTestResult } = require("@jest/test-result");
const circus = require("jest-circus/runner").default;
const MutationEnvironment = require("./mutation-environment.js");

/** The one (skipped) test reported for a file that is not loaded. */
const SKIPPED = "not loaded: a test has already failed for this mutant";

/**
 * Mutation run only (`jest.unit.config.js` under Stryker; otherwise it is Jest's own runner, jest-circus,
 * unchanged). Once a test has failed for the active mutant (see `mutation-environment.js`), its later
 * test files are not even loaded: loading a file (Jest's test framework, `expect`, the file and all it
 * imports, in a fresh module registry) costs far more than its tests, and a skipped test cannot change a
 * killed mutant's result. Such a file reports one skipped test, since Jest counts a file without tests as
 * failed. The file name must contain "jest-circus": Stryker's per-test coverage accepts no other runner.
 */
module.exports = async function mutationJestCircus(globalConfig, config, environment, runtime, testPath, send) {
  if (!MutationEnvironment.hasKilled(process.env.__STRYKER_ACTIVE_MUTANT__)) {
    return circus(globalConfig, config, environment, runtime, testPath, send);
  }
  const result = createEmptyTestResult();
  result.numPendingTests = 1;
  result.testFilePath = testPath;
  result.testResults = [
    {
      ancestorTitles: [],
      duration: 0,
      failureDetails: [],
      failureMessages: [],
      fullName: SKIPPED,
      invocations: 0,
      location: null,
      numPassingAsserts: 0,
      retryReasons: [],
      status: "pending",
      title: SKIPPED,
    },
  ];
  return result;
};
