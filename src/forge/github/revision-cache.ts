/**
 * What the app already knows about the repositories it commits to: file contents by commit (a
 * commit never changes, so such an entry is never stale) and, per branch, the head it last saw.
 * The head is only a guess, used as `expectedHeadOid`: when someone else pushed since, the commit
 * is refused and the branch is read again. With both, a commit on top of the app's own previous
 * commit needs no reads at all. Both maps are bounded, least recently used first out.
 */

const DEFAULT_MAX_COMMITS = 500;
const DEFAULT_MAX_BRANCHES = 1000;

export class RevisionCache {
  /** Commit sha → path → content (null: the file does not exist at that commit). */
  private readonly commits = new Map<string, Map<string, string | null>>();
  private readonly heads = new Map<string, string>();
  /** Commit sha → folder → every file under it (null: nothing there), as read at that commit. */
  private readonly listings = new Map<string, Map<string, string[] | null>>();

  constructor(
    private readonly maxCommits = DEFAULT_MAX_COMMITS,
    private readonly maxBranches = DEFAULT_MAX_BRANCHES,
  ) {}

  /** The content of `path` at `commitSha`: a string, null for "no such file", undefined for "not known". */
  file(commitSha: string, path: string): string | null | undefined {
    return this.commits.get(commitSha)?.get(path);
  }

  setFile(commitSha: string, path: string, content: string | null): void {
    const files = this.commits.get(commitSha) ?? new Map<string, string | null>();
    files.set(path, content);
    remember(this.commits, commitSha, files, this.maxCommits);
  }

  /**
   * A commit made on top of `parentSha`: every file known at the parent and not touched by the
   * commit is the same in it, and the touched ones hold their new content.
   */
  recordCommit(parentSha: string, commitSha: string, changes: ReadonlyArray<{ path: string; content: string | null }>): void {
    const files = new Map(this.commits.get(parentSha) ?? []);
    for (const change of changes) files.set(change.path, change.content);
    remember(this.commits, commitSha, files, this.maxCommits);
  }

  /** The files under a folder at `commitSha` (`[path]` for a file, null: nothing), or undefined for "not known". */
  listing(commitSha: string, folder: string): string[] | null | undefined {
    return this.listings.get(commitSha)?.get(folder);
  }

  setListing(commitSha: string, folder: string, files: string[] | null): void {
    const folders = this.listings.get(commitSha) ?? new Map<string, string[] | null>();
    folders.set(folder, files);
    remember(this.listings, commitSha, folders, this.maxCommits);
  }

  /** The head of a branch as the app last saw it (its own commit, or a read), if it saw one. */
  head(owner: string, repo: string, branch: string): string | undefined {
    return this.heads.get(branchKey(owner, repo, branch));
  }

  setHead(owner: string, repo: string, branch: string, sha: string): void {
    remember(this.heads, branchKey(owner, repo, branch), sha, this.maxBranches);
  }
}

function branchKey(owner: string, repo: string, branch: string): string {
  // owner and repo names are case-insensitive on GitHub; branch names are not
  return `${owner.toLowerCase()}/${repo.toLowerCase()}:${branch}`;
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
