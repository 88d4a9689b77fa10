import { beforeEach, describe, expect, it } from '@jest/globals';
import { githubContains, reaches } from '../../src/sync/contains.js';
import { fullName, owner, repo, useFixture } from '../forge/github/fixture.js';

describe('whether a revision reaches a commit, asking GitHub', () => {
  const fixture = useFixture();
  let sha: string;

  beforeEach(() => {
    sha = fixture.gh.commitFiles(fullName, 'main', { 'apps/api/vs.yaml': 'weight: 10\n' }, { message: 'weight 10' });
  });

  const reach = (revision: string | undefined) => reaches(githubContains(fixture.octokit), { owner, repo, sha }, revision);

  it('is true for the commit and for a later commit of its history', async () => {
    const later = fixture.gh.commitFiles(fullName, 'main', { 'README.md': 'later\n' }, { message: 'docs' });
    expect(await reach(sha)).toBe(true);
    expect(await reach(later)).toBe(true);
  });

  it('is false for an older commit, a commit beside it, and one GitHub does not know', async () => {
    const parent = (await fixture.octokit.rest.git.getCommit({ owner, repo, commit_sha: sha })).data.parents[0].sha;
    fixture.gh.createBranch(fullName, 'side', parent);
    const beside = fixture.gh.commitFiles(fullName, 'side', { 'x.txt': 'x\n' }, { message: 'x' });
    expect(await reach(parent)).toBe(false);
    expect(await reach(beside)).toBe(false);
    expect(await reach('f'.repeat(40))).toBe(false);
  });

  it('is false, without asking, for what is no commit', async () => {
    fixture.gh.resetRequests();
    expect(await reach(undefined)).toBe(false);
    expect(await reach('4.2.0')).toBe(false);
    expect(await reach(`sha256:${'ab'.repeat(32)}`)).toBe(false);
    expect(fixture.gh.requests).toEqual([]);
  });
});
