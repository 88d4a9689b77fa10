/**
 * A content-addressed git object store with real git object ids (sha1 of the git object format),
 * so shas are consistent across blobs, trees and commits exactly as on GitHub.
 */
import { createHash } from 'node:crypto';

export type ObjectType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  name: string;
  /** API spelling: 100644, 100755, 120000, 160000 or 040000. */
  mode: string;
  type: ObjectType;
  sha: string;
}

export interface Signature {
  name: string;
  email: string;
  /** ISO 8601 without milliseconds, as GitHub prints it. */
  date: string;
}

export interface CommitObject {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
  /** Commits made through the API by the app are signed by GitHub; others are not. */
  verified: boolean;
}

/** A file (or submodule) of a flattened tree, keyed by its full path. */
export interface FlatEntry {
  mode: string;
  type: 'blob' | 'commit';
  sha: string;
}

export const EMPTY_TREE_SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function hashObject(type: ObjectType, body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest('hex');
}

function unixSeconds(date: string): number {
  return Math.floor(Date.parse(date) / 1000);
}

/** Git sorts tree entries by name, comparing a subtree's name as if it ended in "/". */
function gitSortKey(entry: TreeEntry): string {
  return entry.type === 'tree' ? `${entry.name}/` : entry.name;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class ObjectStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly trees = new Map<string, TreeEntry[]>();
  private readonly commits = new Map<string, CommitObject>();

  constructor() {
    this.putTree([]);
  }

  typeOf(sha: string): ObjectType | undefined {
    if (this.blobs.has(sha)) return 'blob';
    if (this.trees.has(sha)) return 'tree';
    if (this.commits.has(sha)) return 'commit';
    return undefined;
  }

  putBlob(content: Buffer): string {
    const sha = hashObject('blob', content);
    if (!this.blobs.has(sha)) this.blobs.set(sha, Buffer.from(content));
    return sha;
  }

  getBlob(sha: string): Buffer | undefined {
    return this.blobs.get(sha);
  }

  putTree(entries: TreeEntry[]): string {
    const sorted = [...entries].sort((a, b) => compareBytes(gitSortKey(a), gitSortKey(b)));
    const body = Buffer.concat(
      sorted.map((entry) =>
        Buffer.concat([
          // git writes tree modes without the leading zero
          Buffer.from(`${entry.mode.replace(/^0+/, '')} ${entry.name}\0`),
          Buffer.from(entry.sha, 'hex'),
        ]),
      ),
    );
    const sha = hashObject('tree', body);
    if (!this.trees.has(sha)) this.trees.set(sha, sorted);
    return sha;
  }

  getTree(sha: string): TreeEntry[] | undefined {
    return this.trees.get(sha);
  }

  putCommit(commit: CommitObject): string {
    const lines = [`tree ${commit.tree}`, ...commit.parents.map((parent) => `parent ${parent}`)];
    const sign = (who: Signature) => `${who.name} <${who.email}> ${unixSeconds(who.date)} +0000`;
    lines.push(`author ${sign(commit.author)}`, `committer ${sign(commit.committer)}`);
    const body = Buffer.from(`${lines.join('\n')}\n\n${commit.message}`);
    const sha = hashObject('commit', body);
    if (!this.commits.has(sha)) this.commits.set(sha, { ...commit, parents: [...commit.parents] });
    return sha;
  }

  getCommit(sha: string): CommitObject | undefined {
    return this.commits.get(sha);
  }

  commitsWithPrefix(prefix: string): string[] {
    return [...this.commits.keys()].filter((sha) => sha.startsWith(prefix));
  }

  /** Every file of a tree, recursively, keyed by path. */
  flatten(treeSha: string): Map<string, FlatEntry> {
    const files = new Map<string, FlatEntry>();
    const walk = (sha: string, prefix: string) => {
      for (const entry of this.trees.get(sha) ?? []) {
        const path = prefix + entry.name;
        if (entry.type === 'tree') walk(entry.sha, `${path}/`);
        else files.set(path, { mode: entry.mode, type: entry.type, sha: entry.sha });
      }
    };
    walk(treeSha, '');
    return files;
  }

  /** Builds (and stores) the nested trees for a flat path → entry map; returns the root tree sha. */
  buildTree(files: Map<string, FlatEntry>): string {
    interface Dir {
      files: TreeEntry[];
      dirs: Map<string, Dir>;
    }
    const root: Dir = { files: [], dirs: new Map() };
    for (const [path, entry] of files) {
      const parts = path.split('/');
      const name = parts.pop() as string;
      let dir = root;
      for (const part of parts) {
        let next = dir.dirs.get(part);
        if (!next) {
          next = { files: [], dirs: new Map() };
          dir.dirs.set(part, next);
        }
        dir = next;
      }
      dir.files.push({ name, mode: entry.mode, type: entry.type, sha: entry.sha });
    }
    const write = (dir: Dir): string =>
      this.putTree([
        ...dir.files,
        ...[...dir.dirs].map(([name, sub]) => ({ name, mode: '040000', type: 'tree' as const, sha: write(sub) })),
      ]);
    return write(root);
  }

  /** Looks up one path inside a tree: a file entry, a subtree entry, or undefined. */
  lookup(treeSha: string, path: string): TreeEntry | undefined {
    const parts = path.split('/').filter((part) => part.length > 0);
    if (parts.length === 0) return { name: '', mode: '040000', type: 'tree', sha: treeSha };
    let current = treeSha;
    for (let index = 0; index < parts.length; index += 1) {
      const entry = this.trees.get(current)?.find((candidate) => candidate.name === parts[index]);
      if (!entry) return undefined;
      if (index === parts.length - 1) return entry;
      if (entry.type !== 'tree') return undefined;
      current = entry.sha;
    }
    return undefined;
  }

  /** All commits reachable from `sha` (itself included). */
  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (seen.has(next)) continue;
      const commit = this.commits.get(next);
      if (!commit) continue;
      seen.add(next);
      queue.push(...commit.parents);
    }
    return seen;
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    return this.ancestors(descendant).has(ancestor);
  }

  /** The nearest common ancestor (by breadth-first distance from `b`), or undefined. */
  mergeBase(a: string, b: string): string | undefined {
    const fromA = this.ancestors(a);
    const seen = new Set<string>();
    const queue = [b];
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      if (fromA.has(next)) return next;
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return undefined;
  }
}
