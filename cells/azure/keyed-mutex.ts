/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently. The Cosmos DB
 * store queues each tenant's writes in this process behind one another, so they stop racing each
 * other for the tenant's ownership item (which every write conditions on) and mostly need one round
 * trip; writers in other processes are still kept honest by the ETag condition itself.
 *
 * A task may bound its wait: behind a slow or frozen store a queue would otherwise grow until the
 * caller's own deadline (the router's) passes, and the client would get a 504 instead of a quick 503.
 * A task that waited too long never runs; the ones behind it still wait for the task that holds the key.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>, limit?: { readonly waitMs: number; readonly onTimeout: () => Error }): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const turn = previous.then(
      () => undefined,
      () => undefined,
    );
    const result = (limit ? withinWait(turn, limit.waitMs, limit.onTimeout) : turn).then(task);
    const tail = Promise.allSettled([turn, result]);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** `turn`, or a rejection with `onTimeout()` when it has not come within `waitMs`. */
function withinWait(turn: Promise<void>, waitMs: number, onTimeout: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), waitMs);
    void turn.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
