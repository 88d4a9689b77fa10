import { describe, expect, it } from '@jest/globals';
import { preflightAgain } from '../../src/preflight/again.js';
import type { PreflightRequest } from '../../src/preflight/run.js';
import { fullName, owner, repo, useFixture } from '../forge/github/fixture.js';

describe('/preflight run again', () => {
  const fixture = useFixture();

  it('checks an open pull request into the default branch with the commits of both its sides', async () => {
    const opened = fixture.gh.openPullRequest(fullName, { head: 'bump-preflight', files: { 'README.md': 'x\n' } });
    const asked: PreflightRequest[] = [];
    const ran = await preflightAgain(fixture.octokit, { installationId: 1, owner, repo, number: opened.number }, async (request) => void asked.push(request));
    expect(ran).toBe(true);
    expect(asked).toEqual([expect.objectContaining({ installationId: 1, number: opened.number, headSha: opened.headSha, fork: false })]);
  });

  it('leaves a merged pull request alone', async () => {
    const opened = fixture.gh.openPullRequest(fullName, { head: 'bump-merged', files: { 'README.md': 'y\n' } });
    fixture.gh.mergePullRequest(fullName, opened.number);
    const asked: PreflightRequest[] = [];
    expect(await preflightAgain(fixture.octokit, { installationId: 1, owner, repo, number: opened.number }, async (request) => void asked.push(request))).toBe(false);
    expect(asked).toEqual([]);
  });
});
