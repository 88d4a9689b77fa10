import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { VersionConflictError } from '../../src/state/store.js';

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
      repo: { installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' },
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
    const datasync = jest.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'datasync');
    await probe.close();
    const keys = Array.from({ length: 50 }, (_, i) => `comment:acme/manifests:${i}`);
    try {
      expect(await Promise.all(keys.map((key) => store.claimOnce(key, { i: key })))).toEqual(keys.map(() => true));
      // the first claim's sync, then one for the 49 that arrived meanwhile
      expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
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
});
