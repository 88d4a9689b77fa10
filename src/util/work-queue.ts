/**
 * Runs queued tasks a few at a time. Work handed off by webhooks goes through it so a burst of
 * deliveries does not start hundreds of tasks at once on the one event loop that also has to
 * answer the next deliveries. Urgent tasks (a person waiting for a reply) go before the rest.
 *
 * While tasks keep arriving (a burst of deliveries), fewer run at once (`busyConcurrency`): the
 * event loop then answers the deliveries first, and the rest of the work follows once they stop
 * for `quietMs`. At least one task always runs, so work is never starved by steady traffic.
 */
export interface WorkQueueOptions {
  /** Tasks run at once while tasks arrive less than `quietMs` apart; default: `concurrency`. */
  busyConcurrency?: number;
  quietMs?: number;
  clock?: () => number;
}

export class WorkQueue {
  private readonly urgent: (() => Promise<void>)[] = [];
  private readonly normal: (() => Promise<void>)[] = [];
  private running = 0;
  private readonly settled = new Set<() => void>();
  private readonly busyConcurrency: number;
  private readonly quietMs: number;
  private readonly clock: () => number;
  private lastPushAt = Number.NEGATIVE_INFINITY;
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(private readonly concurrency: number, options: WorkQueueOptions = {}) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
    this.busyConcurrency = Math.min(concurrency, options.busyConcurrency ?? concurrency);
    if (!(this.busyConcurrency >= 1)) throw new RangeError(`busyConcurrency must be at least 1, got ${options.busyConcurrency}`);
    this.quietMs = options.quietMs ?? 0;
    this.clock = options.clock ?? Date.now;
  }

  /** Queues a task; the promise settles with the task. */
  push<T>(task: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => task().then(resolve, reject);
      (options.urgent ? this.urgent : this.normal).push(run);
      this.lastPushAt = this.clock();
      this.next();
    });
  }

  /** Tasks waiting or running. */
  get size(): number {
    return this.running + this.urgent.length + this.normal.length;
  }

  /** Resolves once nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settled.add(resolve));
  }

  private next(): void {
    const busy = this.clock() - this.lastPushAt < this.quietMs;
    const limit = busy ? this.busyConcurrency : this.concurrency;
    while (this.running < limit) {
      const run = this.urgent.shift() ?? this.normal.shift();
      if (!run) break;
      this.running += 1;
      void run().finally(() => {
        this.running -= 1;
        this.next();
        if (this.size === 0) {
          for (const resolve of this.settled) resolve();
          this.settled.clear();
        }
      });
    }
    if (busy && this.urgent.length + this.normal.length > 0) this.wakeWhenQuiet();
  }

  /** Starts the held-back tasks once no task has arrived for `quietMs`. */
  private wakeWhenQuiet(): void {
    if (this.quietTimer) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      this.next();
    }, Math.max(1, this.lastPushAt + this.quietMs - this.clock()));
    // the process does not stay up for it: a stopping app waits on its tasks, which keep running
    this.quietTimer.unref();
  }
}
