/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently. The Cosmos DB
 * store queues each tenant's writes in this process behind one another, so they stop racing each
 * other for the tenant's ownership item (which every write conditions on) and mostly need one round
 * trip; writers in other processes are still kept honest by the ETag condition itself.
 *
 * Behind a failing store a queue would grow until the caller's own deadline (the router's) passed,
 * and clients would get a 504 instead of a quick 503. So a task may say how long it waits for its
 * turn at most (`waitMs`), and which failures of the task before it it should share rather than run
 * into again (`shedAfter`): a task that gives up or sheds never runs, and the ones behind it still
 * wait for whatever holds the key.
 */
export interface QueueLimit {
  readonly waitMs: number;
  readonly onTimeout: () => Error;
  /** True for a failure of the previous task that this one takes as its own answer without running. */
  readonly shedAfter?: (error: unknown) => boolean;
}

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>, limit?: QueueLimit): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const turn = previous.then(
      () => ({ failed: false as const }),
      (error: unknown) => ({ failed: true as const, error }),
    );
    const result = (limit ? withinWait(turn, limit) : turn.then(() => undefined)).then(task);
    // The next task's turn comes once this one's turn came and it settled; it sees how this one ended.
    const tail = Promise.allSettled([turn, result]).then(([, settled]) => (settled.status === "rejected" ? Promise.reject(settled.reason) : undefined));
    this.tails.set(key, tail);
    const forget = () => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    void tail.then(forget, forget);
    return result;
  }
}

/** Resolves on the turn, or rejects: with `onTimeout()` after `waitMs`, or with a failure to shed. */
function withinWait(turn: Promise<{ failed: false } | { failed: true; error: unknown }>, limit: QueueLimit): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(limit.onTimeout()), limit.waitMs);
    void turn.then((before) => {
      clearTimeout(timer);
      if (before.failed && limit.shedAfter?.(before.error)) reject(before.error);
      else resolve();
    });
  });
}
