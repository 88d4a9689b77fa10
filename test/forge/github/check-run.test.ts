import { beforeEach, describe, expect, it } from '@jest/globals';
import { CHECK_OUTPUT_LIMIT, upsertCheckRun } from '../../../src/forge/github/check-run.js';
import { GITHUB_ERROR_CODES } from '../../../src/forge/github/errors.js';
import { fullName, owner, repo, useFixture } from './fixture.js';

describe('upsertCheckRun', () => {
  const fixture = useFixture();
  let headSha: string;

  beforeEach(() => {
    headSha = fixture.gh.branchSha(fullName, 'main')!;
  });

  it('creates the check run, then updates the same one to completed', async () => {
    const { gh, octokit } = fixture;
    const id = await upsertCheckRun(octokit, { owner, repo, headSha, status: 'in_progress', title: 'Canary api v1 → v2', summary: 'step 1 of 5' });
    const same = await upsertCheckRun(octokit, {
      owner,
      repo,
      headSha,
      checkRunId: id,
      status: 'completed',
      conclusion: 'success',
      title: 'Promoted api v2',
      summary: 'all steps passed',
      text: '| step | result |',
    });

    expect(same).toBe(id);
    const runs = gh.checkRuns(fullName, { headSha });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      id,
      name: 'opsbox/canary',
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Promoted api v2', summary: 'all steps passed', text: '| step | result |' },
    });
  });

  it('creates a new check run when the known one is gone', async () => {
    const { gh, octokit } = fixture;
    const id = await upsertCheckRun(octokit, { owner, repo, headSha, checkRunId: 987654, status: 'queued', title: 't', summary: 's' });
    expect(gh.checkRuns(fullName).map((run) => run.id)).toEqual([id]);
  });

  it('finds the run again by its external id when the saved id was lost (a crash after creating it)', async () => {
    const { gh, octokit } = fixture;
    const base = { owner, repo, headSha, title: 't', summary: 's' };
    const id = await upsertCheckRun(octokit, { ...base, externalId: 'rollout-1', status: 'in_progress' });
    const other = await upsertCheckRun(octokit, { ...base, externalId: 'rollout-2', status: 'in_progress' });
    const again = await upsertCheckRun(octokit, { ...base, externalId: 'rollout-1', status: 'completed', conclusion: 'success' });

    expect(again).toBe(id);
    expect(other).not.toBe(id);
    expect(gh.checkRuns(fullName, { headSha }).map((run) => [run.id, run.status])).toEqual([
      [id, 'completed'],
      [other, 'in_progress'],
    ]);
  });

  it('creates the run with one request, without listing, when no earlier call can have made it', async () => {
    const { gh, octokit } = fixture;
    gh.resetRequests();
    const id = await upsertCheckRun(octokit, { owner, repo, headSha, externalId: 'rollout-1', status: 'in_progress', title: 't', summary: 's', mayExist: false });

    expect(gh.checkRuns(fullName, { headSha }).map((run) => run.id)).toEqual([id]);
    expect(gh.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`POST /repos/${fullName}/check-runs`]);
  });

  it('cuts output to what GitHub accepts and refuses a completed run without a conclusion', async () => {
    const { gh, octokit } = fixture;
    await upsertCheckRun(octokit, { owner, repo, headSha, status: 'in_progress', title: 't', summary: 'x'.repeat(70000), text: 'y'.repeat(70000) });
    const [run] = gh.checkRuns(fullName);
    expect(run.output.summary.length).toBe(CHECK_OUTPUT_LIMIT);
    expect(run.output.text.length).toBe(CHECK_OUTPUT_LIMIT);
    expect(run.output.summary.endsWith('the pull request comment has everything)')).toBe(true);

    await expect(upsertCheckRun(octokit, { owner, repo, headSha, status: 'completed', title: 't', summary: 's' })).rejects.toMatchObject({
      code: GITHUB_ERROR_CODES.INVALID_CHECK_RUN,
    });
  });
});
