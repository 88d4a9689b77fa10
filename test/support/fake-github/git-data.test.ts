import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';

const owner = 'acme';
const repo = 'manifests';
const fullName = `${owner}/${repo}`;

async function rejection(promise: Promise<unknown>): Promise<{ status: number; message: string; data: any }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { status: number; message: string; response?: { data: unknown } };
    return { status: failure.status, message: failure.message, data: failure.response?.data };
  }
  throw new Error('expected the request to fail');
}

describe('fake GitHub git data', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    gh.createRepo(owner, repo, { files: { 'a.yaml': 'x: 1\n', 'dir/b.yaml': 'y: 2\n' } });
    octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'app-installation-token', log: silentLog });
  });

  afterEach(async () => {
    await gh.close();
  });

  it('uses real git object ids for blobs and trees', async () => {
    const blob = await octokit.rest.git.createBlob({ owner, repo, content: 'hello\n', encoding: 'utf-8' });
    expect(blob.data.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const sameAsBase64 = await octokit.rest.git.createBlob({
      owner,
      repo,
      content: Buffer.from('hello\n').toString('base64'),
      encoding: 'base64',
    });
    expect(sameAsBase64.data.sha).toBe(blob.data.sha);
    const read = await octokit.rest.git.getBlob({ owner, repo, file_sha: blob.data.sha });
    expect(read.data.encoding).toBe('base64');
    expect(Buffer.from(read.data.content, 'base64').toString('utf8')).toBe('hello\n');

    // what `git write-tree` prints for a.yaml + dir/b.yaml with these contents
    const tree = await octokit.rest.git.getTree({ owner, repo, tree_sha: 'main' });
    expect(tree.data.sha).toBe('bbb33921725176e9d8aa78883905e7d8f6e1a7e5');
    expect(tree.data.tree.map((entry) => entry.path)).toEqual(['a.yaml', 'dir']);
  });

  it('lists nested entries only with recursive', async () => {
    const recursive = await octokit.rest.git.getTree({ owner, repo, tree_sha: 'main', recursive: '1' });
    expect(recursive.data.tree.map((entry) => `${entry.type}:${entry.path}`)).toEqual([
      'blob:a.yaml',
      'tree:dir',
      'blob:dir/b.yaml',
    ]);
  });

  it('builds trees on a base tree with inline content, nested paths and deletions', async () => {
    const head = await octokit.rest.git.getCommit({ owner, repo, commit_sha: gh.branchSha(fullName, 'main')! });
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: head.data.tree.sha,
      tree: [
        { path: 'a.yaml', mode: '100644', type: 'blob', content: 'x: 2\n' },
        { path: 'new/deep/c.yaml', mode: '100644', type: 'blob', content: 'z: 3\n' },
        { path: 'dir/b.yaml', mode: '100644', type: 'blob', sha: null },
      ],
    });
    const files = await octokit.rest.git.getTree({ owner, repo, tree_sha: tree.data.sha, recursive: '1' });
    expect(files.data.tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path)).toEqual([
      'a.yaml',
      'new/deep/c.yaml',
    ]);
    // the emptied directory is gone, as in git
    expect(files.data.tree.some((entry) => entry.path === 'dir')).toBe(false);
  });

  it('builds a tree from only the given entries without base_tree', async () => {
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      tree: [{ path: 'only.yaml', mode: '100644', type: 'blob', content: 'k: v\n' }],
    });
    expect(tree.data.tree.map((entry) => entry.path)).toEqual(['only.yaml']);
  });

  it('rejects a tree entry with both sha and content, and an unknown base tree', async () => {
    const both = await rejection(
      octokit.rest.git.createTree({
        owner,
        repo,
        tree: [{ path: 'a', mode: '100644', type: 'blob', content: 'x', sha: 'ce013625030ba8dba906f756967f9e9ca394464a' }],
      }),
    );
    expect(both.status).toBe(422);
    const badBase = await rejection(
      octokit.rest.git.createTree({ owner, repo, base_tree: '0'.repeat(40), tree: [{ path: 'a', mode: '100644', type: 'blob', content: 'x' }] }),
    );
    expect(badBase.status).toBe(422);
  });

  it('creates commits signed for the app, and leaves other people’s commits unsigned', async () => {
    const parent = gh.branchSha(fullName, 'main')!;
    const base = await octokit.rest.git.getCommit({ owner, repo, commit_sha: parent });
    expect(base.data.verification?.verified).toBe(false);
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'a.yaml', mode: '100644', type: 'blob', content: 'x: 9\n' }],
    });
    const commit = await octokit.rest.git.createCommit({ owner, repo, message: 'canary(api): weight 10%', tree: tree.data.sha, parents: [parent] });
    expect(commit.status).toBe(201);
    expect(commit.data.verification?.verified).toBe(true);
    expect(commit.data.parents.map((p) => p.sha)).toEqual([parent]);
    expect(commit.data.author.name).toBe('opsbox-canary[bot]');
    const read = await octokit.rest.git.getCommit({ owner, repo, commit_sha: commit.data.sha });
    expect(read.data.message).toBe('canary(api): weight 10%');
    expect(read.data.tree.sha).toBe(tree.data.sha);

    const unknownParent = await rejection(
      octokit.rest.git.createCommit({ owner, repo, message: 'x', tree: tree.data.sha, parents: ['1'.repeat(40)] }),
    );
    expect(unknownParent.status).toBe(422);
  });

  async function commitOn(parent: string, content: string): Promise<string> {
    const base = await octokit.rest.git.getCommit({ owner, repo, commit_sha: parent });
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'a.yaml', mode: '100644', type: 'blob', content }],
    });
    const commit = await octokit.rest.git.createCommit({ owner, repo, message: content, tree: tree.data.sha, parents: [parent] });
    return commit.data.sha;
  }

  it('moves a branch only by fast-forward unless forced', async () => {
    const start = gh.branchSha(fullName, 'main')!;
    const first = await commitOn(start, 'x: 2\n');
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: first, force: false });
    expect(gh.branchSha(fullName, 'main')).toBe(first);

    // a sibling of `first` is not a descendant of the head
    const sibling = await commitOn(start, 'x: 3\n');
    const refused = await rejection(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: false }));
    expect(refused.status).toBe(422);
    expect(refused.data.message).toBe('Update is not a fast forward');
    expect(gh.branchSha(fullName, 'main')).toBe(first);

    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: true });
    expect(gh.branchSha(fullName, 'main')).toBe(sibling);
  });

  it('lets a test move the branch between the read and the write', async () => {
    const start = gh.branchSha(fullName, 'main')!;
    const mine = await commitOn(start, 'x: 2\n');
    const events: string[] = [];
    const unsubscribe = gh.onBeforeRefUpdate((event) => {
      events.push(`${event.branch}:${event.currentSha === start}`);
      gh.commitFiles(fullName, 'main', { 'other.yaml': 'pushed by someone else\n' });
    });
    const refused = await rejection(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: mine }));
    unsubscribe();
    expect(refused.data.message).toBe('Update is not a fast forward');
    expect(events).toEqual(['main:true']);
    expect(gh.readFile(fullName, 'main', 'other.yaml')).toBe('pushed by someone else\n');
    expect(gh.readFile(fullName, 'main', 'a.yaml')).toBe('x: 1\n');
  });

  it('creates, reads, lists and deletes refs with GitHub’s errors', async () => {
    const sha = gh.branchSha(fullName, 'main')!;
    const created = await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/opsbox/revert/api-v2', sha });
    expect(created.status).toBe(201);
    const again = await rejection(octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/opsbox/revert/api-v2', sha }));
    expect(again.status).toBe(422);
    expect(again.data.message).toBe('Reference already exists');
    const badName = await rejection(octokit.rest.git.createRef({ owner, repo, ref: 'heads/x', sha }));
    expect(badName.status).toBe(422);

    const read = await octokit.rest.git.getRef({ owner, repo, ref: 'heads/opsbox/revert/api-v2' });
    expect(read.data).toMatchObject({ ref: 'refs/heads/opsbox/revert/api-v2', object: { sha, type: 'commit' } });
    const legacy = await octokit.request('GET /repos/{owner}/{repo}/git/refs/{ref}', { owner, repo, ref: 'heads/main' });
    expect(legacy.data).toMatchObject({ ref: 'refs/heads/main' });
    const matching = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'heads/opsbox/' });
    expect(matching.data.map((ref) => ref.ref)).toEqual(['refs/heads/opsbox/revert/api-v2']);

    const missing = await rejection(octokit.rest.git.getRef({ owner, repo, ref: 'heads/nope' }));
    expect(missing.status).toBe(404);
    await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/opsbox/revert/api-v2' });
    expect(gh.branchSha(fullName, 'opsbox/revert/api-v2')).toBeUndefined();
    const deletedAgain = await rejection(octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/opsbox/revert/api-v2' }));
    expect(deletedAgain.data.message).toBe('Reference does not exist');
  });

  it('serves commits with changed files and patches, and compares refs', async () => {
    const sha = gh.commitFiles(fullName, 'main', { 'a.yaml': 'x: 2\n', 'dir/b.yaml': null }, { message: 'edit', author: 'alice' });
    const commit = await octokit.rest.repos.getCommit({ owner, repo, ref: sha });
    expect(commit.data.commit.message).toBe('edit');
    expect(commit.data.author?.login).toBe('alice');
    expect(commit.data.files?.map((file) => [file.filename, file.status])).toEqual([
      ['a.yaml', 'modified'],
      ['dir/b.yaml', 'removed'],
    ]);
    expect(commit.data.files?.[0].patch).toBe('@@ -1,1 +1,1 @@\n-x: 1\n+x: 2');

    gh.createBranch(fullName, 'feature', 'main');
    gh.commitFiles(fullName, 'feature', { 'f.yaml': 'f\n' });
    const compare = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: 'main...feature' });
    expect(compare.data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0 });
    expect(compare.data.files?.map((file) => file.filename)).toEqual(['f.yaml']);
  });

  it('keeps a readable log with diffs per file', () => {
    gh.commitFiles(fullName, 'main', { 'a.yaml': 'x: 2\n' }, { message: 'bump x' });
    const [latest, initial] = gh.log(fullName, 'main');
    expect(latest.message).toBe('bump x');
    expect(latest.parents).toEqual([initial.sha]);
    expect(latest.files).toEqual([{ path: 'a.yaml', status: 'modified', diff: '--- a/a.yaml\n+++ b/a.yaml\n@@ -1,1 +1,1 @@\n-x: 1\n+x: 2' }]);
    expect(initial.files.map((file) => file.status)).toEqual(['added', 'added']);
  });
});
