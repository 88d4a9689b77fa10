import { describe, expect, it } from '@jest/globals';
import { ProbotOctokit } from 'probot';
import { githubBackoffDelay, commitChange, type FileChange } from '../../../src/forge/github/commit.js';
import { GITHUB_ERROR_CODES, GitHubEditError } from '../../../src/forge/github/errors.js';
import { RevisionCache } from '../../../src/forge/github/revision-cache.js';
import { silentLog } from '../../support/fake-github/index.js';
import { CANARY, fullName, owner, recordingSleep, repo, useFixture, VIRTUAL_SERVICE, virtualService } from './fixture.js';

/** Sets the canary weight from whatever the file says now, as the traffic providers do. */
function setWeight(weight: number) {
  return async (read: (path: string) => Promise<string | null>): Promise<FileChange[]> => {
    const current = await read(VIRTUAL_SERVICE);
    if (current === null) throw new Error('missing virtual service');
    return [{ path: VIRTUAL_SERVICE, content: current.replace(/(api-stable }\n\s+weight: )\d+/, `$1${100 - weight}`).replace(/(api-canary }\n\s+weight: )\d+/, `$1${weight}`) }];
  };
}

describe('commitChange', () => {
  const fixture = useFixture();

  it('commits several files atomically, verified, with the branch head as parent', async () => {
    const { gh, octokit } = fixture;
    const before = gh.branchSha(fullName, 'main')!;
    gh.resetRequests();
    const result = await commitChange(octokit, {
      owner,
      repo,
      branch: 'main',
      message: 'canary(api): promote v2\n\nOpsBox-Rollout: r1',
      build: async (read) => [
        { path: VIRTUAL_SERVICE, content: `${virtualService(0)}# promoted\n` },
        { path: 'apps/api/stable.yaml', content: 'image: ghcr.io/acme/api:v2\n' },
        { path: 'README.md', content: (await read('README.md')) ?? '' },
      ],
    });

    expect(result).toMatchObject({ skipped: false, attempts: 1, headSha: before, files: [VIRTUAL_SERVICE, 'apps/api/stable.yaml'] });
    const [commit] = gh.log(fullName, 'main', { limit: 1 });
    expect(commit.sha).toBe(result.sha);
    expect(commit.parents).toEqual([before]);
    expect(commit.verified).toBe(true);
    expect(commit.message).toBe('canary(api): promote v2\n\nOpsBox-Rollout: r1');
    expect(commit.files.map((file) => [file.path, file.status])).toEqual([
      ['apps/api/stable.yaml', 'added'],
      [VIRTUAL_SERVICE, 'modified'],
    ]);
    // the head, one read per file the change looks at, then one write: the mutation
    expect(gh.requests.map((request) => `${request.method} ${request.path} ${request.write ? 'write' : 'read'}`)).toEqual([
      'POST /api/graphql read',
      'GET /repos/acme/manifests/contents/README.md read',
      `GET /repos/acme/manifests/contents/${VIRTUAL_SERVICE} read`,
      'GET /repos/acme/manifests/contents/apps/api/stable.yaml read',
      'POST /api/graphql write',
    ]);
  });

  it('reads the head and the files it is told to prefetch in one request', async () => {
    const { gh, octokit } = fixture;
    gh.resetRequests();
    const result = await commitChange(octokit, {
      owner,
      repo,
      branch: 'main',
      message: 'canary(api): weight 10%',
      build: setWeight(10),
      prefetch: [VIRTUAL_SERVICE, CANARY, 'apps/api/missing.yaml'],
    });

    expect(result.skipped).toBe(false);
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(10));
    expect(gh.requests.map((request) => `${request.method} ${request.path} ${request.write ? 'write' : 'read'}`)).toEqual([
      'POST /api/graphql read',
      'POST /api/graphql write',
    ]);
  });

  it('deletes a file whose new content is null', async () => {
    const { gh, octokit } = fixture;
    const result = await commitChange(octokit, { owner, repo, branch: 'main', message: 'drop readme', build: () => [{ path: 'README.md', content: null }] });
    expect(result.skipped).toBe(false);
    expect(gh.readFile(fullName, 'main', 'README.md')).toBeNull();
    expect(gh.readFile(fullName, 'main', CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
  });

  it('skips the commit when the files already hold the change, so a retry after a crash is harmless', async () => {
    const { gh, octokit } = fixture;
    const first = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10) });
    const head = gh.branchSha(fullName, 'main');
    gh.resetRequests();
    const again = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10) });

    expect(first.skipped).toBe(false);
    expect(again).toEqual({ sha: null, attempts: 1, skipped: true, headSha: head, files: [] });
    expect(gh.branchSha(fullName, 'main')).toBe(head);
    expect(gh.requests.every((request) => request.read)).toBe(true);
  });

  it('builds again on top of a commit pushed between its read and its write, keeping that commit', async () => {
    const { gh, octokit } = fixture;
    const { sleep, waits } = recordingSleep();
    let raced = false;
    gh.onBeforeRefUpdate(() => {
      if (raced) return;
      raced = true;
      gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v3\n' }, { message: 'bump api to v3', author: 'renovate[bot]' });
    });
    const builtOn: Array<string | null> = [];
    const result = await commitChange(octokit, {
      owner,
      repo,
      branch: 'main',
      message: 'canary(api): weight 10%',
      sleep,
      build: async (read) => {
        builtOn.push(await read(CANARY));
        return setWeight(10)(read);
      },
    });

    expect(result.attempts).toBe(2);
    expect(waits).toHaveLength(1);
    expect(builtOn).toEqual(['image: ghcr.io/acme/api:v2\n', 'image: ghcr.io/acme/api:v3\n']);
    const [mine, theirs] = gh.log(fullName, 'main', { limit: 2 });
    expect(mine.sha).toBe(result.sha);
    expect(mine.parents).toEqual([theirs.sha]);
    expect(theirs.message).toBe('bump api to v3');
    expect(gh.readFile(fullName, 'main', CANARY)).toBe('image: ghcr.io/acme/api:v3\n');
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(10));
  });

  it('stops with a typed, retryable error when the branch moves on every attempt', async () => {
    const { gh, octokit } = fixture;
    const { sleep, waits } = recordingSleep();
    let pushes = 0;
    gh.onBeforeRefUpdate(() => {
      pushes += 1;
      gh.commitFiles(fullName, 'main', { 'busy.txt': `push ${pushes}\n` });
    });
    const failure = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10), maxAttempts: 3, sleep }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GitHubEditError);
    expect(failure).toMatchObject({ code: GITHUB_ERROR_CODES.CONFLICT_RETRIES_EXHAUSTED, status: 409 });
    expect(pushes).toBe(3);
    expect(waits).toHaveLength(2);
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(0));
  });

  it('reports a missing branch and other GitHub errors as typed errors, and lets build errors through', async () => {
    const { gh, octokit } = fixture;
    await expect(commitChange(octokit, { owner, repo, branch: 'nope', message: 'x', build: () => [] })).rejects.toMatchObject({
      code: GITHUB_ERROR_CODES.BRANCH_NOT_FOUND,
    });

    gh.failNext({ method: 'POST', path: '/api/graphql', status: 403, message: 'Resource not accessible by integration' });
    const denied = await commitChange(octokit, { owner, repo, branch: 'main', message: 'x', build: setWeight(5) }).catch((error: unknown) => error);
    expect(denied).toMatchObject({ code: GITHUB_ERROR_CODES.REQUEST_FAILED, status: 403 });
    expect((denied as Error).message).toContain('Resource not accessible by integration');
    expect((denied as Error).message).not.toContain('installation-token');

    // an error in the GraphQL answer itself (HTTP 200) names what was being done and what GitHub said
    const cache = new RevisionCache();
    const head = gh.branchSha(fullName, 'main')!;
    cache.setHead(owner, repo, 'main', head);
    cache.setFile(head, VIRTUAL_SERVICE, virtualService(0));
    gh.failNext({ method: 'POST', path: '/api/graphql', status: 200, body: { data: { createCommitOnBranch: null }, errors: [{ type: 'FORBIDDEN', path: ['createCommitOnBranch'], message: 'opsbox-canary[bot] cannot push to main' }] } });
    const refused = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 5%', build: setWeight(5), cache }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: GITHUB_ERROR_CODES.REQUEST_FAILED, status: 403 });
    expect((refused as Error).message).toBe('committing "canary(api): weight 5%" to main failed (403): opsbox-canary[bot] cannot push to main');

    // a rate limit in a GraphQL answer carries the status a retry policy knows
    gh.failNext({ method: 'POST', path: '/api/graphql', status: 200, body: { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }] } });
    const limited = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 5%', build: setWeight(5), cache }).catch((error: unknown) => error);
    expect(limited).toMatchObject({ code: GITHUB_ERROR_CODES.REQUEST_FAILED, status: 429 });

    const domain = new Error('traffic object has no backend api-canary');
    await expect(commitChange(octokit, { owner, repo, branch: 'main', message: 'x', build: () => Promise.reject(domain) })).rejects.toBe(domain);
    await expect(
      commitChange(octokit, { owner, repo, branch: 'main', message: 'x', build: () => [{ path: 'a', content: '1' }, { path: 'a', content: '2' }] }),
    ).rejects.toMatchObject({ code: GITHUB_ERROR_CODES.INVALID_CHANGE });
  });

  it('makes a commit on top of its own previous commit with one request when given a cache', async () => {
    const { gh, octokit } = fixture;
    const cache = new RevisionCache();
    await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10), cache, prefetch: [CANARY] });
    gh.resetRequests();
    const second = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 50%', build: setWeight(50), cache });
    // a file read before the first commit and not changed by it is known at the second
    const third = await commitChange(octokit, {
      owner,
      repo,
      branch: 'main',
      message: 'canary(api): promote',
      cache,
      build: async (read) => [...(await setWeight(0)(read)), { path: CANARY, content: (await read(CANARY))!.replace('v2', 'v3') }],
    });

    expect([second.skipped, third.skipped]).toEqual([false, false]);
    expect(third.headSha).toBe(second.sha);
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(0));
    expect(gh.readFile(fullName, 'main', CANARY)).toBe('image: ghcr.io/acme/api:v3\n');
    expect(gh.requests.map((request) => `${request.method} ${request.path} ${request.write ? 'write' : 'read'}`)).toEqual([
      'POST /api/graphql write',
      'POST /api/graphql write',
    ]);
  });

  it('reads the branch again, without waiting, when the head it knew is stale', async () => {
    const { gh, octokit } = fixture;
    const { sleep, waits } = recordingSleep();
    const cache = new RevisionCache();
    await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10), cache });
    const theirs = gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v3\n' }, { message: 'bump api to v3' });
    gh.resetRequests();
    const result = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 50%', build: setWeight(50), cache, sleep });

    expect(result).toMatchObject({ skipped: false, attempts: 1, headSha: theirs });
    expect(waits).toEqual([]);
    expect(gh.log(fullName, 'main', { limit: 1 })[0].parents).toEqual([theirs]);
    expect(gh.requests.map((request) => `${request.method} ${request.path} ${request.status} ${request.write ? 'write' : 'read'}`)).toEqual([
      'POST /api/graphql 200 write', // refused: STALE_DATA
      'POST /api/graphql 200 read',
      `GET /repos/acme/manifests/contents/${VIRTUAL_SERVICE} 200 read`,
      'POST /api/graphql 200 write',
    ]);
  });

  it('does not trust a stale head for "already in place": a change undone by someone else is made again', async () => {
    const { gh, octokit } = fixture;
    const cache = new RevisionCache();
    await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10), cache });
    gh.commitFiles(fullName, 'main', { [VIRTUAL_SERVICE]: virtualService(0) }, { message: 'revert the weight by hand' });
    const again = await commitChange(octokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10), cache });

    expect(again.skipped).toBe(false);
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(10));
  });

  it('works with Probot’s Octokit', async () => {
    const { gh } = fixture;
    const probotOctokit = new ProbotOctokit({
      auth: { token: 'installation-token' },
      baseUrl: gh.apiUrl,
      log: silentLog,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    const result = await commitChange(probotOctokit, { owner, repo, branch: 'main', message: 'canary(api): weight 10%', build: setWeight(10) });
    expect(result.skipped).toBe(false);
    expect(gh.readFile(fullName, 'main', VIRTUAL_SERVICE)).toBe(virtualService(10));
  });

  it('spreads retries out with growing, jittered delays', () => {
    expect([1, 2, 3].map((attempt) => githubBackoffDelay(attempt, () => 0))).toEqual([125, 250, 500]);
    expect([1, 2, 3].map((attempt) => githubBackoffDelay(attempt, () => 0.999))).toEqual([250, 500, 1000]);
    expect(githubBackoffDelay(10, () => 0.999)).toBeLessThanOrEqual(4000);
  });
});
