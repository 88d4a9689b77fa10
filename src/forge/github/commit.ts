/**
 * One atomic, verified commit of several files with GraphQL `createCommitOnBranch`, whose
 * `expectedHeadOid` is the compare-and-swap on the branch head: when the branch moved in between,
 * the change is built again on the new head (bounded, with jittered backoff).
 *
 * Requests per commit: the mutation alone when the RevisionCache knows the branch head and the
 * files the change reads (a commit on top of the app's own previous one). Otherwise one GraphQL
 * query first, reading the head and the `prefetch` files at that commit, plus a contents read for
 * each other file the change reads. A cached head that turned out stale costs the refused mutation
 * and those reads. A change already in place costs the reads only.
 */
import type { BuildChange, FileChange, ReadFile } from '../forge.js';
import type { GitApi, ReposApi } from './api.js';
import { GITHUB_ERROR_CODES, GitHubEditError, requestFailed, requestStatus } from './errors.js';
import { readFileAt } from './files.js';
import type { RevisionCache } from './revision-cache.js';
import { backoffDelay } from '../../util/backoff.js';

// The change a commit carries is the forge port's, so every forge builds it the same way.
export type { BuildChange, FileChange, ReadFile } from '../forge.js';

export interface CommitOctokit {
  rest: {
    git: Pick<GitApi, 'getBlob'>;
    repos: Pick<ReposApi, 'getContent'>;
  };
  graphql(query: string, parameters?: Record<string, unknown>): Promise<unknown>;
}

export interface CommitChangeOptions {
  owner: string;
  repo: string;
  branch: string;
  message: string;
  build: BuildChange;
  /** Files the change is likely to read: read with the branch head in the same request when the head is not known. */
  prefetch?: readonly string[];
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** Waits between attempts (default: a timer); tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1) (default Math.random). */
  random?: () => number;
  /** Branch heads and contents already known, shared between calls. */
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

/** Pauses between attempts after a race on the branch head: 250 ms doubling, at most 4 s, jittered. */
export function githubBackoffDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS, random });
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

// ---------------------------------------------------------------------------------------------
// GraphQL

interface GraphqlErrorEntry {
  type?: string;
  message?: string;
}

/** The errors of a GraphQL answer (Octokit's GraphqlResponseError carries them), or none for other failures. */
function graphqlErrors(error: unknown): GraphqlErrorEntry[] {
  const errors = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as GraphqlErrorEntry[]) : [];
}

/** The compare-and-swap failure of `createCommitOnBranch`: the branch is not at `expectedHeadOid`. */
function isStaleHead(error: unknown): boolean {
  return graphqlErrors(error).some((entry) => entry.type === 'STALE_DATA' || /expected branch to point to/i.test(entry.message ?? ''));
}

/**
 * GraphQL answers its errors with HTTP 200 and a `type`; the REST status of the same failure lets
 * callers apply one retry policy to both (a rate limit passes, a refusal does not).
 */
const STATUS_OF_GRAPHQL_TYPE: Record<string, number> = { RATE_LIMITED: 429, FORBIDDEN: 403, NOT_FOUND: 404, UNPROCESSABLE: 422 };

function failed(action: string, error: unknown): GitHubEditError {
  const errors = graphqlErrors(error);
  if (errors.length === 0 || requestStatus(error) !== undefined) return requestFailed(action, error);
  const status = errors.map((entry) => STATUS_OF_GRAPHQL_TYPE[entry.type ?? '']).find((known) => known !== undefined);
  const text = `${action} failed${status ? ` (${status})` : ''}: ${errors.map((entry) => entry.message).join('; ')}`;
  return new GitHubEditError(GITHUB_ERROR_CODES.REQUEST_FAILED, text, { status, cause: error });
}

function branchNotFound(owner: string, repo: string, branch: string, cause?: unknown): GitHubEditError {
  return new GitHubEditError(GITHUB_ERROR_CODES.BRANCH_NOT_FOUND, `branch ${branch} does not exist in ${owner}/${repo}`, { status: 404, cause });
}

interface BlobText {
  __typename?: string;
  text?: string | null;
  isBinary?: boolean | null;
  isTruncated?: boolean;
}

/** `target` holds `oid` and, per asked file, `f<index>`: a tree entry or null. */
interface HeadAnswer {
  repository: { ref: { target: Record<string, unknown> | null } | null } | null;
}

/**
 * The branch head and, read at that same commit, the files asked for: known contents (null for a
 * missing file); a file GraphQL cannot give as text (binary, cut, not a file) is left out, to be
 * read through the contents API.
 */
