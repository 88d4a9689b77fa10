/**
 * One atomic, verified commit of several files through the Git Data API, with compare-and-swap on
 * the branch head: the ref moves only by fast-forward, and when the branch moved in between, the
 * change is built again on the new head (bounded, with jittered backoff).
 *
 * Requests per commit: GET ref, one contents read per file the change touches (none when the
 * RevisionCache knows them), GET commit for the base tree (none when cached), POST tree with inline
 * contents, POST commit, PATCH ref. A change that is already in place costs the reads only.
 */
import type { GitApi, ReposApi, TreeEntryInput } from './api.js';
import {
  attempt,
  GITHUB_ERROR_CODES,
  GitHubEditError,
  isNotFastForward,
  isNotFound,
  requestFailed,
} from './errors.js';
import { readFileAt } from './files.js';
import type { RevisionCache } from './revision-cache.js';

export interface FileChange {
  path: string;
  /** The whole new content; null deletes the file. */
  content: string | null;
}

/** Reads a file at the head the change is being built on; null when it does not exist. */
export type ReadFile = (path: string) => Promise<string | null>;

/**
 * Builds the change from the files at the current head. It may run more than once (after a race),
 * so it must depend on nothing but what it reads.
 */
export type BuildChange = (read: ReadFile) => Promise<readonly FileChange[]> | readonly FileChange[];

export interface CommitOctokit {
  rest: {
    git: Pick<GitApi, 'getRef' | 'getCommit' | 'createTree' | 'createCommit' | 'updateRef' | 'getBlob'>;
    repos: Pick<ReposApi, 'getContent'>;
  };
}

export interface CommitChangeOptions {
  owner: string;
  repo: string;
  branch: string;
  message: string;
  build: BuildChange;
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** Waits between attempts (default: a timer); tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1) (default Math.random). */
  random?: () => number;
  /** Contents and trees already known, shared between calls. */
  cache?: RevisionCache;
}

export interface CommitResult {
  /** The new commit, or null when every file already had its new content. */
  sha: string | null;
  attempts: number;
  skipped: boolean;
  /** The branch head the change was checked against (the new commit's parent when one was made). */
  headSha: string;
  /** Paths the commit changed (empty when skipped). */
  files: string[];
}

const DEFAULT_MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4000;

/** Exponential backoff with jitter, so two writers that collided do not collide again in step. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function checkChange(changes: readonly FileChange[]): void {
  const seen = new Set<string>();
  for (const change of changes) {
    const path = change.path;
    if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.endsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new GitHubEditError(GITHUB_ERROR_CODES.INVALID_CHANGE, `invalid path in change: ${JSON.stringify(path)}`);
    }
    if (seen.has(path)) throw new GitHubEditError(GITHUB_ERROR_CODES.INVALID_CHANGE, `the change writes ${path} twice`);
    seen.add(path);
  }
}

/** File reads at one head, each path read at most once per attempt (and not at all when cached). */
class HeadReader {
  private readonly pending = new Map<string, Promise<string | null>>();

  constructor(
    private readonly octokit: CommitOctokit,
    private readonly owner: string,
    private readonly repo: string,
    readonly head: string,
    private readonly cache: RevisionCache | undefined,
  ) {}

  readonly read: ReadFile = (path) => {
    let content = this.pending.get(path);
    if (!content) {
      const known = this.cache?.file(this.head, path);
      content =
        known !== undefined
          ? Promise.resolve(known)
          : readFileAt(this.octokit, { owner: this.owner, repo: this.repo, ref: this.head, path }).then((text) => {
              this.cache?.setFile(this.head, path, text);
              return text;
            });
      this.pending.set(path, content);
    }
    return content;
  };

  /** Everything read at this head, to carry over to a commit made on top of it. */
  async known(): Promise<Map<string, string | null>> {
    const entries = await Promise.all([...this.pending].map(async ([path, content]) => [path, await content] as const));
    return new Map(entries);
  }

  async treeSha(): Promise<string> {
    const cached = this.cache?.tree(this.head);
    if (cached) return cached;
    const { data } = await attempt(`reading commit ${this.head}`, () =>
      this.octokit.rest.git.getCommit({ owner: this.owner, repo: this.repo, commit_sha: this.head }),
    );
    this.cache?.setTree(this.head, data.tree.sha);
    return data.tree.sha;
  }
}

async function readHead(octokit: CommitOctokit, owner: string, repo: string, branch: string): Promise<string> {
  try {
    const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
    return data.object.sha;
  } catch (error) {
    if (isNotFound(error)) {
      throw new GitHubEditError(GITHUB_ERROR_CODES.BRANCH_NOT_FOUND, `branch ${branch} does not exist in ${owner}/${repo}`, {
        status: 404,
        cause: error,
      });
    }
    throw requestFailed(`reading branch ${branch}`, error);
  }
}

/**
 * Commits the change built by `build` on `branch` as one commit, or nothing when the files already
 * hold it (which makes a retry after a crash harmless).
 */
export async function commitChange(octokit: CommitOctokit, options: CommitChangeOptions): Promise<CommitResult> {
  const { owner, repo, branch, message, build, cache } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const sleep = options.sleep ?? realSleep;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const head = await readHead(octokit, owner, repo, branch);
    const reader = new HeadReader(octokit, owner, repo, head, cache);
    const built = await build(reader.read);
    checkChange(built);
    const changed: FileChange[] = [];
    for (const change of built) {
      if ((await reader.read(change.path)) !== change.content) changed.push(change);
    }
    if (changed.length === 0) return { sha: null, attempts: attemptNumber, skipped: true, headSha: head, files: [] };

    const baseTree = await reader.treeSha();
    const entries: TreeEntryInput[] = changed.map((change) =>
      change.content === null
        ? { path: change.path, mode: '100644', type: 'blob', sha: null }
        : { path: change.path, mode: '100644', type: 'blob', content: change.content },
    );
    const tree = await attempt(`writing the tree for ${branch}`, () =>
      octokit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries }),
    );
    const commit = await attempt(`writing the commit for ${branch}`, () =>
      octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [head] }),
    );
    try {
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: false });
    } catch (error) {
      if (!isNotFastForward(error)) throw requestFailed(`moving ${branch} to ${commit.data.sha}`, error);
      if (attemptNumber >= maxAttempts) {
        throw new GitHubEditError(
          GITHUB_ERROR_CODES.CONFLICT_RETRIES_EXHAUSTED,
          `${branch} in ${owner}/${repo} moved during each of ${maxAttempts} attempts to commit "${message.split('\n')[0]}"`,
          { status: 409, cause: error },
        );
      }
      await sleep(backoffDelay(attemptNumber, options.random));
      continue;
    }
    if (cache) {
      const files = await reader.known();
      for (const change of changed) files.set(change.path, change.content);
      for (const [path, content] of files) cache.setFile(commit.data.sha, path, content);
      cache.setTree(commit.data.sha, commit.data.tree.sha);
    }
    return { sha: commit.data.sha, attempts: attemptNumber, skipped: false, headSha: head, files: changed.map((change) => change.path) };
  }
}
