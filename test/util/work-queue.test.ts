import { describe, expect, it, jest } from '@jest/globals';
import { WorkQueue } from '../../src/util/work-queue.js';

/** A task that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('WorkQueue', () => {
  it('runs at most `concurrency` tasks at once, urgent ones first, and settles each with its task', async () => {
    const queue = new WorkQueue(2);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    const task = (name: string) => () => {
      started.push(name);
      const g = gate();
      gates.set(name, g);
      return g.opened.then(() => name);
    };
    const results = [queue.push(task('a')), queue.push(task('b')), queue.push(task('c')), queue.push(task('urgent'), { urgent: true })];
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    expect(queue.size).toBe(4);

    gates.get('a')!.open();
    await results[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'urgent']);

    for (const name of ['b', 'urgent']) gates.get(name)!.open();
    await new Promise((resolve) => setImmediate(resolve));
    gates.get('c')!.open();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'urgent']);
    await queue.idle();
    expect(queue.size).toBe(0);
  });

  it('passes a task’s failure to its caller and goes on with the next', async () => {
    const queue = new WorkQueue(1);
    const failing = queue.push(async () => {
      throw new Error('boom');
    });
    const next = queue.push(async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });

  it('refuses a concurrency below one', () => {
    expect(() => new WorkQueue(0)).toThrow('concurrency must be at least 1, got 0');
  });

  it('runs one task at a time while tasks keep arriving, and all of them once arrivals pause', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const queue = new WorkQueue(3, { busyConcurrency: 1, quietMs: 100 });
      const started: string[] = [];
      const gates = new Map<string, ReturnType<typeof gate>>();
      const task = (name: string) => () => {
        started.push(name);
        const g = gate();
        gates.set(name, g);
        return g.opened.then(() => name);
      };
      const results = ['a', 'b', 'c'].map((name) => queue.push(task(name)));
      expect(started).toEqual(['a']);

      // still a burst: another arrival 60 ms later holds the rest back again
      jest.advanceTimersByTime(60);
      results.push(queue.push(task('d')));
      expect(started).toEqual(['a']);
      // the one running task finishing lets the next start, burst or not
      gates.get('a')!.open();
      await results[0];
      await Promise.resolve();
      expect(started).toEqual(['a', 'b']);

      jest.advanceTimersByTime(99);
      expect(started).toEqual(['a', 'b']);
      jest.advanceTimersByTime(1);
      expect(started).toEqual(['a', 'b', 'c', 'd']);

      for (const name of ['b', 'c', 'd']) gates.get(name)!.open();
      expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a busy concurrency below one', () => {
    expect(() => new WorkQueue(2, { busyConcurrency: 0 })).toThrow('busyConcurrency must be at least 1, got 0');
  });
});
