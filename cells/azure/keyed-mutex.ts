/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently. The Cosmos DB
 * store queues each tenant's writes in this process behind one another, so they stop racing each
 * other for the tenant's ownership item (which every write conditions on) and mostly need one round
 * trip; writers in other processes are still kept honest by the ETag condition itself.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
