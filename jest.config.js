/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (`isolatedModules` in tsconfig.json):
 * type checking happens once, in `npm run typecheck`, not in every test file.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  testTimeout: 30000,
  // Two workers on two cores: the slow suites (sandboxes, fault injection, failovers) mostly wait on
  // timers and emulators, so two side by side take little more than one (Jest's default here is one).
  maxWorkers: 2,
  // One DynamoDB Local JVM for the whole run (each test file makes its own tables).
  globalSetup: "<rootDir>/__tests__/setup/dynamodb-local.global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/setup/dynamodb-local.global-teardown.ts",
};
