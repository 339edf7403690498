import { clockedCell } from "./support/clocked-cell";

/** The cell's HTTP handler itself: routing, limits, headers and what it logs. */

describe("routing", () => {
  test.each(["constructor", "__proto__", "toString"])("an admin path ending in %s is a 404, not a 500 (only a route's own name names it)", async (name) => {
    const cell = clockedCell();
    const reply = await cell.handler({ method: "GET", path: `/admin/tenants/T-1/${name}`, query: "", headers: {}, body: new Uint8Array() });
    expect({ status: reply.status, type: JSON.parse(reply.body).type }).toEqual({ status: 404, type: "urn:problem-type:cells:not_found" });
    expect(cell.logs).toEqual([]);
  });
});
