import {
  EpochConflictError,
  OwnershipStateError,
  PURGEABLE_STATES,
  StoreUnavailableError,
  TenantNotServedError,
  assertServes,
  checkTransition,
  isSameOwnership,
  toProblemAnswer,
  type OwnershipChange,
} from "../cells/core";
import { OWNERSHIP_STATES, type Ownership, type OwnershipState } from "../contract";
import { anOwnership } from "./support/mothers";

/** The ownership rules as pure functions: what a state lets a cell serve, which changes are legal, and how a refusal reads. */

const at = (state: OwnershipState, epoch = 2, movedTo?: Ownership["movedTo"]): Ownership => anOwnership("T-1", { state, epoch, ...(movedTo ? { movedTo } : {}) });
const change = (state: OwnershipState, epoch: number, movedTo?: OwnershipChange["movedTo"]): OwnershipChange => ({ state, epoch, ...(movedTo ? { movedTo } : {}) });

/** The refusal `checkTransition` throws, or undefined when the change is legal. */
function refusal(current: Ownership | undefined, next: OwnershipChange): string | undefined {
  try {
    checkTransition("alpha", "T-1", current, next);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(OwnershipStateError);
    expect((error as OwnershipStateError).current).toBe(current);
    return (error as Error).message;
  }
}

describe("what a cell serves", () => {
  test.each<[OwnershipState | "none", boolean, boolean]>([
    ["active", true, true],
    ["fenced", true, false],
    ["importing", false, false],
    ["moved", false, false],
    ["none", false, false],
  ])("%s: reads %s, writes %s", (state, reads, writes) => {
    const ownership = state === "none" ? undefined : at(state);
    const serves = (write: boolean) => {
      try {
        assertServes("T-1", ownership, write);
        return true;
      } catch (error) {
        expect(error).toEqual(expect.objectContaining({ tenantId: "T-1", ownership, write }));
        return false;
      }
    };
    expect([serves(false), serves(true)]).toEqual([reads, writes]);
  });

  test("only a tenant that lives elsewhere now, or never arrived, may be purged", () => {
    expect(OWNERSHIP_STATES.filter((s) => PURGEABLE_STATES.has(s))).toEqual(["importing", "moved"]);
  });
});

describe("legal ownership changes", () => {
  test.each<[string, Ownership | undefined, OwnershipChange, string | undefined]>([
    ["a new tenant at epoch 1", undefined, change("active", 1), undefined],
    ["a new tenant at epoch 0", undefined, change("active", 0), "epoch must be an integer of at least 1, got 0"],
    ["a fractional epoch", undefined, change("active", 1.5), "epoch must be an integer of at least 1, got 1.5"],
    ["an unsafe epoch", at("active"), change("fenced", 2 ** 53), "epoch must be an integer of at least 1, got 9007199254740992"],
    ["moved without a destination", at("fenced"), change("moved", 2), "state 'moved' needs moved_to {cell_id, epoch}"],
    ["a destination without moving", at("active"), change("fenced", 3, { cellId: "beta", epoch: 3 }), "moved_to is only for state 'moved', got it with 'fenced'"],
    ["moved to this very cell", at("fenced"), change("moved", 2, { cellId: "alpha", epoch: 2 }), "a tenant cannot move to the cell it is on ('alpha')"],
    ["moved to another cell", at("fenced"), change("moved", 2, { cellId: "beta", epoch: 2 }), undefined],
    ["an older epoch", at("active", 5), change("fenced", 4), "epochs only grow: the tenant is at epoch 5 here, got 4"],
    ["a newer epoch, any state", at("active", 5), change("importing", 6), undefined],
    ["the same epoch: importing to active", at("importing", 5), change("active", 5), undefined],
    ["the same epoch: fenced to moved", at("fenced", 5), change("moved", 5, { cellId: "beta", epoch: 5 }), undefined],
    ["the same epoch: active to fenced", at("active", 5), change("fenced", 5), "'active' -> 'fenced' must bump the epoch (now 5)"],
    ["the same epoch: fenced to active", at("fenced", 5), change("active", 5), "'fenced' -> 'active' must bump the epoch (now 5)"],
    ["the same epoch: moved to active", at("moved", 5, { cellId: "beta", epoch: 5 }), change("active", 5), "'moved' -> 'active' must bump the epoch (now 5)"],
  ])("%s", (_label, current, next, expected) => {
    expect(refusal(current, next)).toBe(expected);
  });

  test("a retried change is recognised field by field", () => {
    const moved = at("moved", 3, { cellId: "beta", epoch: 3 });
    expect(isSameOwnership(moved, change("moved", 3, { cellId: "beta", epoch: 3 }))).toBe(true);
    expect(isSameOwnership(at("active", 3), change("active", 3))).toBe(true);
    expect(isSameOwnership(undefined, change("active", 1))).toBe(false);
    expect(isSameOwnership(moved, change("moved", 4, { cellId: "beta", epoch: 3 }))).toBe(false);
    expect(isSameOwnership(at("active", 3), change("fenced", 3))).toBe(false);
    expect(isSameOwnership(moved, change("moved", 3, { cellId: "gamma", epoch: 3 }))).toBe(false);
    expect(isSameOwnership(moved, change("moved", 3, { cellId: "beta", epoch: 2 }))).toBe(false);
    expect(isSameOwnership(moved, change("moved", 3))).toBe(false);
  });
});

