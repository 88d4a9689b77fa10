import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, rejection, repo } from './testing.js';

describe('fake GitHub pull requests, comments, checks, statuses and permissions', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    gh.createRepo(owner, repo, { files: { 'apps/api/canary.yaml': 'image: api:v1\n' } });
    octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'installation-token', log: silentLog });
  });

  afterEach(async () => {
    await gh.close();
  });

  it('opens one pull request per head and refuses a second like GitHub', async () => {
    gh.commitFiles(fullName, 'opsbox/revert/api-v2', { 'apps/api/canary.yaml': 'image: api:v0\n' });
    const created = await octokit.rest.pulls.create({ owner, repo, head: 'opsbox/revert/api-v2', base: 'main', title: 'Revert api to v0' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ number: 1, state: 'open', merged: false, head: { ref: 'opsbox/revert/api-v2' }, base: { ref: 'main' } });
    expect(created.data.user?.login).toBe('opsbox-canary[bot]');
    expect(created.data.changed_files).toBe(1);

    const duplicate = await rejection(
      octokit.rest.pulls.create({ owner, repo, head: `${owner}:opsbox/revert/api-v2`, base: 'main', title: 'again' }),
    );
    expect(duplicate.status).toBe(422);
    expect(duplicate.data.errors[0].message).toBe('A pull request already exists for acme:opsbox/revert/api-v2.');

    const listed = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:opsbox/revert/api-v2`, state: 'open' });
    expect(listed.data.map((pull) => pull.number)).toEqual([1]);
    const otherHead = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:elsewhere`, state: 'open' });
    expect(otherHead.data).toEqual([]);
  });

  it('refuses a pull request without commits and one from a missing branch', async () => {
    gh.createBranch(fullName, 'same', 'main');
    const empty = await rejection(octokit.rest.pulls.create({ owner, repo, head: 'same', base: 'main', title: 'nothing' }));
    expect(empty.data.errors[0].message).toBe('No commits between main and same');
    const missing = await rejection(octokit.rest.pulls.create({ owner, repo, head: 'ghost', base: 'main', title: 'x' }));
    expect(missing.data.errors[0]).toMatchObject({ field: 'head', code: 'invalid' });
  });

  it('updates a pull request body and closes it', async () => {
    const { number } = gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: api:v2\n' } });
    const updated = await octokit.rest.pulls.update({ owner, repo, pull_number: number, body: 'new body' });
    expect(updated.data.body).toBe('new body');
    await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
    expect(gh.pullRequests(fullName, { state: 'closed' }).map((pull) => pull.number)).toEqual([number]);
  });

  it('merges a pull request with a merge commit and returns a realistic closed payload', () => {
    const opened = gh.openPullRequest(fullName, {
      head: 'renovate/api-2.x',
      title: 'Update api to v2',
      user: 'renovate[bot]',
      files: { 'apps/api/canary.yaml': 'image: api:v2\n' },
    });
    gh.commitFiles(fullName, 'main', { 'README.md': 'concurrent\n' });
    const merged = gh.mergePullRequest(fullName, opened.number, { mergedBy: 'alice' });

    expect(gh.branchSha(fullName, 'main')).toBe(merged.mergeCommitSha);
    const [mergeCommit] = gh.log(fullName, 'main', { limit: 1 });
    expect(mergeCommit.parents).toEqual([merged.baseSha, opened.headSha]);
    expect(gh.readFile(fullName, 'main', 'apps/api/canary.yaml')).toBe('image: api:v2\n');
    expect(gh.readFile(fullName, 'main', 'README.md')).toBe('concurrent\n');
    expect(gh.readFile(fullName, merged.baseSha, 'apps/api/canary.yaml')).toBe('image: api:v1\n');

    const payload = merged.payload as any;
    expect(payload.action).toBe('closed');
    expect(payload.number).toBe(opened.number);
    expect(payload.pull_request).toMatchObject({
      number: opened.number,
      state: 'closed',
      merged: true,
      merge_commit_sha: merged.mergeCommitSha,
      head: { ref: 'renovate/api-2.x', sha: opened.headSha },
      base: { ref: 'main', sha: merged.baseSha },
      user: { login: 'renovate[bot]', type: 'Bot' },
      merged_by: { login: 'alice' },
    });
    expect(payload.repository).toMatchObject({ full_name: fullName, default_branch: 'main' });
    expect(payload.installation.id).toBe(gh.app.installationId);
    expect(payload.sender.login).toBe('alice');
    // fields only the example has are kept
    expect(payload.pull_request).toHaveProperty('requested_reviewers');
  });

  it('records comment authors and answers reactions with 201 then 200', async () => {
    const { number } = gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: api:v2\n' } });
    const human = gh.createComment(fullName, number, '/promote', { user: 'alice' });
    expect((human.payload as any).comment).toMatchObject({ id: human.id, body: '/promote', user: { login: 'alice' } });
    expect((human.payload as any).issue.pull_request).toBeDefined();

    const bot = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: 'status <!-- opsbox:status -->' });
    expect(bot.data.user).toMatchObject({ login: 'opsbox-canary[bot]', type: 'Bot' });
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: bot.data.id, body: 'edited <!-- opsbox:status -->' });
    const listed = await octokit.rest.issues.listComments({ owner, repo, issue_number: number });
    expect(listed.data.map((comment) => comment.body)).toEqual(['/promote', 'edited <!-- opsbox:status -->']);

    const first = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: human.id, content: 'eyes' });
    const second = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: human.id, content: 'eyes' });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.data.id).toBe(first.data.id);
    expect(gh.reactions(human.id).map((reaction) => [reaction.content, reaction.user.login])).toEqual([['eyes', 'opsbox-canary[bot]']]);

    await octokit.rest.issues.deleteComment({ owner, repo, comment_id: bot.data.id });
    expect(gh.comments(fullName, number).map((comment) => comment.id)).toEqual([human.id]);
    const gone = await rejection(octokit.rest.issues.getComment({ owner, repo, comment_id: bot.data.id }));
    expect(gone.status).toBe(404);
  });

  it('acts as a person with a user token', async () => {
    const { number } = gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: api:v2\n' } });
    const asBob = new Octokit({ baseUrl: gh.apiUrl, auth: gh.userToken('bob'), log: silentLog });
    const comment = await asBob.rest.issues.createComment({ owner, repo, issue_number: number, body: 'hi' });
    expect(comment.data.user).toMatchObject({ login: 'bob', type: 'User' });
  });

  it('pages long comment lists with Link headers', async () => {
    const { number } = gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: api:v2\n' } });
    for (let index = 0; index < 5; index += 1) gh.createComment(fullName, number, `comment ${index}`);
    const firstPage = await octokit.rest.issues.listComments({ owner, repo, issue_number: number, per_page: 2 });
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 2 });
    expect(all.map((comment) => comment.body)).toEqual(['comment 0', 'comment 1', 'comment 2', 'comment 3', 'comment 4']);
  });

  it('creates, updates and lists check runs', async () => {
    const headSha = gh.branchSha(fullName, 'main')!;
    const created = await octokit.rest.checks.create({
      owner,
      repo,
      name: 'opsbox/canary',
      head_sha: headSha,
      status: 'in_progress',
      output: { title: 'Canary api v1 → v2', summary: 'step 1 of 4' },
    });
    expect(created.data).toMatchObject({ status: 'in_progress', conclusion: null, name: 'opsbox/canary' });
    const completed = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: created.data.id,
      conclusion: 'success',
      output: { title: 'Promoted', summary: 'all steps passed' },
    });
    expect(completed.data).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Promoted' } });
    expect(completed.data.completed_at).not.toBeNull();
    const listed = await octokit.rest.checks.listForRef({ owner, repo, ref: headSha });
    expect(listed.data.total_count).toBe(1);
    expect(gh.checkRuns(fullName).map((run) => run.conclusion)).toEqual(['success']);

    const incomplete = await rejection(octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: headSha, status: 'completed' }));
    expect(incomplete.status).toBe(422);
    const tooLong = await rejection(
      octokit.rest.checks.create({ owner, repo, name: 'x', head_sha: headSha, output: { title: 't', summary: 's'.repeat(65536) } }),
    );
    expect(tooLong.status).toBe(422);
  });

  it('combines commit statuses by latest per context', async () => {
    const sha = gh.branchSha(fullName, 'main')!;
    const none = await octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha });
    expect(none.data).toMatchObject({ state: 'pending', total_count: 0 });
    gh.setCommitStatus(fullName, sha, { context: 'argocd/api', state: 'pending' });
    gh.setCommitStatus(fullName, sha, { context: 'argocd/api', state: 'success' });
    const combined = await octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: 'main' });
    expect(combined.data).toMatchObject({ state: 'success', total_count: 1, sha });
    expect(combined.data.statuses[0]).toMatchObject({ context: 'argocd/api', state: 'success' });
  });

  it('answers permissions with GitHub’s legacy permission and role_name', async () => {
    const roles = ['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const;
    for (const role of roles) gh.setPermission(fullName, `user-${role}`, role);
    const answers: Record<string, unknown> = {};
    for (const role of roles) {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: `user-${role}` });
      answers[role] = [data.permission, data.role_name, data.user?.permissions?.push];
    }
    expect(answers).toEqual({
      admin: ['admin', 'admin', true],
      maintain: ['write', 'maintain', true],
      write: ['write', 'write', true],
      triage: ['read', 'triage', false],
      read: ['read', 'read', false],
      none: ['none', 'none', false],
    });
    const stranger = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'stranger' });
    expect(stranger.data.permission).toBe('read');
  });
});
