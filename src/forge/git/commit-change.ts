/**
 * One commit on the watched branch with compare-and-swap: the change is built on the fetched head
 * and pushed; when someone pushed meanwhile the remote refuses the push (not a fast-forward), so
 * the head is fetched again and the change built again on it, a bounded number of times.
 */
import type { GitFileChange, GitRepository } from './repository.js';
import { backoffDelay } from '../../util/backoff.js';

/** Reads a file at the head the change is built on; null when there is none. */
export type ReadAtHead = (file: string) => Promise<string | null>;

export interface GitCommitOptions {
  message: string;
  /** Builds the change from the files at the head; may run more than once, so it depends on nothing else. */
  build: (read: ReadAtHead) => Promise<readonly GitFileChange[]>;
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** Waits between attempts (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Told about each refused push (logs, tests). */
  onConflict?: (attempt: number, head: string) => void;
}

export interface GitCommitResult {
  /** The pushed commit; null when every file already had its new content. */
  sha: string | null;
  skipped: boolean;
  /** The head the change was built on. */
  headSha: string;
  attempts: number;
}

/** The branch kept moving: every attempt was refused. */
export class GitPushConflictError extends Error {
  readonly code = 'push-conflict';
  readonly retryable = true;
  constructor(branch: string, attempts: number) {
    super(`${branch} moved under every one of ${attempts} pushes; the step is tried again later`);
    this.name = 'GitPushConflictError';
  }
}

const DEFAULT_MAX_ATTEMPTS = 5;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


export async function commitWithCas(repo: GitRepository, options: GitCommitOptions): Promise<GitCommitResult> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await repo.fetch();
    const built = await options.build((file) => repo.readFile(head, file));
    // Files that already hold their new content are no change (a replay after a crash).
    const changes: GitFileChange[] = [];
    for (const change of built) if ((await repo.readFile(head, change.path)) !== change.content) changes.push(change);
    if (changes.length === 0) return { sha: null, skipped: true, headSha: head, attempts: attempt };
    const sha = await repo.commit(head, changes, options.message);
    if (await repo.push(sha, repo.branch)) {
      // The copy follows what it pushed, so the next read needs no fetch to see it.
      await repo.git(['update-ref', repo.trackingRef, sha]);
      return { sha, skipped: false, headSha: head, attempts: attempt };
    }
    options.onConflict?.(attempt, head);
    if (attempt < maxAttempts) await sleep(backoffDelay(attempt, { baseMs: 100, capMs: 2000 }));
  }
  throw new GitPushConflictError(repo.branch, maxAttempts);
}
