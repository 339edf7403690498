import { StoreUnavailableError } from "../cells/core";
import { guarded, isStoreUnavailable } from "../cells/azure/cosmos-errors";

/** `guarded` bounds a Cosmos DB call, the SDK's own retries included, and sorts its failures. */
describe("guarded", () => {
  test("a call past its deadline is a StoreUnavailableError at the deadline, and its signal is aborted", async () => {
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const call = guarded("read", (s) => ((signal = s), new Promise<never>(() => {})), 50);
    await expect(call).rejects.toThrow(new StoreUnavailableError("Cosmos DB read did not finish within 50 ms"));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(signal?.aborted).toBe(true);
  });

  test("a call within its deadline passes its answer through, and is not aborted", async () => {
    let signal: AbortSignal | undefined;
    await expect(guarded("read", async (s) => ((signal = s), "answer"), 1_000)).resolves.toBe("answer");
    expect(signal?.aborted).toBe(false);
  });

  test("the SDK's failures: transport and timeouts become StoreUnavailableError, a 412 passes through", async () => {
    const wrappedAbort = new Error("Batch request error: The operation was aborted.");
    const timeout = Object.assign(new Error("Timeout Error"), { code: "TimeoutError" });
    const precondition = Object.assign(new Error("precondition failed"), { code: 412 });
    await expect(guarded("batch", () => Promise.reject(wrappedAbort))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(guarded("read", () => Promise.reject(timeout))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(guarded("write", () => Promise.reject(precondition))).rejects.toBe(precondition);
    expect([wrappedAbort, timeout, precondition].map(isStoreUnavailable)).toEqual([true, true, false]);
  });
});
