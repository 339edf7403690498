/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (`isolatedModules` in tsconfig.json):
 * type checking happens once, in `npm run typecheck`, not in every test file.
 * @type {import('jest').Config}
 */
module.exports = {
  // Jest's node environment that disables the AsyncLocalStorage instances a test file leaves enabled.
  testEnvironment: "<rootDir>/__tests__/setup/node-environment.js",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // The scenarios (whole sandboxes under faults, moves, failovers, the watch loop, signals) run with
  // `npm run test:scenarios`; `npm run test:all`, the README's test command and CI's, runs both.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/__tests__/scenarios/"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
  // Two workers on two cores (Jest's default here is one).
  maxWorkers: 2,
  // One DynamoDB Local JVM for the whole run (each test file makes its own tables).
  globalSetup: "<rootDir>/__tests__/setup/dynamodb-local.global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/setup/dynamodb-local.global-teardown.ts",
};
