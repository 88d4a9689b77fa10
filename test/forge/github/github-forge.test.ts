import { describe, expect, it } from '@jest/globals';
import { ForgeRefusedError, ForgeUnavailableError, isRetryable, type RepoRef, type StatusPublication } from '../../../src/forge/forge.js';
import { asForgeError } from '../../../src/forge/github/forge-errors.js';
import { GITHUB_ERROR_CODES, GitHubEditError } from '../../../src/forge/github/errors.js';
import { GitHubForge, githubRepoRef } from '../../../src/forge/github/github-forge.js';
import { RevisionCache } from '../../../src/forge/github/revision-cache.js';
import { ForgeRegistry } from '../../../src/forge/registry.js';
import { buildRolloutView } from '../../../src/report/view.js';
import { abortedAfterFailingMetric, context } from '../../report/rollouts.js';
import { CANARY, fullName, githubForge, owner, repo, useFixture, VIRTUAL_SERVICE } from './fixture.js';

const REPO: RepoRef = githubRepoRef({ installationId: 1, owner, repo, defaultBranch: 'main' });

describe('the GitHub adapter of the forge port', () => {
  const fixture = useFixture();

  it('proposes a revert as a pull request, reads its status and withdraws it once', async () => {
    const { gh, octokit } = fixture;
    const forge = githubForge(octokit);
    const revert = await forge.proposeRevert(REPO, {
      branch: 'opsbox/revert/api-v3',
      title: 'Revert api to v2',
      body: 'the canary failed',
      message: 'revert(api): canary back to v2',
      build: () => [{ path: CANARY, content: 'image: ghcr.io/acme/api:v1\n' }],
    });
    const [pull] = gh.pullRequests(fullName, { state: 'open' });
    expect(revert).toEqual({ branch: 'opsbox/revert/api-v3', url: pull.html_url, label: `#${pull.number}`, thread: { number: pull.number }, native: { number: pull.number } });
    expect(await forge.revertStatus(REPO, revert)).toBe('open');

    await forge.withdrawRevert(REPO, revert, '/retry by @alice runs the canary again');
    expect(await forge.revertStatus(REPO, revert)).toBe('withdrawn');
    const notes = () => gh.comments(fullName, pull.number).map((c) => String(c.body));
    expect(notes()).toEqual(['Closed: /retry by @alice runs the canary again.']);
    // a replay after a crash neither comments again nor reopens it
    await forge.withdrawRevert(REPO, revert, 'again');
    expect(notes()).toHaveLength(1);
  });

  it('says a merged revert is merged', async () => {
    const { gh, octokit } = fixture;
    const forge = githubForge(octokit);
    const revert = await forge.proposeRevert(REPO, {
      branch: 'opsbox/revert/api-v4',
      title: 'Revert',
      body: '',
      message: 'revert(api)',
      build: () => [{ path: CANARY, content: 'image: ghcr.io/acme/api:v1\n' }],
    });
    gh.mergePullRequest(fullName, revert.thread!.number);
    expect(await forge.revertStatus(REPO, revert)).toBe('merged');
  });

  describe('publishing the status view', () => {
    function publication(overrides: Partial<StatusPublication> & { failureAt?: number } = {}): StatusPublication {
      const pr = fixture.gh.openPullRequest(fullName, { head: `bump-${Math.random().toString(36).slice(2)}`, files: { [CANARY]: 'image: ghcr.io/acme/api:v3\n' } });
      const state = abortedAfterFailingMetric();
      const view = buildRolloutView(state, context(state.updatedAt));
      return { rolloutId: state.id, thread: { number: pr.number }, commit: fixture.gh.branchSha(fullName, 'main')!, view, mayExist: false, final: true, failureAt: state.failure!.at, ...overrides };
    }
    const failureComments = (number: number) => fixture.gh.comments(fullName, number).filter((c) => String(c.body).includes('opsbox:failure'));

    it('posts the failure notice of a failure once, and a new one for a later failure', async () => {
      const forge = githubForge(fixture.octokit);
      const first = publication();
      const ref = await forge.publishStatus(REPO, first);
      expect(ref).toMatchObject({ forge: 'github', failureNoticeAt: first.failureAt, native: { commentId: expect.any(Number), checkRunId: expect.any(Number), failureCommentId: expect.any(Number) } });
      expect(failureComments(first.thread.number)).toHaveLength(1);

      // the same failure again (a replayed update): nothing new
      fixture.gh.resetRequests();
      expect(await forge.publishStatus(REPO, { ...first, previous: ref })).toEqual(ref);
      expect(fixture.gh.requests).toEqual([]);

      // after /retry, a second failure notifies people again with a comment of its own
      const later = await forge.publishStatus(REPO, { ...first, previous: ref, failureAt: first.failureAt! + 60_000 });
      expect(later.failureNoticeAt).toBe(first.failureAt! + 60_000);
      expect(later.native.failureCommentId).not.toBe(ref.native.failureCommentId);
      expect(later.native.commentId).toBe(ref.native.commentId);
      expect(failureComments(first.thread.number)).toHaveLength(2);
    });

    it('links to the status comment once there is one', async () => {
      const forge = githubForge(fixture.octokit, { serverUrl: 'https://ghe.acme.internal/' });
      const first = publication({ final: false });
      const ref = await forge.publishStatus(REPO, first);
      const pull = `https://ghe.acme.internal/acme/manifests/pull/${first.thread.number}`;
      expect(forge.threadUrl(REPO, first.thread)).toBe(pull);
      expect(forge.threadUrl(REPO, first.thread, ref)).toBe(`${pull}#issuecomment-${ref.native.commentId}`);
      expect(forge.commitUrl(REPO, 'abc')).toBe('https://ghe.acme.internal/acme/manifests/commit/abc');
    });
  });

  it('answers, acknowledges and tells roles through comments, reactions and collaborator permissions', async () => {
    const { gh, octokit } = fixture;
    const forge = githubForge(octokit);
    const pr = gh.openPullRequest(fullName, { head: 'bump', files: { [CANARY]: 'image: ghcr.io/acme/api:v3\n' } });
    const command = gh.createComment(fullName, pr.number, '/status', { user: 'alice' });
    gh.setPermission(fullName, 'alice', 'maintain');
    gh.setPermission(fullName, 'mallory', 'none');

    await forge.acknowledge(REPO, { id: String(command.id) });
    await forge.reply(REPO, { number: pr.number }, { kind: 'reply', view: { kind: 'invalid', user: 'alice', command: '/promote', problem: 'it takes no argument' } });
    expect(gh.reactions(command.id).map((r) => r.content)).toEqual(['eyes']);
    expect(String(gh.comments(fullName, pr.number).at(-1)?.body)).toContain('@alice');
    expect(await forge.roleOf(REPO, 'alice')).toBe('maintain');
    expect(await forge.roleOf(REPO, 'mallory')).toBe('none');
  });

  it('reads files a snapshot retained without a request, and commits on top without reading again', async () => {
    const { gh, octokit } = fixture;
    const revisions = new RevisionCache();
    const forge = githubForge(octokit, { revisions });
    const head = gh.branchSha(fullName, 'main')!;
    const snapshot = await forge.readSnapshot(REPO, head, { files: [CANARY, VIRTUAL_SERVICE] });
    expect(snapshot.parentSha).toBeNull(); // the repository's first commit
    await snapshot.retain('main');

    gh.resetRequests();
    expect(await forge.filesAt(REPO, head).readOptional(CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
    expect(gh.requests).toEqual([]);

    const made = await forge.commit(REPO, { branch: 'main', message: 'canary(api): weight 10%', build: async (read) => [{ path: CANARY, content: `${await read(CANARY)}# edited\n` }] });
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/graphql']);
    expect(made.sha).toBe(gh.branchSha(fullName, 'main'));
    expect(await forge.findOwnCommit(REPO, 'main', 'canary(api): weight 10%')).toBe(made.sha);
    expect(await forge.contains(REPO, head, made.sha!)).toBe(true);
    expect(await forge.contains(REPO, made.sha!, head)).toBe(false);

    // the change already in place: nothing to commit
    expect(await forge.commit(REPO, { branch: 'main', message: 'again', build: async (read) => [{ path: CANARY, content: await read(CANARY) }] })).toEqual({ sha: null });
  });

  it('has a commitStatus sync gate and no other', () => {
    const forge = githubForge(fixture.octokit);
    expect(forge.syncGate(REPO, 'commitStatus')?.name).toBe('commitStatus');
    expect(forge.syncGate(REPO, 'argocd')).toBeUndefined();
  });

  it('turns GitHub failures into forge errors that say whether to retry', async () => {
    const { gh, octokit } = fixture;
    const forge = githubForge(octokit);
    gh.failNext({ method: 'GET', path: `/repos/${fullName}/commits`, status: 502, message: 'Bad Gateway' });
    const unavailable = await forge.findOwnCommit(REPO, 'main', 'x').catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(ForgeUnavailableError);
    expect(unavailable).toMatchObject({ retryable: true, status: 502, code: 'host-unavailable' });
    expect((unavailable as Error).message).toContain('Bad Gateway');

    const missing = await forge.commit({ ...REPO, defaultBranch: 'gone' }, { branch: 'gone', message: 'x', build: () => [] }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ForgeRefusedError);
    expect(missing).toMatchObject({ retryable: false, code: 'branch-not-found' });
  });
});

describe('authentication of an installation', () => {
  it('retries a token request that got no answer, and names the installation', async () => {
    const forge = new GitHubForge({
      auth: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      },
      appLogin: async () => 'opsbox-canary[bot]',
      serverUrl: 'http://127.0.0.1',
    });
    const error = await forge.findOwnCommit(REPO, 'main', 'x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ForgeUnavailableError);
    expect((error as Error).message).toBe('authenticating as installation 1 failed: connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('forge errors from GitHub answers', () => {
  it('classifies by status and keeps what is not an answer of GitHub', () => {
    const answer = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
    for (const status of [500, 502, 429, 403, 409]) expect(isRetryable(asForgeError(answer(status)))).toBe(true);
    for (const status of [400, 404, 422]) expect(asForgeError(answer(status))).toBeInstanceOf(ForgeRefusedError);
    const conflict = new GitHubEditError(GITHUB_ERROR_CODES.CONFLICT_RETRIES_EXHAUSTED, 'main kept moving', { status: 409 });
    expect(asForgeError(conflict)).toMatchObject({ retryable: true, code: 'conflict-retries-exhausted' });
    const manifest = new Error('apps/api/vs.yaml:3:5: no route to api-canary');
    expect(asForgeError(manifest)).toBe(manifest);
    expect(isRetryable(manifest)).toBe(false);
  });
});

describe('the forge registry', () => {
  const fixture = useFixture();

  it('picks the adapter of a repository and refuses a forge this process does not serve', () => {
    const forge = githubForge(fixture.octokit);
    const registry = new ForgeRegistry([forge]);
    expect(registry.of(REPO)).toBe(forge);
    expect(() => registry.of({ forge: 'git', key: '/srv/manifests.git' })).toThrow(ForgeRefusedError);
    expect(() => registry.of({ forge: 'git', key: '/srv/manifests.git' })).toThrow('/srv/manifests.git is on forge "git", which this process does not serve (it serves: github)');
  });
});
