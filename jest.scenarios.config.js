const base = require("./jest.config.js");

/**
 * The scenarios (`npm run test:scenarios`): each starts the whole sandbox and drives it through a
 * story that takes seconds of real time (a store cut, slowed or frozen under load; a move aborted,
 * raced or crashed; a failover; the watch loop evacuating a degraded cell; `npm start` stopped by a
 * signal), counting every request and asserting that no acknowledged write is lost. Most of their time
 * is leases, windows and retries running out, so they are kept out of the fast `npm test`; the
 * README's test command and CI, `npm run test:all`, run both.
 * @type {import('jest').Config}
 */
module.exports = {
  ...base,
  roots: ["<rootDir>/__tests__/scenarios"],
  testPathIgnorePatterns: ["/node_modules/"],
};
