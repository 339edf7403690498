import { StoreUnavailableError, VersionConflictError } from "../cells/core";
import { AdminCallError, AdminClient } from "../control/admin-client";
import type { ExportItem } from "../contract";
import { coreCell } from "./support/core-cell";
import { anOwnership } from "./support/mothers";

/**
 * The admin client on a core cell reached through a fetch that calls its handler: which calls it
 * repeats when the cell's store is busy (the pages of a bulk copy, safe to send again) and which it
 * never repeats.
 */

const item = (n: number): ExportItem => ({ record_id: `r${n}`, version: 1, deleted: false, data: { n }, created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z", committed_by: "beta" });

/** A cell whose store's imports fail with `failure` the first `failures` times; counts the calls that reach the cell. */
function cellWithFlakyImports(failures: number, failure: () => Error) {
  const cell = coreCell({ cellId: "alpha" });
  const importItems = cell.store.importItems.bind(cell.store);
  let left = failures;
  cell.store.importItems = async (tenantId, items) => {
    if (left-- > 0) throw failure();
    return importItems(tenantId, items);
  };
  let calls = 0;
  const fetchTo = (async (input: string | URL, init?: RequestInit) => {
    calls++;
    const url = new URL(String(input));
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const body = init?.body instanceof Uint8Array ? init.body : new TextEncoder().encode(String(init?.body ?? ""));
    const answer = await cell.handler({ method: init?.method ?? "GET", path: url.pathname, query: url.search.slice(1), headers, body });
    return new Response(answer.body || null, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
  const waits: number[] = [];
  const sleep = async (ms: number) => void waits.push(ms);
  const client = new AdminClient({ cellId: "alpha", url: "https://alpha.test", key: cell.adminKey }, { fetch: fetchTo, sleep });
  return { cell, client, calls: () => calls, waits };
}

async function importing(cell: ReturnType<typeof coreCell>, tenantId: string) {
  await cell.store.setOwnership({ ...anOwnership(tenantId), state: "importing" }, undefined);
}

describe("an import page while the cell's store is busy", () => {
  test("is sent again, up to three times, and lands once", async () => {
    const { cell, client, calls, waits } = cellWithFlakyImports(3, () => new StoreUnavailableError("the store did not answer"));
    await importing(cell, "T-1");
    const result = await client.importPage("T-1", [item(1), item(2)]);
    expect({ result, calls: calls(), waits }).toEqual({ result: { written: 2, skipped: 0 }, calls: 4, waits: [250, 500, 1_000] });
    // Sending a page that landed again changes nothing: why repeating it is safe.
    expect(await client.importPage("T-1", [item(1), item(2)])).toEqual({ written: 0, skipped: 2 });
    expect((await client.exportPage("T-1")).items.map((i) => [i.record_id, i.version])).toEqual([
      ["r1", 1],
      ["r2", 1],
    ]);
  });

  test("fails with the cell's answer once the retries are spent", async () => {
    const { cell, client, calls, waits } = cellWithFlakyImports(4, () => new StoreUnavailableError("the store did not answer"));
    await importing(cell, "T-1");
    await expect(client.importPage("T-1", [item(1)])).rejects.toEqual(expect.objectContaining({ name: "AdminCallError", status: 503, code: "store_unavailable" }));
    expect({ calls: calls(), waits }).toEqual({ calls: 4, waits: [250, 500, 1_000] });
  });

  test("any other refusal is not repeated", async () => {
    const { cell, client, calls, waits } = cellWithFlakyImports(1, () => new VersionConflictError("T-1", "r1", "a newer version is there", 2));
    await importing(cell, "T-1");
    const refused = await client.importPage("T-1", [item(1)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AdminCallError);
    expect((refused as AdminCallError).status).toBe(409);
    expect({ calls: calls(), waits }).toEqual({ calls: 1, waits: [] });
  });

  test("an ownership change, which may have landed, is never repeated", async () => {
    const { cell, client, calls, waits } = cellWithFlakyImports(0, () => new Error("unused"));
    const setOwnership = cell.store.setOwnership.bind(cell.store);
    let failed = false;
    cell.store.setOwnership = async (...args) => {
      if (!failed) {
        failed = true;
        throw new StoreUnavailableError("the store did not answer");
      }
      return setOwnership(...args);
    };
    await expect(client.setOwnership("T-1", { epoch: 1, state: "importing", expected: null })).rejects.toEqual(expect.objectContaining({ status: 503 }));
    expect({ calls: calls(), waits }).toEqual({ calls: 1, waits: [] });
  });
});
