import { MovedTenants } from "../router/moved-tenants";

/** The isolate's memory of placements learned from `tenant_moved` answers: newer epochs win, in both directions. */
describe("moved tenants", () => {
  test("a learned placement is used while it is newer than the registry's epoch, and forgotten once the registry catches up", () => {
    const moves = new MovedTenants();
    expect(moves.learn("T-1", "beta", 2, 1)).toBe(true);
    expect(moves.newerThan("T-1", 1)).toEqual({ v: 1, tenantId: "T-1", cellId: "beta", status: "active", epoch: 2 });
    expect(moves.newerThan("T-1", undefined)?.cellId).toBe("beta"); // the registry has nothing usable
    expect(moves.newerThan("T-1", 2)).toBeUndefined();
    expect(moves.size).toBe(0);
  });

  test("an epoch no newer than what is known is not learned", () => {
    const moves = new MovedTenants();
    expect(moves.learn("T-1", "beta", 3, 3)).toBe(false);
    expect(moves.learn("T-1", "beta", 4, 3)).toBe(true);
    expect(moves.learn("T-1", "gamma", 4)).toBe(false);
    expect(moves.learn("T-1", "alpha", 3)).toBe(false);
    expect(moves.newerThan("T-1", 1)?.cellId).toBe("beta");
    expect(moves.learn("T-1", "gamma", 5)).toBe(true);
    expect(moves.newerThan("T-1", 1)?.cellId).toBe("gamma");
  });

  test("bounded: the least recently learned tenant goes first", () => {
    const moves = new MovedTenants(2);
    moves.learn("T-1", "beta", 2);
    moves.learn("T-2", "beta", 2);
    moves.learn("T-3", "beta", 2);
    expect([moves.newerThan("T-1", 1), moves.newerThan("T-3", 1)?.tenantId]).toEqual([undefined, "T-3"]);
  });
});
