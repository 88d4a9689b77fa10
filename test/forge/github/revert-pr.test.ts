import { describe, expect, it } from '@jest/globals';
import type { FileChange } from '../../../src/forge/github/commit.js';
import { GITHUB_ERROR_CODES } from '../../../src/forge/github/errors.js';
import { ensureRevertPullRequest, type RevertPrOptions } from '../../../src/forge/github/revert-pr.js';
import { RevisionCache } from '../../../src/forge/github/revision-cache.js';
import { CANARY, fullName, owner, repo, useFixture } from './fixture.js';

const BRANCH = 'opsbox/revert/api-v2';

function revertOptions(overrides: Partial<RevertPrOptions> = {}): RevertPrOptions {
  return {
    owner,
    repo,
    base: 'main',
    branch: BRANCH,
    title: 'Revert api to v1 (canary v2 failed)',
    body: 'error-rate was 0.12 > 0.05',
    message: 'revert(api): canary back to v1',
    build: async (read): Promise<FileChange[]> => {
      const current = (await read(CANARY)) ?? '';
      return [{ path: CANARY, content: current.replace(/:v\d+/, ':v1') }];
    },
    ...overrides,
  };
}

describe('ensureRevertPullRequest', () => {
  const fixture = useFixture();

  it('creates the branch from the base, commits the change and opens the pull request', async () => {
    const { gh, octokit } = fixture;
    const base = gh.branchSha(fullName, 'main')!;
    const result = await ensureRevertPullRequest(octokit, revertOptions());

    expect(result).toMatchObject({ number: 1, created: true, url: `${gh.url}/acme/manifests/pull/1` });
    const [commit] = gh.log(fullName, BRANCH, { limit: 1 });
    expect(commit).toMatchObject({ sha: result.commitSha, parents: [base], verified: true, message: 'revert(api): canary back to v1' });
    expect(gh.readFile(fullName, BRANCH, CANARY)).toBe('image: ghcr.io/acme/api:v1\n');
    expect(gh.readFile(fullName, 'main', CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
    const [pull] = gh.pullRequests(fullName);
    expect(pull).toMatchObject({ title: 'Revert api to v1 (canary v2 failed)', body: 'error-rate was 0.12 > 0.05', head: { ref: BRANCH }, base: { ref: 'main' } });
  });

  it('with the base head and its files known, makes the branch, the commit and the pull request in three requests', async () => {
    const { gh, octokit } = fixture;
    const base = gh.branchSha(fullName, 'main')!;
    const cache = new RevisionCache();
    cache.setHead(owner, repo, 'main', base);
    cache.setFile(base, CANARY, gh.readFile(fullName, 'main', CANARY)!);
    gh.resetRequests();

    const result = await ensureRevertPullRequest(octokit, revertOptions({ cache }));
    expect(result).toMatchObject({ number: 1, created: true });
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /repos/${fullName}/git/refs`,
      'POST /api/graphql',
      `POST /repos/${fullName}/pulls`,
    ]);
    expect(gh.log(fullName, BRANCH, { limit: 1 })[0].parents).toEqual([base]);
    expect(gh.readFile(fullName, BRANCH, CANARY)).toBe('image: ghcr.io/acme/api:v1\n');
  });

  it('with the base head known, still finds the branch and pull request an earlier call made', async () => {
    const { gh, octokit } = fixture;
    const first = await ensureRevertPullRequest(octokit, revertOptions());
    const cache = new RevisionCache();
    cache.setHead(owner, repo, 'main', gh.branchSha(fullName, 'main')!);

    const second = await ensureRevertPullRequest(octokit, revertOptions({ cache }));
    expect(second).toMatchObject({ number: first.number, created: false });
    expect(gh.pullRequests(fullName)).toHaveLength(1);
  });

  it('is idempotent: a second call finds the same branch and pull request', async () => {
    const { gh, octokit } = fixture;
    const first = await ensureRevertPullRequest(octokit, revertOptions());
    const second = await ensureRevertPullRequest(octokit, revertOptions({ body: 'error-rate was 0.12 > 0.05\n\nupdated evidence' }));

    expect(second).toEqual({ number: first.number, url: first.url, created: false, commitSha: null });
    expect(gh.pullRequests(fullName)).toHaveLength(1);
    expect(gh.pullRequests(fullName)[0].body).toBe('error-rate was 0.12 > 0.05\n\nupdated evidence');
    expect(gh.log(fullName, BRANCH).filter((commit) => commit.message.startsWith('revert('))).toHaveLength(1);
    expect(gh.branches(fullName)).toEqual(['main', BRANCH]);
  });

  it('reuses a branch left by a crash before the pull request was opened, committing only what is missing', async () => {
    const { gh, octokit } = fixture;
    // the branch exists (created before the crash) but has no commit of its own yet
    gh.createBranch(fullName, BRANCH, 'main');
    const result = await ensureRevertPullRequest(octokit, revertOptions({ build: () => [{ path: CANARY, content: 'image: ghcr.io/acme/api:v1\n' }] }));

    expect(result.created).toBe(true);
    expect(gh.readFile(fullName, BRANCH, CANARY)).toBe('image: ghcr.io/acme/api:v1\n');

    // and a branch that already carries the change is not committed to again
    gh.resetRequests();
    const again = await ensureRevertPullRequest(octokit, revertOptions());
    expect(again).toMatchObject({ number: result.number, created: false, commitSha: null });
    expect(gh.requests.filter((request) => request.write).map((request) => request.method)).toEqual([]);
  });

  it('starts a branch left over from an earlier, merged revert afresh from the base', async () => {
    const { gh, octokit } = fixture;
    const earlier = await ensureRevertPullRequest(octokit, revertOptions());
    gh.mergePullRequest(fullName, earlier.number);
    // the bump to v2 lands again later, and fails again
    gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v2\n' }, { message: 'bump api to v2 again' });

    const result = await ensureRevertPullRequest(octokit, revertOptions());
    expect(result).toMatchObject({ number: earlier.number + 1, created: true });
    const [commit] = gh.log(fullName, BRANCH, { limit: 1 });
    expect(commit.parents).toEqual([gh.branchSha(fullName, 'main')]);
    expect(gh.readFile(fullName, BRANCH, CANARY)).toBe('image: ghcr.io/acme/api:v1\n');
  });

  it('says there is nothing to propose when the base already has the change, and leaves no branch behind', async () => {
    const { gh, octokit } = fixture;
    gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v1\n' }, { message: 'manual revert' });
    await expect(ensureRevertPullRequest(octokit, revertOptions())).rejects.toMatchObject({ code: GITHUB_ERROR_CODES.NOTHING_TO_PROPOSE });
    expect(gh.branches(fullName)).toEqual(['main']);
    expect(gh.pullRequests(fullName)).toEqual([]);
  });

  it('returns the pull request another delivery opened between its check and its create', async () => {
    const { gh, octokit } = fixture;
    let concurrent = 0;
    gh.failNext({
      method: 'POST',
      path: '/repos/acme/manifests/pulls',
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for acme:${BRANCH}.` }],
      },
      before: () => {
        concurrent = gh.openPullRequest(fullName, { head: BRANCH, title: 'opened by the other delivery', user: 'opsbox-canary[bot]' }).number;
      },
    });
    const result = await ensureRevertPullRequest(octokit, revertOptions());
    expect(result).toMatchObject({ number: concurrent, created: false });
    expect(gh.pullRequests(fullName)).toHaveLength(1);
    expect(gh.pullRequests(fullName)[0].body).toBe('error-rate was 0.12 > 0.05');
  });
});
