import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ForgeRefusedError } from '../../../src/forge/forge.js';
import { GitForge, type GitStatusSink } from '../../../src/forge/git/git-forge.js';
import { GitRepository } from '../../../src/forge/git/repository.js';
import { createGitRemote, type GitRemoteFixture } from '../../support/git-remote.js';

let remote: GitRemoteFixture;
let dataDir: string;
let notices: string[];

const sink: GitStatusSink = {
  status: (p) => notices.push(`status ${p.rolloutId}`),
  problems: (commit, problems) => notices.push(`problems ${problems.length}`),
  reply: () => undefined,
  revertProposed: (revert) => notices.push(`proposed ${revert.branch}`),
  revertWithdrawn: (revert, reason) => notices.push(`withdrawn ${revert.branch}: ${reason}`),
};

beforeEach(async () => {
  notices = [];
  remote = await createGitRemote({ files: { '.github/opsbox.yml': 'services: {}\n', 'canary.yaml': 'tag: v2\n' } });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbox-forge-'));
});

afterEach(async () => {
  await remote.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function forge(): Promise<GitForge> {
  return new GitForge(await GitRepository.open(dataDir, remote.remote, 'main'), sink);
}

describe('GitForge', () => {
  it('loads the config at a commit: none, YAML problems with line and column, or the parsed file', async () => {
    const git = await forge();
    const head = await git.repository.fetch();
    expect(await git.loadConfigAt(head, '.github/opsbox.yml')).toMatchObject({ kind: 'config', raw: { services: {} } });
    expect(await git.loadConfigAt(head, '.github/other.yml')).toEqual({ kind: 'none' });
    const broken = await remote.personCommits({ '.github/opsbox.yml': 'services: [\n' }, 'break it');
    await git.repository.fetch();
    const loaded = await git.loadConfigAt(broken, '.github/opsbox.yml');
    expect(loaded.kind).toBe('invalid');
    expect(loaded.kind === 'invalid' && loaded.problems[0]).toMatchObject({ file: '.github/opsbox.yml', line: expect.any(Number), column: expect.any(Number) });
  });

  it('proposes a revert as a pushed branch once, tells open from merged from withdrawn', async () => {
    const git = await forge();
    const repo = git.repoRef;
    const proposal = { branch: 'opsbox/revert/api-v2', title: 'Revert api', body: '', message: 'revert(api): canary back to v1', build: () => [{ path: 'canary.yaml', content: 'tag: v1\n' }] };
    const revert = await git.proposeRevert(repo, proposal);
    expect(revert).toMatchObject({ branch: 'opsbox/revert/api-v2', label: 'opsbox/revert/api-v2' });
    const sha = await git.repository.remoteBranchHead(revert.branch);
    // a replay keeps the branch as it is
    await git.proposeRevert(repo, { ...proposal, build: () => [{ path: 'canary.yaml', content: 'tag: v0\n' }] });
    expect(await git.repository.remoteBranchHead(revert.branch)).toBe(sha);
    expect(notices).toEqual(['proposed opsbox/revert/api-v2']);
    expect(await git.revertStatus(repo, revert)).toBe('open');

    // a person merges it
    await remote.git(['pull', '--quiet', 'origin', 'main']);
    await remote.git(['fetch', '--quiet', 'origin', 'opsbox/revert/api-v2']);
    await remote.git(['merge', '--quiet', '--ff-only', 'FETCH_HEAD']);
    await remote.git(['push', '--quiet', 'origin', 'HEAD:main']);
    expect(await git.revertStatus(repo, revert)).toBe('merged');
    // a merged revert is not withdrawn
    await git.withdrawRevert(repo, revert, 'superseded');
    expect(await git.repository.remoteBranchHead(revert.branch)).toBe(sha);

    const other = await git.proposeRevert(repo, { ...proposal, branch: 'opsbox/revert/api-v3', build: () => [{ path: 'canary.yaml', content: 'tag: v9\n' }] });
    await git.withdrawRevert(repo, other, 'a newer bump');
    expect(await git.revertStatus(repo, other)).toBe('withdrawn');
    expect(notices).toContain('withdrawn opsbox/revert/api-v3: a newer bump');
  });

  it('refuses a revert that changes nothing, a change with a bad path, and another remote', async () => {
    const git = await forge();
    const repo = git.repoRef;
    await expect(git.proposeRevert(repo, { branch: 'opsbox/revert/x', title: '', body: '', message: 'm', build: () => [] })).rejects.toBeInstanceOf(ForgeRefusedError);
    await expect(git.commit(repo, { branch: 'main', message: 'm', build: () => [{ path: '../escape', content: 'x' }] })).rejects.toMatchObject({ code: 'invalid-change' });
    await expect(git.commit({ ...repo, key: '/elsewhere.git' }, { branch: 'main', message: 'm', build: () => [] })).rejects.toBeInstanceOf(ForgeRefusedError);
    expect(await git.roleOf()).toBe('admin');
  });
});
