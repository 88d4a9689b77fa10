/**
 * What the app already knows about commits it has seen: file contents and root trees, keyed by
 * commit sha. A commit never changes, so an entry is never stale; the map is only bounded in size.
 * With it, a commit on top of the app's own previous commit needs no file reads at all.
 */

const DEFAULT_MAX_ENTRIES = 2000;

export class RevisionCache {
  private readonly files = new Map<string, string | null>();
  private readonly trees = new Map<string, string>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** The content of `path` at `commitSha`: a string, null for "no such file", undefined for "not known". */
  file(commitSha: string, path: string): string | null | undefined {
    return this.files.get(`${commitSha}:${path}`);
  }

  setFile(commitSha: string, path: string, content: string | null): void {
    remember(this.files, `${commitSha}:${path}`, content, this.maxEntries);
  }

  tree(commitSha: string): string | undefined {
    return this.trees.get(commitSha);
  }

  setTree(commitSha: string, treeSha: string): void {
    remember(this.trees, commitSha, treeSha, this.maxEntries);
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
