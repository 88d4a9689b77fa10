import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, rejection, repo } from './testing.js';

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
    gh.createBranch(fullName, 'hello', 'main');
    const withHello = gh.commitFiles(fullName, 'hello', { 'hello.txt': 'hello\n' });
    const listed = await octokit.rest.git.getTree({ owner, repo, tree_sha: withHello });
    // what `git hash-object` prints for "hello\n"
    const blobSha = listed.data.tree.find((entry) => entry.path === 'hello.txt')?.sha;
    expect(blobSha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const read = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha! });
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

  it('edits trees with nested paths and deletions, and drops an emptied directory as git does', async () => {
    const sha = gh.commitFiles(fullName, 'main', { 'a.yaml': 'x: 2\n', 'new/deep/c.yaml': 'z: 3\n', 'dir/b.yaml': null });
    const files = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: '1' });
    expect(files.data.tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path)).toEqual(['a.yaml', 'new/deep/c.yaml']);
    expect(files.data.tree.some((entry) => entry.path === 'dir')).toBe(false);
  });

  it('serves commits with their tree and parents, unsigned when made by a person', async () => {
    const parent = gh.branchSha(fullName, 'main')!;
    const sha = gh.commitFiles(fullName, 'main', { 'a.yaml': 'x: 9\n' }, { message: 'by hand', author: 'alice' });
    const read = await octokit.rest.git.getCommit({ owner, repo, commit_sha: sha });
    expect(read.data).toMatchObject({ sha, message: 'by hand', parents: [{ sha: parent }], verification: { verified: false } });
    const tree = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha });
    expect(read.data.tree.sha).toBe(tree.data.sha);
    expect((await rejection(octokit.rest.git.getCommit({ owner, repo, commit_sha: '1'.repeat(40) }))).status).toBe(404);
  });

  let scratch = 0;
  /** A commit on top of `parent` that no branch of interest points to. */
  function commitOn(parent: string, content: string): string {
    scratch += 1;
    gh.createBranch(fullName, `scratch-${scratch}`, parent);
    return gh.commitFiles(fullName, `scratch-${scratch}`, { 'a.yaml': content }, { message: content });
  }

  it('moves a branch only by fast-forward unless forced', async () => {
    const start = gh.branchSha(fullName, 'main')!;
    const first = commitOn(start, 'x: 2\n');
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: first, force: false });
    expect(gh.branchSha(fullName, 'main')).toBe(first);

    // a sibling of `first` is not a descendant of the head
    const sibling = commitOn(start, 'x: 3\n');
    const refused = await rejection(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: false }));
    expect(refused.status).toBe(422);
    expect(refused.data.message).toBe('Update is not a fast forward');
    expect(gh.branchSha(fullName, 'main')).toBe(first);

    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: sibling, force: true });
    expect(gh.branchSha(fullName, 'main')).toBe(sibling);
  });

  it('lets a test move the branch between the read and the write', async () => {
    const start = gh.branchSha(fullName, 'main')!;
    const mine = commitOn(start, 'x: 2\n');
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
