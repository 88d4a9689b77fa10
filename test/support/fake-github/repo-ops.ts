/** Git operations on one fake repository: resolving refs, editing trees, committing, merging. */
import { type FlatEntry, type ObjectStore, type Signature } from './git-objects.js';
import { HttpError, unprocessable } from './http.js';
import type { FakeState, Repo, User } from './state.js';

export const BRANCH_PREFIX = 'refs/heads/';

function signatureOf(user: User, date: string): Signature {
  return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com`, date };
}

export function branchSha(repo: Repo, branch: string): string | undefined {
  return repo.refs.get(BRANCH_PREFIX + branch);
}

/**
 * Resolves what GitHub accepts as a `ref` or `commit_sha`: a branch, `heads/x`, `refs/heads/x`, a tag,
 * a full sha or an unambiguous abbreviated sha (7+ hex digits). Returns a commit sha.
 */
export function resolveCommitish(repo: Repo, ref: string): string | undefined {
  const candidates = [ref, `refs/${ref}`, `refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const name of candidates) {
    const sha = repo.refs.get(name);
    if (sha) return sha;
  }
  if (/^[0-9a-f]{40}$/i.test(ref)) {
    return repo.objects.typeOf(ref.toLowerCase()) === 'commit' ? ref.toLowerCase() : undefined;
  }
  if (/^[0-9a-f]{7,39}$/i.test(ref)) {
    const matches = repo.objects.commitsWithPrefix(ref.toLowerCase());
    return matches.length === 1 ? matches[0] : undefined;
  }
  return undefined;
}

export interface TreeEdit {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  /** null deletes the path. */
  sha: string | null;
}

const MODES = new Set(['100644', '100755', '040000', '160000', '120000']);

/**
 * A tree edit as git makes it (for `createCommitOnBranch` and `commitFiles`): entries are applied on
 * top of `baseTree` (or on nothing), nested paths create subtrees, `sha: null` deletes a path, and
 * subtrees left empty disappear.
 */
export function applyTreeEdits(objects: ObjectStore, baseTree: string | null, edits: TreeEdit[]): string {
  const files: Map<string, FlatEntry> = baseTree ? objects.flatten(baseTree) : new Map();
  const removeUnder = (path: string) => {
    files.delete(path);
    for (const key of [...files.keys()]) if (key.startsWith(`${path}/`)) files.delete(key);
  };
  for (const edit of edits) {
    const path = edit.path;
    if (path.length === 0 || path.startsWith('/') || path.endsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw unprocessable(`tree.path contains a malformed path component`);
    }
    if (!MODES.has(edit.mode)) throw unprocessable(`Invalid tree info`, { errors: [`tree.mode ${edit.mode} is invalid`] });
    if (edit.sha === null) {
      removeUnder(path);
      continue;
    }
    const actual = objects.typeOf(edit.sha);
    if (edit.type !== 'commit' && actual !== edit.type) {
      throw unprocessable(`tree.sha ${edit.sha} is not a valid ${edit.type}`);
    }
    removeUnder(path);
    // a file can't live under a path that is itself a file
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) files.delete(parts.slice(0, depth).join('/'));
    if (edit.type === 'tree') {
      for (const [sub, entry] of objects.flatten(edit.sha)) files.set(`${path}/${sub}`, entry);
    } else {
      files.set(path, { mode: edit.mode, type: edit.type, sha: edit.sha });
    }
  }
  return objects.buildTree(files);
}

/** Writes a commit object (no ref moves). */
export function writeCommit(
  state: FakeState,
  repo: Repo,
  input: { tree: string; parents: string[]; message: string; author: User; verified: boolean; date?: string },
): string {
  const date = input.date ?? state.now();
  const signature = signatureOf(input.author, date);
  return repo.objects.putCommit({
    tree: input.tree,
    parents: input.parents,
    author: signature,
    committer: input.verified ? { name: 'GitHub', email: 'noreply@github.com', date } : signature,
    message: input.message,
    verified: input.verified,
  });
}

/**
 * Commits full file contents (`null` deletes) on top of a branch and moves it, creating the branch from
 * `from` (default: the default branch) when missing. Returns the new commit sha.
 */
export function commitFilesOnBranch(
  state: FakeState,
  repo: Repo,
  branch: string,
  files: Record<string, string | null>,
  options: { message: string; author: User; verified: boolean; from?: string },
): string {
  let head = branchSha(repo, branch);
  if (!head) {
    head = resolveCommitish(repo, options.from ?? repo.defaultBranch);
    if (!head && repo.refs.size > 0) throw new Error(`cannot create ${branch}: ${options.from ?? repo.defaultBranch} not found`);
  }
  const baseTree = head ? repo.objects.getCommit(head)!.tree : null;
  const edits: TreeEdit[] = Object.entries(files).map(([path, content]) => ({
    path,
    mode: '100644',
    type: 'blob',
    sha: content === null ? null : repo.objects.putBlob(Buffer.from(content, 'utf8')),
  }));
  const tree = applyTreeEdits(repo.objects, baseTree, edits);
  const sha = writeCommit(state, repo, {
    tree,
    parents: head ? [head] : [],
    message: options.message,
    author: options.author,
    verified: options.verified,
  });
  repo.refs.set(BRANCH_PREFIX + branch, sha);
  return sha;
}

/**
 * A file-level three-way merge of `theirs` into `ours` from their merge base; both sides changing the
 * same path differently is a conflict (409, as GitHub's merge endpoints answer).
 */
export function mergeTrees(objects: ObjectStore, baseCommit: string | undefined, ours: string, theirs: string): string {
  const treeOf = (sha: string) => objects.getCommit(sha)!.tree;
  const base = baseCommit ? objects.flatten(treeOf(baseCommit)) : new Map<string, FlatEntry>();
  const left = objects.flatten(treeOf(ours));
  const right = objects.flatten(treeOf(theirs));
  const result = new Map<string, FlatEntry>();
  const same = (a?: FlatEntry, b?: FlatEntry) => a?.sha === b?.sha && a?.mode === b?.mode;
  for (const path of new Set([...base.keys(), ...left.keys(), ...right.keys()])) {
    const original = base.get(path);
    const mine = left.get(path);
    const other = right.get(path);
    let chosen: FlatEntry | undefined;
    if (same(mine, other)) chosen = mine;
    else if (same(original, mine)) chosen = other;
    else if (same(original, other)) chosen = mine;
    else throw new HttpError(409, 'Merge conflict', { documentation_url: 'https://docs.github.com/rest' });
    if (chosen) result.set(path, chosen);
  }
  return objects.buildTree(result);
}

/**
 * Commits reachable from `start`, children before parents, newest committer date first among the
 * commits that are ready (what `git log` prints).
 */
export function history(objects: ObjectStore, start: string): string[] {
  const reachable = [...objects.ancestors(start)];
  const pendingChildren = new Map<string, number>(reachable.map((sha) => [sha, 0]));
  for (const sha of reachable) {
    for (const parent of objects.getCommit(sha)!.parents) {
      pendingChildren.set(parent, (pendingChildren.get(parent) ?? 0) + 1);
    }
  }
  const dateOf = (sha: string) => Date.parse(objects.getCommit(sha)!.committer.date);
  const ready = [start];
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => dateOf(b) - dateOf(a));
    const next = ready.shift() as string;
    order.push(next);
    for (const parent of objects.getCommit(next)!.parents) {
      const left = (pendingChildren.get(parent) ?? 1) - 1;
      pendingChildren.set(parent, left);
      if (left === 0) ready.push(parent);
    }
  }
  return order;
}
