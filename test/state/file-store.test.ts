import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { constants } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { VersionConflictError } from '../../src/state/store.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }],
});

function rollout(id: string, startedAt = 1000) {
  return newRollout(
    {
      id,
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: 7, title: 'Bump', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
}

describe('file rollout store', () => {
  let dir: string;
  let opened: FileRolloutStore[] = [];
  const openStore = async (where: string) => {
    const store = await FileRolloutStore.open(where);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'opsbox-store-'));
  });

  afterEach(async () => {
    await Promise.all(opened.map((store) => store.close()));
    opened = [];
    await rm(dir, { recursive: true, force: true });
  });

  it('writes versions, refuses a stale write, and reloads what it wrote', async () => {
    const store = await openStore(dir);
    const state = rollout('acme/manifests#7/api');
    expect(await store.put(state, 0)).toBe(1);
    expect(await store.put({ ...state, weight: 10, wakeAt: 5000 }, 1)).toBe(2);
    await expect(store.put({ ...state, weight: 50 }, 1)).rejects.toBeInstanceOf(VersionConflictError);

    const reopened = await openStore(dir);
    const stored = await reopened.get('acme/manifests#7/api');
    expect(stored?.version).toBe(2);
    expect(stored?.state.weight).toBe(10);
    expect(reopened.dueIds(4999)).toEqual([]);
    expect(reopened.dueIds(5000)).toEqual(['acme/manifests#7/api']);
  });

  it('hands out copies, so a caller cannot change stored state without a write', async () => {
    const store = await openStore(dir);
    await store.put(rollout('a'), 0);
    const copy = await store.get('a');
    copy!.state.weight = 99;
    expect((await store.get('a'))?.state.weight).toBe(0);
  });

  it('ignores the temp file of a write interrupted before its rename', async () => {
    const store = await openStore(dir);
    await store.put(rollout('a'), 0);
    await writeFile(path.join(dir, 'rollouts', 'a-0123.json.99.1.tmp'), '{"half":');
    const reopened = await openStore(dir);
    expect((await reopened.list()).map((r) => r.id)).toEqual(['a']);
  });

  it('lists newest first', async () => {
    const store = await openStore(dir);
    await store.put(rollout('old', 1000), 0);
    await store.put(rollout('new', 2000), 0);
    expect((await store.list()).map((r) => r.id)).toEqual(['new', 'old']);
  });

  it('claims a key once, even when two claims race', async () => {
    const store = await openStore(dir);
    const results = await Promise.all([store.claimOnce('merge:acme/manifests:abc'), store.claimOnce('merge:acme/manifests:abc')]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.claimOnce('merge:acme/manifests:abc')).toBe(false);
    expect(await store.claimOnce('merge:acme/manifests:def')).toBe(true);
  });

  it('syncs claims that arrive together in shared batches, each one durable when it returns', async () => {
    const store = await openStore(dir);
    const probe = await open(path.join(dir, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as FileHandle;
    const appendFile = jest.spyOn(prototype, 'appendFile');
    const datasync = jest.spyOn(prototype, 'datasync');
    await probe.close();
    const keys = Array.from({ length: 50 }, (_, i) => `comment:acme/manifests:${i}`);
    try {
      expect(await Promise.all(keys.map((key) => store.claimOnce(key, { i: key })))).toEqual(keys.map(() => true));
      // the first claim's write, then one for the 49 that arrived meanwhile
      expect(appendFile.mock.calls.length).toBeLessThanOrEqual(2);
      const journalFd = (appendFile.mock.contexts[0] as FileHandle).fd;
      if (constants.O_DSYNC) {
        // each write is synced by the kernel before it returns: the descriptor carries O_DSYNC
        expect(datasync).not.toHaveBeenCalled();
        if (process.platform === 'linux') {
          const flags = /^flags:\s*([0-7]+)$/m.exec(await readFile(`/proc/self/fdinfo/${journalFd}`, 'utf8'))![1];
          expect(Number.parseInt(flags, 8) & constants.O_DSYNC).toBe(constants.O_DSYNC);
        }
      } else {
        expect(datasync.mock.calls.length).toBe(appendFile.mock.calls.length);
      }
    } finally {
      appendFile.mockRestore();
      datasync.mockRestore();
    }
    const lines = (await readFile(path.join(dir, 'claims.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).claim).sort()).toEqual([...keys].sort());
  });

  it('ignores a journal line cut short by a crash, and forgets old finished claims on open', async () => {
    const old = Date.now() - 30 * 24 * 3600 * 1000;
    await writeFile(
      path.join(dir, 'claims.jsonl'),
      [
        JSON.stringify({ claim: 'merge:old', at: old }),
        JSON.stringify({ done: 'merge:old' }),
        JSON.stringify({ claim: 'merge:recent', at: Date.now(), work: { n: 1 } }),
        '{"claim":"merge:cut","at":17',
      ].join('\n'),
    );
    const store = await openStore(dir);
    expect(await store.unfinishedWork()).toEqual([{ key: 'merge:recent', work: { n: 1 } }]);
    expect(await store.claimOnce('merge:cut')).toBe(true);
    expect(await store.claimOnce('merge:old')).toBe(true); // past the retention: a redelivery this late is not expected
  });

  it('keeps claimed work across a restart until it is finished, and still refuses repeats after', async () => {
    const store = await openStore(dir);
    await store.claimOnce('merge:acme/manifests:abc', { number: 7 });
    await store.claimOnce('merge:acme/manifests:def');

    const reopened = await openStore(dir);
    expect(await reopened.unfinishedWork()).toEqual([{ key: 'merge:acme/manifests:abc', work: { number: 7 } }]);
    await reopened.finishWork('merge:acme/manifests:abc');
    expect(await reopened.unfinishedWork()).toEqual([]);
    expect(await reopened.claimOnce('merge:acme/manifests:abc', { number: 7 })).toBe(false);
  });

  describe('archive of ended rollouts', () => {
    const DAY = 86_400_000;
    const RETENTION = 30 * DAY;

    /** A rollout of pull request `number` that ended at `finishedAt`. */
    function ended(number: number, finishedAt: number, patch: Partial<RolloutState> = {}): RolloutState {
      const state = rollout(`acme/manifests#${number}/api`, finishedAt - 1000);
      return { ...state, source: { ...state.source, number }, phase: 'Aborted', finishedAt, updatedAt: finishedAt, ...patch };
    }

    const filesIn = async (sub: string) => (await readdir(path.join(dir, sub))).filter((name) => name.endsWith('.json'));

    it('archives a rollout once the retention has passed since it ended, and leaves running and recent ones loaded', async () => {
      let now = 100 * DAY;
      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      await store.put(ended(1, now - DAY), 0);
      await store.put(rollout('acme/manifests#2/api', now - 60 * DAY), 0); // still running, however old
      await store.put(ended(3, now - DAY, { outbox: [{ id: 1, type: 'publishStatus', final: true }] }), 0); // work left

      now += RETENTION - DAY - 1;
      expect(await store.archiveEnded()).toBe(0);
      now += 1;
      expect(await store.archiveEnded()).toBe(1);

      expect((await store.list()).map((r) => r.id).sort()).toEqual(['acme/manifests#2/api', 'acme/manifests#3/api']);
      expect(await filesIn('archive')).toHaveLength(1);
      expect(await filesIn('rollouts')).toHaveLength(2);
    });

    it('lists only loaded rollouts: an archived one leaves the listing but is still found by id', async () => {
      let now = 100 * DAY;
      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      await store.put(ended(1, now - DAY), 0);
      await store.put(ended(2, now), 0);
      expect((await store.listRollouts({})).total).toBe(2);
      now += RETENTION - DAY;
      expect(await store.archiveEnded()).toBe(1);

      const page = await store.listRollouts({});
      expect(page.rollouts.map((r) => r.id)).toEqual(['acme/manifests#2/api']);
      expect(page.total).toBe(1);
      expect((await store.get('acme/manifests#1/api'))?.state.phase).toBe('Aborted');
    });

    it('does not load archived rollouts at open, and finds them by id, pull request and service', async () => {
      const now = 100 * DAY;
      const first = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(first);
      await first.put(ended(1, now - 40 * DAY, { revert: { branch: 'opsbox/revert/api-v2', url: 'https://github.com/acme/manifests/pull/9', label: '#9', thread: { number: 9 }, native: { number: 9 } } }), 0);
      await first.put(ended(4, now - 35 * DAY, { startedAt: now - 36 * DAY }), 0);
      await first.put(rollout('acme/manifests#5/api', now - DAY), 0);
      expect(await first.archiveEnded()).toBe(2);
      await first.close();

      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      expect((await store.list()).map((r) => r.id)).toEqual(['acme/manifests#5/api']);
      expect(store.dueIds(Number.MAX_SAFE_INTEGER)).toEqual([]);

      expect((await store.get('acme/manifests#1/api'))?.state.phase).toBe('Aborted');
      expect((await store.forPullRequest('acme', 'manifests', 1)).map((r) => r.id)).toEqual(['acme/manifests#1/api']);
      // its revert pull request leads to it too
      expect((await store.forPullRequest('acme', 'manifests', 9)).map((r) => r.id)).toEqual(['acme/manifests#1/api']);
      expect(await store.forPullRequest('acme', 'manifests', 8)).toEqual([]);
      // the running one is newer than every archived one; without it, the newest archived one
      expect((await store.latestFor('acme', 'manifests', 'api'))?.id).toBe('acme/manifests#5/api');
      expect((await store.latestFor('acme', 'other', 'api'))?.id).toBeUndefined();
      // nothing archived became loaded by these reads
      expect((await store.list()).map((r) => r.id)).toEqual(['acme/manifests#5/api']);
    });

    it('finds the newest archived rollout of a service when none is loaded', async () => {
      const now = 100 * DAY;
      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      await store.put(ended(1, now - 50 * DAY, { startedAt: now - 51 * DAY }), 0);
      await store.put(ended(4, now - 40 * DAY, { startedAt: now - 41 * DAY }), 0);
      expect(await store.archiveEnded()).toBe(2);
      expect((await store.latestFor('acme', 'manifests', 'api'))?.id).toBe('acme/manifests#4/api');
    });

    it('brings an archived rollout back when it is written (a command on it), with its version', async () => {
      let now = 100 * DAY;
      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      expect(await store.put(ended(1, now - 40 * DAY), 0)).toBe(1);
      expect(await store.archiveEnded()).toBe(1);

      const archived = await store.get('acme/manifests#1/api');
      await expect(store.put({ ...archived!.state, weight: 5 }, 0)).rejects.toBeInstanceOf(VersionConflictError);
      // a /retry makes it run again
      expect(await store.put({ ...archived!.state, phase: 'Progressing', finishedAt: undefined, wakeAt: now }, archived!.version)).toBe(2);
      expect(await filesIn('archive')).toEqual([]);
      expect(await filesIn('rollouts')).toHaveLength(1);
      expect(store.dueIds(now)).toEqual(['acme/manifests#1/api']);
      expect((await store.forPullRequest('acme', 'manifests', 1)).map((r) => r.phase)).toEqual(['Progressing']);

      // once it ends again, it is archived again after the retention
      const stored = await store.get('acme/manifests#1/api');
      await store.put({ ...stored!.state, phase: 'Succeeded', finishedAt: now, wakeAt: undefined }, stored!.version);
      now += RETENTION;
      expect(await store.archiveEnded()).toBe(1);
      expect((await store.get('acme/manifests#1/api'))?.state.phase).toBe('Succeeded');
      expect((await store.forPullRequest('acme', 'manifests', 1)).map((r) => r.phase)).toEqual(['Succeeded']);
    });

    it('archives what ended before the retention after it opens, then on a scheduler tick once an hour', async () => {
      let now = 100 * DAY;
      const first = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(first);
      await first.put(ended(1, now - 31 * DAY), 0);
      await first.put(ended(2, now - 10 * DAY), 0);
      await first.close();
      // written by a version without an archive: the first open moves the old one
      await rm(path.join(dir, 'archive'), { recursive: true });

      const migrating = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(migrating);
      await migrating.close(); // waits for the pass the open started
      expect(await filesIn('archive')).toHaveLength(1);
      expect(await filesIn('rollouts')).toHaveLength(1);

      const store = await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now });
      opened.push(store);
      expect((await store.list()).map((r) => r.id)).toEqual(['acme/manifests#2/api']);

      now += 20 * DAY;
      store.dueIds(now - 20 * DAY + 1000); // within the hour since the last pass: nothing starts
      expect((await store.list()).map((r) => r.id)).toEqual(['acme/manifests#2/api']);
      store.dueIds(now);
      await store.close(); // waits for the pass the tick started
      expect(await filesIn('rollouts')).toEqual([]);
      expect((await FileRolloutStore.open(dir, { retentionMs: RETENTION, clock: () => now }).then((s) => (opened.push(s), s.list()))).length).toBe(0);
    });
  });
});