async function readHead(
  octokit: CommitOctokit,
  options: { owner: string; repo: string; branch: string; paths: readonly string[] },
): Promise<{ head: string; files: Map<string, string | null> }> {
  const { owner, repo, branch, paths } = options;
  const variables = paths.map((_, index) => `$p${index}: String!`).join(' ');
  const files = paths
    .map((_, index) => `f${index}: file(path: $p${index}) { object { __typename ... on Blob { text isBinary isTruncated } } }`)
    .join(' ');
  const query = `query BranchHead($owner: String!, $name: String!, $ref: String! ${variables}) {
    repository(owner: $owner, name: $name) { ref(qualifiedName: $ref) { target { oid ${files ? `... on Commit { ${files} }` : ''} } } }
  }`;
  let answer: HeadAnswer;
  try {
    const parameters: Record<string, unknown> = { owner, name: repo, ref: `refs/heads/${branch}` };
    paths.forEach((path, index) => (parameters[`p${index}`] = path));
    answer = (await octokit.graphql(query, parameters)) as HeadAnswer;
  } catch (error) {
    if (graphqlErrors(error).some((entry) => entry.type === 'NOT_FOUND') || requestStatus(error) === 404) throw branchNotFound(owner, repo, branch, error);
    throw failed(`reading branch ${branch}`, error);
  }
  const target = answer.repository?.ref?.target;
  if (!target) throw branchNotFound(owner, repo, branch);
  const known = new Map<string, string | null>();
  paths.forEach((path, index) => {
    const entry = target[`f${index}`] as { object: BlobText | null } | null;
    if (entry === null) {
      known.set(path, null);
      return;
    }
    const blob = entry.object;
    if (blob?.__typename === 'Blob' && typeof blob.text === 'string' && !blob.isBinary && !blob.isTruncated) known.set(path, blob.text);
  });
  return { head: target.oid as string, files: known };
}

const CREATE_COMMIT = `mutation CreateCommit($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid } }
}`;

async function createCommit(
  octokit: CommitOctokit,
  options: { owner: string; repo: string; branch: string; head: string; message: string; changes: readonly FileChange[] },
): Promise<string> {
  const { owner, repo, branch, head, message, changes } = options;
  // the API takes a headline and a body, and joins them with a blank line
  const [headline, ...rest] = message.split('\n');
  const body = rest.join('\n').replace(/^\n+/, '');
  const input = {
    branch: { repositoryNameWithOwner: `${owner}/${repo}`, branchName: branch },
    expectedHeadOid: head,
    message: body ? { headline, body } : { headline },
    fileChanges: {
      additions: changes
        .filter((change) => change.content !== null)
        .map((change) => ({ path: change.path, contents: Buffer.from(change.content!, 'utf8').toString('base64') })),
      deletions: changes.filter((change) => change.content === null).map((change) => ({ path: change.path })),
    },
  };
  const answer = (await octokit.graphql(CREATE_COMMIT, { input })) as { createCommitOnBranch: { commit: { oid: string } } | null };
  const oid = answer.createCommitOnBranch?.commit.oid;
  if (!oid) throw new GitHubEditError(GITHUB_ERROR_CODES.REQUEST_FAILED, `committing to ${branch} gave no commit`);
  return oid;
}

// ---------------------------------------------------------------------------------------------
// reads at one head

/** File reads at one head, each path read at most once per attempt (and not at all when known). */
class HeadReader {
  private readonly pending = new Map<string, Promise<string | null>>();

  constructor(
    private readonly octokit: CommitOctokit,
    private readonly owner: string,
    private readonly repo: string,
    readonly head: string,
    private readonly cache: RevisionCache | undefined,
    known: ReadonlyMap<string, string | null> = new Map(),
  ) {
    for (const [path, content] of known) this.pending.set(path, Promise.resolve(content));
  }

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
}

/**
 * Commits the change built by `build` on `branch` as one commit, or nothing when the files already
 * hold it (which makes a retry after a crash harmless).
 */
export async function commitChange(octokit: CommitOctokit, options: CommitChangeOptions): Promise<CommitResult> {
  const { owner, repo, branch, message, build, cache } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const sleep = options.sleep ?? realSleep;
  /** Times the branch moved between reading it and committing on it. */
  let races = 0;
  let guess = cache?.head(owner, repo, branch);
  for (;;) {
    const guessed = guess !== undefined;
    let head: string;
    let known = new Map<string, string | null>();
    if (guess !== undefined) {
      head = guess;
      guess = undefined;
    } else {
      const read = await readHead(octokit, { owner, repo, branch, paths: options.prefetch ?? [] });
      head = read.head;
      known = read.files;
      cache?.setHead(owner, repo, branch, head);
      for (const [path, content] of known) cache?.setFile(head, path, content);
    }
    const reader = new HeadReader(octokit, owner, repo, head, cache, known);
    const built = await build(reader.read);
    checkChange(built);
    const changed: FileChange[] = [];
    for (const change of built) {
      if ((await reader.read(change.path)) !== change.content) changed.push(change);
    }
    // In place at a guessed head proves nothing about the branch: look at the real head first.
    if (changed.length === 0 && guessed) continue;
    if (changed.length === 0) return { sha: null, attempts: races + 1, skipped: true, headSha: head, files: [] };

    let sha: string;
    try {
      sha = await createCommit(octokit, { owner, repo, branch, head, message, changes: changed });
    } catch (error) {
      if (!isStaleHead(error)) throw failed(`committing "${message.split('\n')[0]}" to ${branch}`, error);
      // A stale guess is not a race: read the branch and go again at once.
      if (guessed) continue;
      races += 1;
      if (races >= maxAttempts) {
        throw new GitHubEditError(
          GITHUB_ERROR_CODES.CONFLICT_RETRIES_EXHAUSTED,
          `${branch} in ${owner}/${repo} moved during each of ${maxAttempts} attempts to commit "${message.split('\n')[0]}"`,
          { status: 409, cause: error },
        );
      }
      await sleep(githubBackoffDelay(races, options.random));
      continue;
    }
    if (cache) {
      cache.recordCommit(head, sha, changed);
      cache.setHead(owner, repo, branch, sha);
    }
    return { sha, attempts: races + 1, skipped: false, headSha: head, files: changed.map((change) => change.path) };
  }
}
