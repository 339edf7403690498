import type { StoredRecord } from "../../cells/core";

/** Object mothers: small builders for test data, so tests say only what matters to them. */

let counter = 0;
const runId = Math.random().toString(36).slice(2, 8);

/** A tenant id no other test in this run uses, so suites can share one table or container. */
export const aTenantId = (label = "t"): string => `${label}-${runId}-${++counter}`;

export const aRecord = (overrides: Partial<StoredRecord> = {}): StoredRecord => ({
  tenantId: overrides.tenantId ?? aTenantId(),
  recordId: "rec-1",
  version: 1,
  data: { name: "widget", count: 3 },
  createdAt: "2026-01-02T03:04:05.000Z",
  updatedAt: "2026-01-02T03:04:05.000Z",
  ...overrides,
});
