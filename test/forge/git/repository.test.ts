import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commitWithCas, GitPushConflictError } from '../../../src/forge/git/commit-change.js';
import { GitRepository, isRemoteUrl, normalizeRemote, repositoryKey } from '../../../src/forge/git/repository.js';
import { createGitRemote, type GitRemoteFixture } from '../../support/git-remote.js';
import { GitCommandError } from '../../../src/forge/git/git-cli.js';

let remote: GitRemoteFixture;
let dataDir: string;

beforeEach(async () => {
  remote = await createGitRemote({ files: { 'apps/a.yaml': 'weight: 0\n', 'apps/b.yaml': 'tag: v1\n', 'analysis/t.yaml': 'kind: X\n' } });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbox-data-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

describe('GitRepository', () => {
  it('fetches the branch and reads files and folders at a commit', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    const head = await repo.fetch();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await repo.readFile(head, 'apps/a.yaml')).toBe('weight: 0\n');
    expect(await repo.readFile(head, 'apps/missing.yaml')).toBeNull();
    expect(await repo.readFile(head, 'apps')).toBeNull();
    expect(await repo.listFiles(head, 'apps/')).toEqual(['apps/a.yaml', 'apps/b.yaml']);
    expect(await repo.listFiles(head, 'analysis/t.yaml')).toEqual(['analysis/t.yaml']);
    expect(await repo.listFiles(head, 'nowhere')).toBeNull();
    // a second open reuses the copy
    const again = await GitRepository.open(dataDir, remote.remote, 'main');
    expect(again.dir).toBe(repo.dir);
    expect(await again.head()).toBe(head);
  });

  it('walks first-parent commits since a known one, oldest first', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    const first = await repo.fetch();
    const second = await remote.personCommits({ 'apps/b.yaml': 'tag: v2\n' }, 'bump b to v2');
    const third = await remote.personCommits({ 'apps/b.yaml': 'tag: v3\n' }, 'bump b to v3');
    const head = await repo.fetch();
    expect(head).toBe(third);
    expect(await repo.firstParentSince(first, head, 10)).toEqual([second, third]);
    expect(await repo.firstParentSince(first, head, 1)).toEqual([second]);
    const info = await repo.commitInfo(third);
    expect(info).toMatchObject({ sha: third, parent: second, subject: 'bump b to v3', author: 'Pat Person' });
    expect(await repo.contains(third, first)).toBe(true);
    expect(await repo.contains(first, third)).toBe(false);
  });

  it('commits without a working tree and finds its own commit by message', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    const message = 'canary(b): weight 10% → v2\n\nOpsBox-Rollout: r1\nOpsBox-Step: 1/2';
    const result = await commitWithCas(repo, { message, build: async (read) => [{ path: 'apps/a.yaml', content: (await read('apps/a.yaml'))!.replace('0', '10') }] });
    expect(result).toMatchObject({ skipped: false, attempts: 1 });
    expect(await remote.show('apps/a.yaml')).toBe('weight: 10\n');
    expect(await remote.show('apps/b.yaml')).toBe('tag: v1\n');
    expect(await repo.findCommitWithMessage(await repo.head(), message)).toBe(result.sha);
    expect(await repo.findCommitWithMessage(await repo.head(), 'something else')).toBeNull();
    // the same change again is already in place: nothing is pushed
    const replay = await commitWithCas(repo, { message, build: async (read) => ((await read('apps/a.yaml')) === 'weight: 10\n' ? [] : [{ path: 'apps/a.yaml', content: 'weight: 10\n' }]) });
    expect(replay).toMatchObject({ skipped: true, sha: null });
    expect(await remote.subjects()).toEqual(['Initial manifests', 'canary(b): weight 10% → v2']);
  });

  it('rebuilds the change on the new head when a person pushed meanwhile (the push is the compare-and-swap)', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    let builds = 0;
    const conflicts: number[] = [];
    const result = await commitWithCas(repo, {
      message: 'canary: weight 10%',
      sleep: async () => undefined,
      onConflict: (attempt) => conflicts.push(attempt),
      build: async (read) => {
        builds++;
        // the person pushes between our read and our push, once
        if (builds === 1) await remote.personCommits({ 'apps/b.yaml': 'tag: v2\n' }, 'a person edits b');
        return [{ path: 'apps/a.yaml', content: `${(await read('apps/a.yaml'))!.trim()} # seen b=${(await read('apps/b.yaml'))!.trim()}\n` }];
      },
    });
    expect(builds).toBe(2);
    expect(conflicts).toEqual([1]);
    expect(result.attempts).toBe(2);
    expect(await remote.subjects()).toEqual(['Initial manifests', 'a person edits b', 'canary: weight 10%']);
    // built on the person's change, which is kept
    expect(await remote.show('apps/a.yaml')).toBe('weight: 0 # seen b=tag: v2\n');
    expect(await remote.show('apps/b.yaml')).toBe('tag: v2\n');
  });

  it('gives up after the bounded attempts when the branch keeps moving', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    let n = 0;
    const attempt = commitWithCas(repo, {
      message: 'never lands',
      maxAttempts: 2,
      sleep: async () => undefined,
      build: async () => {
        n++;
        await remote.personCommits({ 'apps/b.yaml': `tag: v${n + 10}\n` }, `person ${n}`);
        return [{ path: 'apps/a.yaml', content: 'weight: 99\n' }];
      },
    });
    await expect(attempt).rejects.toBeInstanceOf(GitPushConflictError);
    expect(n).toBe(2);
    expect(await remote.subjects()).toEqual(['Initial manifests', 'person 1', 'person 2']);
  });

  it('pushes and deletes another branch', async () => {
    const repo = await GitRepository.open(dataDir, remote.remote, 'main');
    const head = await repo.fetch();
    const sha = await repo.commit(head, [{ path: 'apps/b.yaml', content: 'tag: v0\n' }], 'revert b');
    expect(await repo.remoteBranchHead('opsbox/revert/b-v1')).toBeNull();
    expect(await repo.push(sha, 'opsbox/revert/b-v1')).toBe(true);
    expect(await repo.remoteBranchHead('opsbox/revert/b-v1')).toBe(sha);
    expect(await remote.show('apps/b.yaml', 'opsbox/revert/b-v1')).toBe('tag: v0\n');
    await repo.deleteBranch('opsbox/revert/b-v1');
    await repo.deleteBranch('opsbox/revert/b-v1');
    expect(await repo.remoteBranchHead('opsbox/revert/b-v1')).toBeNull();
  });
});

describe('remote names', () => {
  it('tells URLs from paths and makes paths absolute', () => {
    expect(isRemoteUrl('https://git.example/acme/manifests.git')).toBe(true);
    expect(isRemoteUrl('git@git.example:acme/manifests.git')).toBe(true);
    expect(isRemoteUrl('../manifests')).toBe(false);
    expect(normalizeRemote('m.git', '/srv')).toBe('/srv/m.git');
    expect(repositoryKey('/srv/manifests.git', 'main')).toMatch(/^manifests-[0-9a-f]{8}$/);
    expect(repositoryKey('/srv/manifests.git', 'main')).not.toBe(repositoryKey('/srv/manifests.git', 'prod'));
  });
});

describe('credentials in a remote URL', () => {
  it('are never in the message of a failed git command', () => {
    const error = new GitCommandError(['fetch', 'https://bot:ghp_secret123@git.example.com/acme/manifests.git'], 128, 'fatal: could not read from https://bot:ghp_secret123@git.example.com/acme/manifests.git', false);
    expect(error.message).not.toContain('ghp_secret123');
    expect(error.message).toContain('https://***@git.example.com/acme/manifests.git');
  });
});
