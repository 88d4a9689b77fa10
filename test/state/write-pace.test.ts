import { describe, expect, it } from '@jest/globals';
import { ProbotOctokit } from 'probot';
import { paceWrites } from '../../src/state/write-pace.js';

describe('pacing GitHub writes through a shared pace', () => {
  it('makes writes wait for their installation slot, and lets reads through', async () => {
    const taken: number[] = [];
    const octokit = new ProbotOctokit({
      throttle: { enabled: false },
      retry: { enabled: false },
      request: { fetch: async () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }) },
    });
    paceWrites(octokit, 42, { take: async (installationId) => void taken.push(installationId) });
    paceWrites(octokit, 42, { take: async () => void taken.push(-1) }); // a second call adds no second hook
    await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'manifests' });
    await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo: 'manifests', issue_number: 7, body: 'hi' });
    await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { owner: 'acme', repo: 'manifests', check_run_id: 1 });
    expect(taken).toEqual([42, 42]);
  });
});
