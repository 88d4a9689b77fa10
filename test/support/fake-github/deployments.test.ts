import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, repo } from './testing.js';

describe('fake GitHub: deployments', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;
  let first: string;
  let head: string;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    first = gh.createRepo(owner, repo, { files: { 'a.txt': '1\n' } }).headSha;
    head = gh.commitFiles(fullName, 'main', { 'a.txt': '2\n' });
    octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 't', log: silentLog });
  });

  afterEach(async () => {
    await gh.close();
  });

  const status = (error: unknown) => (error as { status?: number }).status;

  it('refuses a ref behind the default branch unless auto_merge is false, and an unknown ref', async () => {
    await expect(octokit.rest.repos.createDeployment({ owner, repo, ref: first, required_contexts: [] })).rejects.toMatchObject({ status: 409 });
    const created = await octokit.rest.repos.createDeployment({ owner, repo, ref: first, auto_merge: false, required_contexts: [], environment: 'staging' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ sha: first, environment: 'staging', task: 'deploy', production_environment: false });
    const unknown = await octokit.rest.repos.createDeployment({ owner, repo, ref: 'no-such-branch' }).catch((e: unknown) => e);
    expect(status(unknown)).toBe(422);
  });

  it('checks the commit statuses of required_contexts (all of them by default)', async () => {
    gh.setCommitStatus(fullName, head, { state: 'failure', context: 'ci' });
    await expect(octokit.rest.repos.createDeployment({ owner, repo, ref: head })).rejects.toMatchObject({ status: 409 });
    const created = await octokit.rest.repos.createDeployment({ owner, repo, ref: head, required_contexts: [] });
    expect(created.status).toBe(201);
  });

  it('lists statuses newest first, refuses an unknown state, and marks earlier successful deployments of a non-production environment inactive', async () => {
    const make = async () => (await octokit.rest.repos.createDeployment({ owner, repo, ref: head, required_contexts: [], environment: 'staging' })).data as { id: number };
    const a = await make();
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: a.id, state: 'success', log_url: 'http://x/1' });
    const b = await make();
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: b.id, state: 'in_progress' });
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: b.id, state: 'success' });
    const statuses = await octokit.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: a.id });
    expect(statuses.data.map((s) => s.state)).toEqual(['inactive', 'success']);
    const bad = await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: b.id, state: 'done' as never }).catch((e: unknown) => e);
    expect(status(bad)).toBe(422);
    const listed = await octokit.rest.repos.listDeployments({ owner, repo, environment: 'staging' });
    expect(listed.data.map((d) => d.id)).toEqual([b.id, a.id]);
  });
});
