/**
 * The plain-git forge: any remote the `git` CLI can reach with its own credentials (a bare
 * repository on a server, GitLab, Gitea, Bitbucket). What GitHub shows on pull requests goes to the
 * operator instead: the status view and notices to a `GitStatusSink` (the terminal and JSON log
 * lines), the revert is a pushed branch. There are no comments to read: commands come from the
 * CLI (`opsbox promote …`), whose user already passed git's own access checks, so `roleOf` is
 * `admin` and acknowledging is nothing. Not applicable here: GitHub's `commitStatus` sync gate.
 *
 * One instance serves one remote and branch (the one `opsbox watch` was given).
 */
import { parseConfigSource } from '../../config/load.js';
import type { ConfigProblem } from '../../config/problems.js';
import type { RepoFiles } from '../../repo/files.js';
import type { SyncGate } from '../../sync/gate.js';
import {
  ForgeRefusedError,
  ForgeUnavailableError,
  type ChangeRequest,
  type CommitOutcome,
  type Forge,
  type ForgeRole,
  type LoadedConfig,
  type RepoRef,
  type ReplyMessage,
  type RevertProposal,
  type RevertRef,
  type RevertStatus,
  type Snapshot,
  type SnapshotWants,
  type StatusPublication,
  type StatusRef,
  type ThreadRef,
} from '../forge.js';
import { commitWithCas, GitPushConflictError } from './commit-change.js';
import { GitCommitFiles } from './commit-files.js';
import { GitCommandError } from './git-cli.js';
import { repositoryKey, type GitRepository } from './repository.js';
import { redactCredentials } from '../../report/redact.js';

/** Where the operator sees what GitHub would show on the pull request. */
export interface GitStatusSink {
  status(publication: StatusPublication): void;
  problems(commit: string, problems: readonly ConfigProblem[]): void;
  reply(message: ReplyMessage): void;
  revertProposed(revert: RevertRef, title: string): void;
  revertWithdrawn(revert: RevertRef, reason: string): void;
}

export class GitForge implements Forge {
  readonly kind = 'git' as const;

  constructor(
    readonly repository: GitRepository,
    private readonly sink: GitStatusSink,
    private readonly options: { maxCommitAttempts?: number; onPushConflict?: (attempt: number) => void } = {},
  ) {}

  /** The repository reference rollouts of this remote save. */
  get repoRef(): RepoRef {
    const key = repositoryKey(this.repository.remote, this.repository.branch);
    // saved with the rollout and shown: a token in the remote's URL stays out of both
    return { forge: 'git', key: redactCredentials(this.repository.remote), owner: 'git', repo: key, defaultBranch: this.repository.branch };
  }

  async readSnapshot(repo: RepoRef, sha: string, _wants: SnapshotWants): Promise<Snapshot> {
    this.check(repo);
    return guard(`reading ${sha.slice(0, 12)}`, () => GitCommitFiles.at(this.repository, sha));
  }

  filesAt(repo: RepoRef, sha: string): RepoFiles {
    this.check(repo);
    return new GitCommitFiles(this.repository, sha);
  }

  /** The config at the branch head (the watched branch is the only source: no inheritance). */
  async loadConfig(repo: RepoRef, path: string): Promise<LoadedConfig> {
    this.check(repo);
    const head = await guard('fetching', () => this.repository.fetch());
    return this.loadConfigAt(head, path);
  }

  /** The config as a commit has it: a bump is planned with the config it was committed with. */
  async loadConfigAt(sha: string, path: string): Promise<LoadedConfig> {
    const text = await guard(`reading ${path}`, () => this.repository.readFile(sha, path));
    if (text === null) return { kind: 'none' };
    const parsed = parseConfigSource(text, path);
    return parsed.ok ? { kind: 'config', raw: parsed.raw, text } : { kind: 'invalid', problems: parsed.problems };
  }

  async commit(repo: RepoRef, change: ChangeRequest): Promise<CommitOutcome> {
    this.check(repo);
    if (change.branch !== this.repository.branch) {
      throw new ForgeRefusedError('refused', `this watch commits to ${this.repository.branch}, not ${change.branch}`);
    }
    const result = await guard(`committing to ${change.branch}`, () =>
      commitWithCas(this.repository, {
        message: change.message,
        maxAttempts: this.options.maxCommitAttempts,
        onConflict: (attempt) => this.options.onPushConflict?.(attempt),
        build: async (read) => checkedChanges(await change.build(read)),
      }),
    );
    return { sha: result.sha };
  }

  async findOwnCommit(repo: RepoRef, branch: string, message: string): Promise<string | null> {
    this.check(repo);
    const head = branch === this.repository.branch ? await guard('fetching', () => this.repository.fetch()) : branch;
    return guard('reading the branch history', () => this.repository.findCommitWithMessage(head, message));
  }

  async contains(repo: RepoRef, ancestor: string, descendant: string): Promise<boolean> {
    this.check(repo);
    await guard('fetching', () => this.repository.fetch());
    return guard('comparing commits', () => this.repository.contains(descendant, ancestor));
  }

