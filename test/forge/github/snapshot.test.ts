import { describe, expect, it } from '@jest/globals';
import { RevisionCache } from '../../../src/forge/github/revision-cache.js';
import { CachedCommitFiles, CommitSnapshot } from '../../../src/forge/github/snapshot.js';
import { CANARY, fullName, owner, repo, useFixture } from './fixture.js';

describe('CommitSnapshot', () => {
  const fixture = useFixture();

  const TEMPLATE = 'analysis/error-rate.yaml';
  const DEEP = 'analysis/a/b/c/d/e/deep.yaml';

  function mergeLike(): { before: string; after: string } {
    const { gh } = fixture;
    const before = gh.commitFiles(fullName, 'main', { [TEMPLATE]: 'kind: AnalysisTemplate\n', [DEEP]: 'kind: AnalysisTemplate\n', 'analysis/README.md': '# templates\n' });
    const after = gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v3\n' });
    return { before, after };
  }

  it('reads files, the parent side and folders in one request; what does not exist is null', async () => {
    const { gh, octokit } = fixture;
    const { before, after } = mergeLike();
    gh.resetRequests();

    const snapshot = await CommitSnapshot.read(octokit, owner, repo, after, {
      files: [CANARY, 'missing.yaml'],
      parentFiles: [CANARY, 'missing.yaml'],
      folders: ['analysis/', 'nothing-here'],
    });
    // folders deeper than one query lists cost one more query per level below it
    const queries = gh.requests.length;
    expect(queries).toBe(2);
    expect(snapshot.parentSha).toBe(before);
    expect(await snapshot.readOptional(CANARY)).toBe('image: ghcr.io/acme/api:v3\n');
    expect(await snapshot.readParentOptional(CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
    expect(await snapshot.blobSha(CANARY)).not.toBe(await snapshot.parentBlobSha(CANARY));
    expect(await snapshot.readOptional('missing.yaml')).toBeNull();
    expect(await snapshot.readParentOptional('missing.yaml')).toBeNull();
    expect(await snapshot.listFiles('analysis')).toEqual(['analysis/README.md', DEEP, TEMPLATE]);
    expect(await snapshot.listFiles('nothing-here')).toBeNull();
    expect(await snapshot.readFile(DEEP)).toBe('kind: AnalysisTemplate\n');
    expect(gh.requests).toHaveLength(queries);
    expect(gh.requests.every((r) => r.method === 'POST' && r.path.endsWith('/graphql') && r.read)).toBe(true);
  });

  it('reads the shallow case in exactly one request', async () => {
    const { gh, octokit } = fixture;
    const after = gh.commitFiles(fullName, 'main', { [TEMPLATE]: 'kind: AnalysisTemplate\n' });
    gh.resetRequests();
    const snapshot = await CommitSnapshot.read(octokit, owner, repo, after, { files: [CANARY], parentFiles: [CANARY], folders: ['analysis'] });

    expect(await snapshot.listFiles('analysis')).toEqual([TEMPLATE]);
    expect(await snapshot.readParentOptional(CANARY)).toBe(await snapshot.readOptional(CANARY));
    expect(gh.requests).toHaveLength(1);
    // a path nobody asked for costs one query, once
    expect(await snapshot.readOptional('README.md')).toBe('# manifests\n');
    expect(await snapshot.readOptional('README.md')).toBe('# manifests\n');
    expect(gh.requests).toHaveLength(2);
  });

  it('a server that does not read <sha>^ as the first parent costs one more query, never a wrong side', async () => {
    const { gh, octokit } = fixture;
    const { before, after } = mergeLike();
    // a server without git's revision syntax: <sha>^ names nothing
    const plain = {
      request: octokit.request,
      graphql: (query: string, variables: Record<string, unknown> = {}) =>
        octokit.graphql(query, Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v.replace('^', '~999') : v]))),
    };
    gh.resetRequests();
    const snapshot = await CommitSnapshot.read(plain, owner, repo, after, { files: [CANARY], parentFiles: [CANARY] });

    expect(snapshot.parentSha).toBe(before);
    expect(await snapshot.readParentOptional(CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
    expect(gh.requests).toHaveLength(2);
  });

  it('with recentChecks, the names of statuses and check runs on that many recent commits come in the same one request', async () => {
    const { gh, octokit } = fixture;
    const { before, after } = mergeLike();
    const older = gh.log(fullName, before, { limit: 2 })[1].sha;
    gh.setCommitStatus(fullName, before, { state: 'success', context: 'argocd/api' });
    gh.setCommitStatus(fullName, older, { state: 'failure', context: 'too-old' });
    await octokit.rest.checks.create({ owner, repo, head_sha: after, name: 'ci/lint', status: 'completed', conclusion: 'success' });
    gh.resetRequests();

    const snapshot = await CommitSnapshot.read(octokit, owner, repo, after, { files: [CANARY], recentChecks: 2 });
    expect(snapshot.recentChecks).toEqual({ commits: 2, names: ['argocd/api', 'ci/lint'] });
    expect(await snapshot.readOptional(CANARY)).toBe('image: ghcr.io/acme/api:v3\n');
    expect(gh.requests).toHaveLength(1);

    const without = await CommitSnapshot.read(octokit, owner, repo, after, { files: [CANARY] });
    expect(without.recentChecks).toBeUndefined();
  });

  it('a root commit has no parent side', async () => {
    const { gh, octokit } = fixture;
    const root = gh.log(fullName, 'main').at(-1)!.sha;
    const snapshot = await CommitSnapshot.read(octokit, owner, repo, root, { parentFiles: [CANARY] });
    expect(snapshot.parentSha).toBeNull();
    expect(await snapshot.readParentOptional(CANARY)).toBeNull();
  });

  it('what was saved to the cache is read from it without requests; anything else with one query', async () => {
    const { gh, octokit } = fixture;
    const after = gh.commitFiles(fullName, 'main', { [TEMPLATE]: 'kind: AnalysisTemplate\n' });
    const cache = new RevisionCache();
    await (await CommitSnapshot.read(octokit, owner, repo, after, { folders: ['analysis'] })).saveTo(cache);
    gh.resetRequests();

    const files = new CachedCommitFiles(cache, octokit, owner, repo, after);
    expect(await files.listFiles('analysis')).toEqual([TEMPLATE]);
    expect(await files.readFile(TEMPLATE)).toBe('kind: AnalysisTemplate\n');
    expect(gh.requests).toEqual([]);

    // a process that did not read them (a restart) reads them in one query
    const fresh = new CachedCommitFiles(new RevisionCache(), octokit, owner, repo, after);
    expect(await fresh.listFiles('analysis')).toEqual([TEMPLATE]);
    expect(await fresh.readFile(TEMPLATE)).toBe('kind: AnalysisTemplate\n');
    expect(gh.requests).toHaveLength(1);
  });
});
