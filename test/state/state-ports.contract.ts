/**
 * What the claims inbox and the lock port of every backend must do, as suites a backend's test
 * file runs with a function opening an empty backend (`close` removes what it wrote).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { LockPort } from '../../src/state/locks.js';
import type { WorkInbox } from '../../src/state/store.js';

export interface OpenedPorts {
  inbox: WorkInbox;
  locks: LockPort;
  close(): Promise<void>;
}

function opener(open: () => Promise<OpenedPorts>) {
  let opened: OpenedPorts[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((ports) => ports.close()));
    opened = [];
  });
  return async () => {
    const ports = await open();
    opened.push(ports);
    return ports;
  };
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export function workInboxContract(name: string, open: () => Promise<OpenedPorts>): void {
  describe(`${name}: the WorkInbox contract`, () => {
    const openPorts = opener(open);

    it('claims a key once, even when two claims arrive together', async () => {
      const { inbox } = await openPorts();
      const results = await Promise.all([inbox.claimOnce('merge:acme/manifests:abc'), inbox.claimOnce('merge:acme/manifests:abc')]);
      expect(results.sort()).toEqual([false, true]);
      expect(await inbox.claimOnce('merge:acme/manifests:abc')).toBe(false);
      expect(await inbox.claimOnce('merge:acme/manifests:def')).toBe(true);
    });

    it('keeps the work of a claim until it is finished, and refuses the key after', async () => {
      const { inbox } = await openPorts();
      await inbox.claimOnce('merge:acme/manifests:abc', { number: 7, title: 'Bump <api>' });
      await inbox.claimOnce('comment:acme/manifests:55', { command: 'promote' });
      await inbox.claimOnce('merge:acme/manifests:nowork');
      expect((await inbox.unfinishedWork()).sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        { key: 'comment:acme/manifests:55', work: { command: 'promote' } },
        { key: 'merge:acme/manifests:abc', work: { number: 7, title: 'Bump <api>' } },
      ]);
      expect(await inbox.isUnfinished('merge:acme/manifests:abc')).toBe(true);
      await inbox.finishWork('merge:acme/manifests:abc');
      await inbox.finishWork('merge:acme/manifests:abc'); // twice is fine
      expect(await inbox.isUnfinished('merge:acme/manifests:abc')).toBe(false);
      expect(await inbox.isUnfinished('merge:never-claimed')).toBe(false);
      expect((await inbox.unfinishedWork()).map((w) => w.key)).toEqual(['comment:acme/manifests:55']);
      expect(await inbox.claimOnce('merge:acme/manifests:abc', { number: 7 })).toBe(false);
    });
  });
}

export function lockPortContract(name: string, open: () => Promise<OpenedPorts>): void {
  describe(`${name}: the LockPort contract`, () => {
    const openPorts = opener(open);

    it('runs the work of one key one at a time, in arrival order', async () => {
      const { locks } = await openPorts();
      const order: string[] = [];
      const first = gate();
      const a = locks.withLock('rollout:r1', async () => {
        order.push('a starts');
        await first.opened;
        order.push('a ends');
        return 'a';
      });
      const b = locks.withLock('rollout:r1', async () => {
        order.push('b runs');
        return 'b';
      });
      // b must not start while a holds the key; another key is not held up by it
      expect(await locks.withLock('rollout:r2', async () => 'other')).toBe('other');
      first.open();
      expect(await Promise.all([a, b])).toEqual(['a', 'b']);
      expect(order).toEqual(['a starts', 'a ends', 'b runs']);
    });

    it('tries a held key without waiting, and gets it once it is free', async () => {
      const { locks } = await openPorts();
      const held = gate();
      const running = gate();
      const holder = locks.withLock('work:merge:abc', async () => {
        running.open();
        await held.opened;
      });
      await running.opened;
      let ran = false;
      expect(await locks.tryLock('work:merge:abc', async () => (ran = true))).toBeUndefined();
      expect(ran).toBe(false);
      held.open();
      await holder;
      expect(await locks.tryLock('work:merge:abc', async () => 42)).toEqual({ value: 42 });
    });

    it('lets go of a key when its work throws', async () => {
      const { locks } = await openPorts();
      await expect(locks.withLock('rollout:r1', async () => Promise.reject(new Error('GitHub is down')))).rejects.toThrow('GitHub is down');
      expect(await locks.tryLock('rollout:r1', async () => 'next')).toEqual({ value: 'next' });
    });

    it('waits for every holder in idle()', async () => {
      const { locks } = await openPorts();
      let done = false;
      void locks.withLock('rollout:r1', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        done = true;
      });
      await locks.idle();
      expect(done).toBe(true);
      await locks.releaseAll();
    });
  });
}
