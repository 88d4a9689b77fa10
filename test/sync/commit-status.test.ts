import { beforeEach, describe, expect, it } from '@jest/globals';
import { syncSchema } from '../../src/config/opsbox.schema.js';
import { commitStatusGate } from '../../src/sync/commit-status.js';
import { checkGates, configuredGates, type SyncGate, type SyncTarget } from '../../src/sync/gate.js';
import { fullName, owner, repo, useFixture } from '../forge/github/fixture.js';

describe('the commit status gate', () => {
  const fixture = useFixture();
  let sha: string;
  let target: SyncTarget;

  beforeEach(() => {
    sha = fixture.gh.commitFiles(fullName, 'main', { 'apps/api/vs.yaml': 'weight: 10\n' }, { message: 'weight 10' });
    target = { owner, repo, branch: 'main', sha, sync: syncSchema.parse({ commitStatus: 'argocd/api' }) };
  });

  const gate = () => commitStatusGate(fixture.octokit);

  it('waits until the named status is successful', async () => {
    expect(await gate().check(target)).toEqual({ state: 'pending', detail: `status argocd/api has not been reported on ${sha.slice(0, 7)}` });
    fixture.gh.setCommitStatus(fullName, sha, { state: 'pending', context: 'argocd/api' });
    fixture.gh.setCommitStatus(fullName, sha, { state: 'success', context: 'ci/build' });
    expect(await gate().check(target)).toMatchObject({ state: 'pending', detail: `status argocd/api is pending on ${sha.slice(0, 7)}` });
    fixture.gh.setCommitStatus(fullName, sha, { state: 'success', context: 'argocd/api' });
    expect(await gate().check(target)).toEqual({ state: 'applied', detail: `status argocd/api is success on ${sha.slice(0, 7)}` });
  });

  it('fails on a failed status, with its description', async () => {
    fixture.gh.setCommitStatus(fullName, sha, { state: 'failure', context: 'argocd/api', description: 'sync failed: admission webhook denied' });
    expect(await gate().check(target)).toEqual({
      state: 'failed',
      detail: `status argocd/api is failure on ${sha.slice(0, 7)}: sync failed: admission webhook denied`,
    });
  });

  it('counts a success on a later commit of the branch that contains this one', async () => {
    const later = fixture.gh.commitFiles(fullName, 'main', { 'README.md': 'later\n' }, { message: 'docs' });
    fixture.gh.setCommitStatus(fullName, later, { state: 'success', context: 'argocd/api' });
    fixture.gh.resetRequests();
    expect(await gate().check(target)).toEqual({
      state: 'applied',
      detail: `status argocd/api is success on ${later.slice(0, 7)} (on ${later.slice(0, 7)}, which contains ${sha.slice(0, 7)})`,
    });
    // the branch's statuses name its head: no separate read of the branch
    expect(fixture.gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/acme/manifests/commits/${sha}/status`,
      `GET /repos/acme/manifests/commits/${sha}/check-runs`,
      'GET /repos/acme/manifests/commits/main/status',
      `GET /repos/acme/manifests/compare/${sha}...${later}`,
    ]);
  });

  it('does not count a success on a branch head that does not contain the commit', async () => {
    fixture.gh.createBranch(fullName, 'other', 'main');
    const elsewhere = fixture.gh.commitFiles(fullName, 'other', { 'README.md': 'x\n' }, { message: 'x' });
    fixture.gh.setCommitStatus(fullName, elsewhere, { state: 'success', context: 'argocd/api' });
    expect((await gate().check({ ...target, branch: 'other', sha })).state).toBe('applied'); // other was branched from main: it contains sha
    const unrelated = fixture.gh.commitFiles(fullName, 'main', { 'a.txt': 'a\n' }, { message: 'a' });
    expect((await gate().check({ ...target, sha: unrelated, branch: 'other' })).state).toBe('pending');
  });
});

describe('combining gates', () => {
  const fixed = (name: SyncGate['name'], state: 'applied' | 'pending' | 'failed'): SyncGate => ({
    name,
    check: async () => ({ state, detail: `${name} ${state}` }),
  });
  const target = { owner, repo, branch: 'main', sha: 'a'.repeat(40), sync: syncSchema.parse({}) };

  it('needs every gate applied, and the first failure decides', async () => {
    expect(await checkGates([fixed('commitStatus', 'applied'), fixed('argocd', 'applied')], target)).toEqual({
      state: 'applied',
      detail: 'commitStatus applied; argocd applied',
    });
    expect(await checkGates([fixed('commitStatus', 'applied'), fixed('argocd', 'pending')], target)).toEqual({ state: 'pending', detail: 'argocd pending' });
    expect((await checkGates([fixed('commitStatus', 'pending'), fixed('flux', 'failed')], target)).state).toBe('failed');
  });

  it('lists the gates a config asks for', () => {
    expect(configuredGates(syncSchema.parse({ delay: '10s' }))).toEqual([]);
    expect(configuredGates(syncSchema.parse({ commitStatus: 'argocd/api', flux: { kustomization: 'api' } }))).toEqual(['commitStatus', 'flux']);
  });
});
