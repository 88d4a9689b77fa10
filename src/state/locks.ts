/**
 * The per-key lock every piece of work on a rollout (and on a claimed piece of work) runs under.
 * With one process the lock lives in memory; with several replicas on one database it is a lease
 * held in the database (postgres/leases.ts), so each rollout is driven by one replica at a time.
 */

export interface LockPort {
  /**
   * Runs `work` holding the lock of `key`, in arrival order within this process. Waits (bounded)
   * while another holder has it; throws when it cannot get it in time (the caller tries again later).
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` if the lock of `key` is free now; `undefined` (nothing run) when it is held. */
  tryLock<T>(key: string, work: () => Promise<T>): Promise<{ value: T } | undefined>;
  /** Resolves when no work holds or waits for a lock in this process (bounded). */
  idle(): Promise<void>;
  /** Lets go of every lock this process holds in a shared place (shutdown), so others take over at once. */
  releaseAll(): Promise<void>;
}

/** Lock keys: one namespace per kind of thing locked. */
export const rolloutLockKey = (id: string): string => `rollout:${id}`;
export const workLockKey = (claim: string): string => `work:${claim}`;

/** Locks of one process: a queue of promises per key. */
export class InProcessLocks implements LockPort {
  private readonly tails = new Map<string, Promise<unknown>>();

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.tails.set(key, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === current) this.tails.delete(key);
    }
  }

  async tryLock<T>(key: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.tails.has(key)) return undefined;
    return { value: await this.withLock(key, work) };
  }

  /** Whether some work holds or waits for `key` here. */
  held(key: string): boolean {
    return this.tails.has(key);
  }

  get size(): number {
    return this.tails.size;
  }

  async idle(): Promise<void> {
    for (let round = 0; round < 100 && this.tails.size > 0; round++) await Promise.allSettled([...this.tails.values()]);
  }

  async releaseAll(): Promise<void> {
    // nothing shared to let go of: the process's memory goes with it
  }
}
