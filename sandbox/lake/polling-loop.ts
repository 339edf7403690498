/**
 * The run loop of a local lake pump: calls `tick` again and again, at once while it finds work and
 * after `idleMs` when it finds none or fails (the next tick retries from the last checkpoint). It can
 * be stopped and started, and tells when the source is drained.
 */

/** What one tick found: `busy` (it delivered something; look again at once) or `idle` (nothing new). */
export type TickResult = "busy" | "idle";

interface Waiter {
  /** Ticks started before the wait began do not count: they may have missed what was written just before. */
  readonly afterTick: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class PollingLoop {
  private running = false;
  private current: Promise<void> | undefined;
  private sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private ticksStarted = 0;
  private waiters: Waiter[] = [];
  /** The last tick's error, until a tick succeeds. */
  lastError: Error | undefined;

  constructor(
    private readonly name: string,
    private readonly tick: () => Promise<TickResult>,
    private readonly idleMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.current = this.loop();
  }

  /** Stops after the tick in progress (a delivery is never cut in half). Waiters are rejected. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleep?.wake();
    await this.current;
    this.current = undefined;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.name} was stopped before it caught up`));
    }
  }

  /** Resolves after a whole tick that started after this call found nothing new; rejects after `timeoutMs`. */
  caughtUp(timeoutMs: number): Promise<void> {
    if (!this.running) return Promise.reject(new Error(`${this.name} is stopped; start it first`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        afterTick: this.ticksStarted,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`${this.name} did not catch up within ${timeoutMs} ms${this.lastError ? ` (last error: ${this.lastError.message})` : ""}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      this.sleep?.wake(); // look now rather than after the idle pause
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const tick = ++this.ticksStarted;
      let result: TickResult | "failed";
      try {
        result = await this.tick();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error instanceof Error ? error : new Error(String(error));
        this.onError(this.lastError);
        result = "failed";
      }
      if (result === "idle") {
        for (const w of this.waiters.filter((w) => w.afterTick < tick)) {
          clearTimeout(w.timer);
          w.resolve();
        }
        this.waiters = this.waiters.filter((w) => w.afterTick >= tick);
      }
      if (result !== "busy" && this.running) {
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, this.idleMs);
          this.sleep = { timer, wake: () => (clearTimeout(timer), wake()) };
        });
        this.sleep = undefined;
      }
    }
  }
}