describe("how a refusal reads, and what it answers", () => {
  test.each<[string, Ownership | undefined, string, number, Record<string, unknown>, string | undefined]>([
    ["unknown", undefined, "tenant 'T-1' is not held by this cell", 404, { type: "urn:problem-type:cells:unknown_tenant" }, undefined],
    ["moved", at("moved", 4, { cellId: "beta", epoch: 4 }), "tenant 'T-1' moved to cell 'beta' at epoch 4", 409, { cell: "beta", epoch: 4 }, undefined],
    ["moved, destination unknown", at("moved", 3), "tenant 'T-1' moved to cell '?' at epoch 3", 409, { cell: "", epoch: 3 }, undefined],
    ["fenced", at("fenced"), "tenant 'T-1' is being handed over to another cell; writes are paused, reads still work", 503, { type: "urn:problem-type:cells:tenant_fenced" }, "1"],
    ["importing", at("importing"), "tenant 'T-1' is importing on this cell and not serving yet", 503, { type: "urn:problem-type:cells:tenant_unavailable" }, "5"],
  ])("%s", (_label, ownership, message, status, members, retryAfter) => {
    const error = new TenantNotServedError("T-1", ownership, true);
    expect(error.message).toBe(message);
    expect(error.name).toBe("TenantNotServedError");
    const { problem, headers } = toProblemAnswer(error, "req-1");
    expect(problem).toEqual(expect.objectContaining({ status, detail: message, requestId: "req-1", ...members }));
    expect(headers).toEqual(retryAfter === undefined ? {} : { "retry-after": retryAfter });
  });

  test("ownership conflicts carry the record as it is, or null", () => {
    const current = at("fenced", 2);
    const view = { tenant_id: "T-1", epoch: 2, state: "fenced", moved_to: null, operation: null, updated_at: current.updatedAt };
    expect(toProblemAnswer(new EpochConflictError("T-1", current, "m"), "r").problem).toEqual(expect.objectContaining({ status: 409, current: view }));
    expect(toProblemAnswer(new EpochConflictError("T-1", undefined, "m"), "r").problem).toEqual(expect.objectContaining({ status: 409, current: null }));
    expect(toProblemAnswer(new OwnershipStateError("T-1", current, "m"), "r").problem).toEqual(expect.objectContaining({ status: 409, detail: "m", current: view }));
    expect(toProblemAnswer(new OwnershipStateError("T-1", undefined, "m"), "r").problem).toEqual(expect.objectContaining({ current: null }));
  });

  test("a store failure and a bug say nothing about the internals", () => {
    expect(toProblemAnswer(new StoreUnavailableError("ECONNRESET at 10.0.0.7"), "r")).toEqual({
      problem: expect.objectContaining({ status: 503, detail: "the cell's store did not answer; retry shortly" }),
      headers: { "retry-after": "1" },
    });
    expect(toProblemAnswer(new TypeError("x is undefined at store.ts:12"), "r")).toEqual({
      problem: expect.objectContaining({ status: 500, detail: "the cell could not process the request; see its logs for this requestId" }),
      headers: {},
    });
  });
});