  /** The revert is a branch off the current head; a branch pushed before (a replay) is kept as it is. */
  async proposeRevert(repo: RepoRef, proposal: RevertProposal): Promise<RevertRef> {
    this.check(repo);
    const ref = this.revertRef(proposal.branch);
    const existing = await guard('reading the revert branch', () => this.repository.remoteBranchHead(proposal.branch));
    if (existing !== null) return ref;
    const head = await guard('fetching', () => this.repository.fetch());
    const changes = checkedChanges(await proposal.build((file) => this.repository.readFile(head, file)));
    if (changes.length === 0) throw new ForgeRefusedError('nothing-to-propose', `${this.repository.branch} already has the revert of ${proposal.branch}`);
    await guard('pushing the revert branch', async () => {
      const sha = await this.repository.commit(head, changes, proposal.message);
      // Someone else pushed this branch meanwhile: theirs stays.
      await this.repository.push(sha, proposal.branch);
    });
    this.sink.revertProposed(ref, proposal.title);
    return ref;
  }

  async withdrawRevert(repo: RepoRef, revert: RevertRef, reason: string): Promise<void> {
    this.check(repo);
    if ((await this.revertStatus(repo, revert)) !== 'open') return;
    await guard('deleting the revert branch', () => this.repository.deleteBranch(revert.branch));
    this.sink.revertWithdrawn(revert, reason);
  }

  /** Merged: the branch's commit is in the watched branch. Gone without that: withdrawn. */
  async revertStatus(repo: RepoRef, revert: RevertRef): Promise<RevertStatus> {
    this.check(repo);
    const branchHead = await guard('reading the revert branch', () => this.repository.remoteBranchHead(revert.branch));
    if (branchHead === null) return 'withdrawn';
    const head = await guard('fetching', () => this.repository.fetch());
    await guard('fetching the revert branch', () => this.repository.git(['fetch', '--quiet', '--no-tags', 'origin', `refs/heads/${revert.branch}`]));
    return (await this.repository.contains(head, branchHead)) ? 'merged' : 'open';
  }

  async publishStatus(repo: RepoRef, publication: StatusPublication): Promise<StatusRef> {
    this.check(repo);
    this.sink.status(publication);
    // A failure's notice is the status line itself; remembered so a later failure is told apart.
    const failureNoticeAt = publication.final && publication.view.phase === 'Aborted' ? (publication.failureAt ?? 0) : publication.previous?.failureNoticeAt;
    return { forge: 'git', native: {}, ...(failureNoticeAt !== undefined ? { failureNoticeAt } : {}) };
  }

  async reportProblems(repo: RepoRef, _thread: ThreadRef, commit: string, problems: ConfigProblem[]): Promise<void> {
    this.check(repo);
    this.sink.problems(commit, problems);
  }

  async reply(repo: RepoRef, _thread: ThreadRef, message: ReplyMessage): Promise<void> {
    this.check(repo);
    this.sink.reply(message);
  }

  /** A CLI command needs no acknowledgement: the command itself prints the outcome. */
  async acknowledge(): Promise<void> {}

  /** Whoever can run the CLI on the data dir and push with git's credentials may steer rollouts. */
  async roleOf(): Promise<ForgeRole> {
    return 'admin';
  }

  /** Plain git has no commit statuses; the delay (and Argo CD / Flux through a cluster) still apply. */
  syncGate(): SyncGate | undefined {
    return undefined;
  }

  commitUrl(_repo: RepoRef, sha: string): string {
    return `${this.repoRef.key}@${sha}`;
  }

  threadUrl(_repo: RepoRef, thread: ThreadRef): string {
    return `${this.repoRef.key}#${this.repository.branch}:${thread.number}`;
  }

  revertRef(branch: string): RevertRef {
    return { branch, url: `${this.repoRef.key}#${branch}`, label: branch };
  }

  private check(repo: RepoRef): void {
    if (repo.forge !== 'git' || repo.key !== this.repoRef.key) {
      throw new ForgeRefusedError('refused', `this git forge serves ${this.repoRef.key}, not ${repo.forge}:${repo.key}`);
    }
  }
}

function checkedChanges(changes: readonly { path: string; content: string | null }[]) {
  const seen = new Set<string>();
  for (const { path } of changes) {
    if (!path || path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..') || seen.has(path)) {
      throw new ForgeRefusedError('invalid-change', `invalid or repeated path in change: ${JSON.stringify(path)}`);
    }
    seen.add(path);
  }
  return changes.map(({ path, content }) => ({ path, content }));
}

/** Git failures become forge errors: a remote that refused or timed out may answer later. */
async function guard<T>(action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ForgeRefusedError || error instanceof ForgeUnavailableError) throw error;
    if (error instanceof GitPushConflictError) throw new ForgeUnavailableError('conflict-retries-exhausted', error.message, { cause: error });
    if (error instanceof GitCommandError) throw new ForgeUnavailableError('host-unavailable', `${action}: ${error.message}`, { cause: error });
    throw error;
  }
}
