import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';
import { rolloutFileName } from '../../src/state/archive.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { migrateState, migrateWork } from '../../src/state/migrate.js';

/** Rollouts saved by the version before the forge port, exactly as it wrote them. */
const FIXTURES = fileURLToPath(new URL('../fixtures/state/', import.meta.url));
const ID = 'acme/manifests#1/api';
const LEGACY_KEYS = ['statusCommentId', 'checkRunId', 'failureCommentId', 'statusDigest', 'revertPr'];

async function fixture(name: string): Promise<{ state: Record<string, unknown>; version: number }> {
  return JSON.parse(await readFile(path.join(FIXTURES, name), 'utf8'));
}

describe('saved rollouts of the version before the forge port', () => {
  const dirs: string[] = [];
  const stores: FileRolloutStore[] = [];

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function dataDirWith(name: string, where: 'rollouts' | 'archive'): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-migrate-'));
    dirs.push(dir);
    await mkdir(path.join(dir, where), { recursive: true });
    await copyFile(path.join(FIXTURES, name), path.join(dir, where, rolloutFileName(ID)));
    return dir;
  }

  async function open(dir: string): Promise<FileRolloutStore> {
    const store = await FileRolloutStore.open(dir);
    stores.push(store);
    return store;
  }

  it('loads a paused rollout with a neutral repository and status reference, GitHub ids kept in them', async () => {
    const old = await fixture('paused-inconclusive.json');
    const store = await open(await dataDirWith('paused-inconclusive.json', 'rollouts'));
    const stored = await store.get(ID);
    expect(stored?.version).toBe(old.version);
    const state = stored!.state;
    expect(state.repo).toEqual(githubRepoRef({ installationId: 7777, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }));
    expect(state.statusRef).toEqual({
      forge: 'github',
      native: { commentId: 1008, checkRunId: 1009, commentDigest: 'FjYtA363byPgDdhxCS2S0l', checkRunDigest: 'ukjnnB5K7XQNapcyA_lOiD' },
    });
    for (const key of LEGACY_KEYS) expect(state).not.toHaveProperty(key);
    // everything else is as it was saved
    const { repo: _repo, statusCommentId: _c, checkRunId: _r, statusDigest: _d, ...rest } = old.state;
    expect(state).toMatchObject(rest);
    expect(state.phase).toBe('Paused');
    // and it is still due, found by the pull request that started it
    expect((await store.forPullRequest('acme', 'manifests', 1)).map((s) => s.id)).toEqual([ID]);
  });

  it('loads an aborted rollout: the revert pull request becomes the revert reference, the failure comment that of this failure', async () => {
    const old = await fixture('aborted-with-revert.json');
    const store = await open(await dataDirWith('aborted-with-revert.json', 'rollouts'));
    const state = (await store.get(ID))!.state;
    const pr = old.state.revertPr as { number: number; url: string };
    expect(state.revert).toEqual({ branch: 'opsbox/revert/api-v2', url: pr.url, label: '#2', thread: { number: 2 }, native: { number: 2 } });
    expect(state.statusRef).toMatchObject({
      forge: 'github',
      failureNoticeAt: (old.state.failure as { at: number }).at,
      native: { commentId: 1008, checkRunId: 1009, failureCommentId: 1013, failureDigest: '-4CTeRcZ4D0jyzz2I-7sHS' },
    });
    for (const key of LEGACY_KEYS) expect(state).not.toHaveProperty(key);
    // a command on the revert pull request still finds the rollout
    expect((await store.forPullRequest('acme', 'manifests', 2)).map((s) => s.id)).toEqual([ID]);
  });

  it('migrates an archived rollout when it is read', async () => {
    const store = await open(await dataDirWith('aborted-with-revert.json', 'archive'));
    const state = (await store.get(ID))!.state;
    expect(state.repo.forge).toBe('github');
    expect(state.revert?.label).toBe('#2');
    for (const key of LEGACY_KEYS) expect(state).not.toHaveProperty(key);
  });

  it('renames pending effects, keeping the pull request a pending close names', async () => {
    const old = (await fixture('aborted-with-revert.json')).state;
    const raw = {
      ...old,
      outbox: [
        { id: 20, type: 'report', final: true, urgent: true, at: 1, started: true },
        { id: 21, type: 'openRevertPr' },
        { id: 22, type: 'closeRevertPr', number: 2, reason: '/retry by @alice runs the canary of v2 again' },
        { id: 23, type: 'closeRevertPr', number: 5, reason: 'an older one' },
      ],
    };
    const state = migrateState(raw);
    expect(state.outbox).toEqual([
      { id: 20, type: 'publishStatus', final: true, urgent: true, at: 1, started: true },
      { id: 21, type: 'proposeRevert' },
      { id: 22, type: 'withdrawRevert', revert: state.revert, reason: '/retry by @alice runs the canary of v2 again' },
      { id: 23, type: 'withdrawRevert', revert: expect.objectContaining({ label: '#5', native: { number: 5 } }), reason: 'an older one' },
    ]);
  });

  it('leaves a state in today\'s shape as it is', async () => {
    const once = migrateState((await fixture('aborted-with-revert.json')).state);
    expect(migrateState(structuredClone(once))).toEqual(once);
  });

  it('forgets a half-known status (one id of two): the next update finds its objects by marker', async () => {
    const old = (await fixture('paused-inconclusive.json')).state;
    const state = migrateState({ ...old, checkRunId: undefined });
    expect(state.statusRef).toBeUndefined();
    for (const key of LEGACY_KEYS) expect(state).not.toHaveProperty(key);
  });

  it('migrates work claimed before the change: a merge to start and a command to run', () => {
    const merge = migrateWork('merge:acme/manifests:abc', {
      repo: { installationId: 7, owner: 'acme', repo: 'manifests', defaultBranch: 'main' },
      number: 3,
      mergeSha: 'abc',
    });
    expect(merge).toEqual({ repo: githubRepoRef({ installationId: 7, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }), number: 3, mergeSha: 'abc' });

    const command = migrateWork('comment:acme/manifests:11', { installationId: 7, owner: 'acme', repo: 'manifests', issueNumber: 3, commentId: 11, author: 'alice' });
    expect(command).toEqual({ repo: githubRepoRef({ installationId: 7, owner: 'acme', repo: 'manifests', defaultBranch: '' }), issueNumber: 3, commentId: 11, author: 'alice' });
    expect(migrateWork('comment:acme/manifests:11', command)).toEqual(command);
  });
});
