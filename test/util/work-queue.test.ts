import { describe, expect, it } from '@jest/globals';
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
});
