import { importBatches, type RecordItem } from "../cells/core";

/** How an import is cut into the stores' atomic batches (a DynamoDB transaction, a Cosmos DB batch). */

const item = (n: number, data: string = "x"): RecordItem => ({
  tenantId: "T-1",
  recordId: `r-${n}`,
  version: 1,
  data: { text: data },
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  committedBy: "alpha",
});
const ids = (batches: RecordItem[][]) => batches.map((b) => b.map((i) => i.recordId));

describe("import batches", () => {
  test("one slot of each batch is kept for the ownership check", () => {
    const items = Array.from({ length: 7 }, (_, n) => item(n));
    expect(ids(importBatches(items, { maxOperations: 4, maxBytes: 1_000_000 }))).toEqual([
      ["r-0", "r-1", "r-2"],
      ["r-3", "r-4", "r-5"],
      ["r-6"],
    ]);
  });

  test("a batch closes before its estimated size (JSON length plus 200 per item) would pass the limit", () => {
    const one = JSON.stringify(item(0)).length + 200;
    const items = [item(0), item(1), item(2)];
    expect(ids(importBatches(items, { maxOperations: 100, maxBytes: 2 * one }))).toEqual([["r-0", "r-1"], ["r-2"]]);
    expect(ids(importBatches(items, { maxOperations: 100, maxBytes: 2 * one - 1 }))).toEqual([["r-0"], ["r-1"], ["r-2"]]);
  });

  test("an item larger than the limit still gets a batch of its own, and nothing is empty", () => {
    expect(ids(importBatches([item(0), item(1, "y".repeat(5000)), item(2)], { maxOperations: 100, maxBytes: 1000 }))).toEqual([["r-0"], ["r-1"], ["r-2"]]);
    expect(importBatches([], { maxOperations: 100, maxBytes: 1000 })).toEqual([]);
  });
});
