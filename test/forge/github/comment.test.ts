import { beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { appBotLogin } from '../../../src/forge/github/app-login.js';
import { addReaction, postComment, upsertComment } from '../../../src/forge/github/comment.js';
import { silentLog } from '../../support/fake-github/index.js';
import { fullName, owner, repo, useFixture } from './fixture.js';

const MARKER = '<!-- opsbox:status rollout=api-1 -->';

describe('comments', () => {
  const fixture = useFixture();
  let issueNumber: number;
  /** Asks the fake GitHub's `GET /app` as the app (a JWT), like the running app does. */
  let ownLogin: () => Promise<string>;

  beforeEach(() => {
    ownLogin = appBotLogin(async () => new Octokit({ baseUrl: fixture.gh.apiUrl, auth: 'header.payload.signature', log: silentLog }));
    issueNumber = fixture.gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: v3\n' } }).number;
  });

  it('creates the status comment with its marker, then edits it in place by id', async () => {
    const { gh, octokit } = fixture;
    const id = await upsertComment(octokit, { owner, repo, issueNumber, body: '## Canary: step 1', marker: MARKER, ownLogin });
    const same = await upsertComment(octokit, { owner, repo, issueNumber, commentId: id, body: '## Canary: step 2', marker: MARKER, ownLogin });

    expect(same).toBe(id);
    expect(gh.comments(fullName, issueNumber).map((comment) => [comment.id, comment.body])).toEqual([[id, `## Canary: step 2\n\n${MARKER}`]]);
  });

  it('finds its own comment by marker after a crash lost the id, instead of posting a second one', async () => {
    const { gh, octokit } = fixture;
    const lost = await upsertComment(octokit, { owner, repo, issueNumber, body: `${MARKER}\n## Canary: step 1`, marker: MARKER, ownLogin });
    // a person quoting the marker is not the app's comment
    gh.createComment(fullName, issueNumber, `> ${MARKER}\nwhy did it stop?`, { user: 'alice' });
    gh.resetRequests();

    const found = await upsertComment(octokit, { owner, repo, issueNumber, body: `${MARKER}\n## Canary: step 2`, marker: MARKER, ownLogin });
    expect(found).toBe(lost);
    const bodies = gh.comments(fullName, issueNumber).map((comment) => comment.body);
    expect(bodies).toEqual([`${MARKER}\n## Canary: step 2`, `> ${MARKER}\nwhy did it stop?`]);
    // the list, the app's own login (to be sure the marked comment is its own), the edit
    expect(gh.requests.map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual([
      `GET /repos/${fullName}/issues/${issueNumber}/comments`,
      'GET /app',
      `PATCH /repos/${fullName}/issues/comments/${lost}`,
    ]);
  });

  it("edits only its own comment: a marker planted by another bot is left alone", async () => {
    const { gh, octokit } = fixture;
    const planted = gh.createComment(fullName, issueNumber, `${MARKER}\nplanted`, { user: 'mallory-ci[bot]' });
    gh.resetRequests();

    const created = await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 1', marker: MARKER, ownLogin });
    expect(created).not.toBe(planted.id);
    // after a crash lost the id, the app's comment is found again past the planted one
    const found = await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 2', marker: MARKER, ownLogin });
    expect(found).toBe(created);

    expect(gh.comments(fullName, issueNumber).map((comment) => [comment.user.login, comment.body])).toEqual([
      ['mallory-ci[bot]', `${MARKER}\nplanted`],
      [gh.app.botLogin, `step 2\n\n${MARKER}`],
    ]);
    // the app's slug is asked once
    expect(gh.requests.filter((request) => request.path === '/app')).toHaveLength(1);
  });

  it('does not ask for its login when no bot comment carries the marker', async () => {
    const { gh, octokit } = fixture;
    gh.createComment(fullName, issueNumber, `> ${MARKER}\nquoted by a person`, { user: 'alice' });
    gh.resetRequests();
    await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 1', marker: MARKER, ownLogin });
    expect(gh.requests.map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual([
      `GET /repos/${fullName}/issues/${issueNumber}/comments`,
      `POST /repos/${fullName}/issues/${issueNumber}/comments`,
    ]);
  });

  it('posts without searching for the marker when no earlier call can have made the comment', async () => {
    const { gh, octokit } = fixture;
    gh.resetRequests();
    const id = await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 1', marker: MARKER, mayExist: false, ownLogin });

    expect(gh.comments(fullName, issueNumber).map((comment) => comment.id)).toEqual([id]);
    expect(gh.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('posts the comment again when the known one was deleted', async () => {
    const { gh, octokit } = fixture;
    const id = await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 1', marker: MARKER, ownLogin });
    await octokit.rest.issues.deleteComment({ owner, repo, comment_id: id });
    const again = await upsertComment(octokit, { owner, repo, issueNumber, commentId: id, body: 'step 2', marker: MARKER, ownLogin });
    expect(again).not.toBe(id);
    expect(gh.comments(fullName, issueNumber).map((comment) => comment.body)).toEqual([`step 2\n\n${MARKER}`]);
  });

  it('searches every page of a long discussion for the marker', async () => {
    const { gh, octokit } = fixture;
    const id = await upsertComment(octokit, { owner, repo, issueNumber, body: 'step 1', marker: MARKER, ownLogin });
    for (let index = 0; index < 105; index += 1) gh.createComment(fullName, issueNumber, `chatter ${index}`);
    // another rollout's marker on a later page must not be confused with this one
    const other = await upsertComment(octokit, { owner, repo, issueNumber, body: 'other', marker: '<!-- opsbox:status rollout=api-2 -->', ownLogin });
    expect(other).not.toBe(id);
    const found = await upsertComment(octokit, { owner, repo, issueNumber, body: 'other, updated', marker: '<!-- opsbox:status rollout=api-2 -->', ownLogin });
    expect(found).toBe(other);
  });

  it('posts one-off replies and reacts once per content', async () => {
    const { gh, octokit } = fixture;
    const command = gh.createComment(fullName, issueNumber, '/pause', { user: 'alice' });
    const replyId = await postComment(octokit, { owner, repo, issueNumber, body: 'Paused by @alice.' });
    const first = await addReaction(octokit, { owner, repo, commentId: command.id, content: 'eyes' });
    const second = await addReaction(octokit, { owner, repo, commentId: command.id, content: 'eyes' });

    expect(gh.comments(fullName, issueNumber).map((comment) => [comment.id, comment.user.login])).toEqual([
      [command.id, 'alice'],
      [replyId, 'opsbox-canary[bot]'],
    ]);
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(gh.reactions(command.id).map((reaction) => reaction.content)).toEqual(['eyes']);
  });
});
