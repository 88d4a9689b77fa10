/**
 * What every RolloutStore must do, as a suite any store's test file runs:
 * `rolloutStoreContract('file store', async () => ({ store, close }))`. The store it opens must be
 * empty. A database-backed store runs the same suite against its own database.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutPhase, RolloutState } from '../../src/rollout/types.js';
import { VersionConflictError, type RolloutStore } from '../../src/state/store.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

export interface OpenedStore {
  store: RolloutStore;
  /** Closes the store and removes what it wrote. */
  close(): Promise<void>;
}

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { setWeight: 50 }],
});

interface Spec {
  id: string;
  repo?: string;
  service?: string;
  phase?: RolloutPhase;
  startedAt: number;
  finishedAt?: number;
}

function rolloutOf(spec: Spec): RolloutState {
  const [owner, repo] = (spec.repo ?? 'acme/manifests').split('/');
  const state = newRollout(
    {
      id: spec.id,
      repo: githubRepoRef({ installationId: 1, owner, repo, defaultBranch: 'main' }),
      service: spec.service ?? 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: 7, title: 'Bump api', url: `https://github.com/${owner}/${repo}/pull/7`, mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    spec.startedAt,
  );
  state.phase = spec.phase ?? 'Progressing';
  if (spec.finishedAt !== undefined) state.finishedAt = spec.finishedAt;
  return state;
}

export function rolloutStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name}: the RolloutStore contract`, () => {
    let opened: OpenedStore[] = [];
    const openStore = async () => {
      const store = await open();
      opened.push(store);
      return store.store;
    };
    const putAll = async (store: RolloutStore, specs: Spec[]) => {
      for (const spec of specs) await store.put(rolloutOf(spec), 0);
    };
    const ids = (page: { rollouts: RolloutState[] }) => page.rollouts.map((state) => state.id);

    afterEach(async () => {
      await Promise.all(opened.map((store) => store.close()));
      opened = [];
    });

    it('versions writes and refuses a stale one', async () => {
      const store = await openStore();
      const state = rolloutOf({ id: 'r1', startedAt: 1000 });
      expect(await store.put(state, 0)).toBe(1);
      expect(await store.put({ ...state, weight: 10 }, 1)).toBe(2);
      await expect(store.put({ ...state, weight: 50 }, 1)).rejects.toBeInstanceOf(VersionConflictError);
      expect((await store.get('r1'))?.state.weight).toBe(10);
    });

    it('lists rollouts that have not ended first, then the newest started first', async () => {
      const store = await openStore();
      await putAll(store, [
        { id: 'ended-new', phase: 'Succeeded', startedAt: 5000, finishedAt: 6000 },
        { id: 'active-old', phase: 'Paused', startedAt: 1000 },
        { id: 'ended-old', phase: 'Aborted', startedAt: 2000, finishedAt: 2500 },
        { id: 'active-new', phase: 'Progressing', startedAt: 3000 },
      ]);
      const page = await store.listRollouts({});
      expect(ids(page)).toEqual(['active-new', 'active-old', 'ended-new', 'ended-old']);
      expect(page.total).toBe(4);
    });

    it('filters by repository, service and phase', async () => {
      const store = await openStore();
      await putAll(store, [
        { id: 'a', repo: 'acme/manifests', service: 'api', startedAt: 1000 },
        { id: 'b', repo: 'acme/manifests', service: 'web', startedAt: 2000, phase: 'Aborted', finishedAt: 2100 },
        { id: 'c', repo: 'acme/other', service: 'api', startedAt: 3000 },
      ]);
      expect(ids(await store.listRollouts({ repository: 'acme/manifests' }))).toEqual(['a', 'b']);
      expect(ids(await store.listRollouts({ service: 'api' }))).toEqual(['c', 'a']);
      expect(ids(await store.listRollouts({ phases: ['Aborted'] }))).toEqual(['b']);
      expect(ids(await store.listRollouts({ repository: 'acme/other', service: 'web' }))).toEqual([]);
    });

    it('filters by time range: started by `until`, still running or finished at `since` or later', async () => {
      const store = await openStore();
      await putAll(store, [
        { id: 'ended-before', phase: 'Succeeded', startedAt: 1000, finishedAt: 1500 },
        { id: 'ended-within', phase: 'Aborted', startedAt: 1000, finishedAt: 2500 },
        { id: 'running', startedAt: 1200 },
        { id: 'started-after', startedAt: 4000 },
      ]);
      expect(ids(await store.listRollouts({ since: 2000, until: 3000 }))).toEqual(['running', 'ended-within']);
    });

    it('pages with offset and limit, and counts every match', async () => {
      const store = await openStore();
      await putAll(store, Array.from({ length: 7 }, (_, i) => ({ id: `r${i}`, startedAt: 1000 + i })));
      const first = await store.listRollouts({ limit: 3 });
      const second = await store.listRollouts({ limit: 3, offset: 3 });
      const last = await store.listRollouts({ limit: 3, offset: 6 });
      expect(ids(first)).toEqual(['r6', 'r5', 'r4']);
      expect(ids(second)).toEqual(['r3', 'r2', 'r1']);
      expect(ids(last)).toEqual(['r0']);
      expect([first.total, second.total, last.total]).toEqual([7, 7, 7]);
      expect(second.offset).toBe(3);
    });

    it('orders rollouts started at the same time by id, so pages neither repeat nor skip one', async () => {
      const store = await openStore();
      await putAll(store, [{ id: 'b', startedAt: 1000 }, { id: 'c', startedAt: 1000 }, { id: 'a', startedAt: 1000 }]);
      const pages = [await store.listRollouts({ limit: 2 }), await store.listRollouts({ limit: 2, offset: 2 })];
      expect(pages.flatMap(ids)).toEqual(['a', 'b', 'c']);
    });

    it('shows the latest write of a rollout, and hands out copies', async () => {
      const store = await openStore();
      const state = rolloutOf({ id: 'r1', startedAt: 1000 });
      await store.put(state, 0);
      await store.put({ ...state, weight: 50, phase: 'Succeeded', finishedAt: 2000 }, 1);
      const [listed] = (await store.listRollouts({})).rollouts;
      expect(listed.weight).toBe(50);
      expect(listed.phase).toBe('Succeeded');
      listed.weight = 99;
      expect((await store.listRollouts({})).rollouts[0].weight).toBe(50);
    });
  });
}
