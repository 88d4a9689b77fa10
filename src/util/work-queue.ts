/**
 * Runs queued tasks a few at a time. Work handed off by webhooks goes through it so a burst of
 * deliveries does not start hundreds of tasks at once on the one event loop that also has to
 * answer the next deliveries. Urgent tasks (a person waiting for a reply) go before the rest.
 */
export class WorkQueue {
  private readonly urgent: (() => Promise<void>)[] = [];
  private readonly normal: (() => Promise<void>)[] = [];
  private running = 0;
  private readonly settled = new Set<() => void>();

  constructor(private readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  }

  /** Queues a task; the promise settles with the task. */
  push<T>(task: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => task().then(resolve, reject);
      (options.urgent ? this.urgent : this.normal).push(run);
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
    while (this.running < this.concurrency) {
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
  }
}
