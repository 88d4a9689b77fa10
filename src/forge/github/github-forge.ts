/**
 * The GitHub adapter of the forge port: a GitHub App installation's repositories, through Probot's
 * Octokit. What GitHub needs to find its objects again lives in the `native` part of the neutral
 * references: the installation id of a repository, the ids of the status comment, check run and
 * failure comment (with digests of what was sent), the number of a revert pull request.
 */
import { createHash } from 'node:crypto';
import type { ConfigProblem } from '../../config/problems.js';
import type { RepoFiles } from '../../repo/files.js';
import {
  failureMarker,
  renderCheckRun,
  renderConfigProblems,
  renderFailureComment,
  renderStatusComment,
  reportRenderer,
  statusMarker,
} from '../../report/render.js';
import { commitStatusGate, type CommitStatusOctokit } from '../../sync/commit-status.js';
import { githubContains } from '../../sync/contains.js';
import type { SyncGate, SyncGateName } from '../../sync/gate.js';
import { ForgeError, ForgeUnavailableError } from '../forge.js';
import type {
  ChangeRequest,
  CommandRef,
  CommitOutcome,
  Forge,
  ForgeRole,
  LoadedConfig,
  NativeRef,
  ReplyMessage,
  RepoRef,
  RevertProposal,
  RevertRef,
  RevertStatus,
  Snapshot,
  SnapshotWants,
  StatusPublication,
  StatusRef,
  ThreadRef,
} from '../forge.js';
import { upsertCheckRun, type CheckRunOctokit, CHECK_RUN_NAME } from './check-run.js';
import { addReaction, postComment, upsertComment, type ReactionOctokit, type UpsertCommentOctokit } from './comment.js';
import { commitChange, type CommitOctokit } from './commit.js';
import { loadRepoConfig, type ConfigFileOctokit } from './config-file.js';
import { requestStatus } from './errors.js';
import { asForgeError } from './forge-errors.js';
import { githubLinks } from './links.js';
import { findOwnCommit, type ListCommitsOctokit } from './own-commit.js';
import { getRepoPermission, type PermissionOctokit } from './permissions.js';
import { closePullRequest, pullRequestStatus, type ClosePullOctokit } from './pull-request.js';
import { ensureRevertPullRequest, type RevertPrOctokit } from './revert-pr.js';
import { RevisionCache } from './revision-cache.js';
import { CachedCommitFiles, CommitSnapshot, type SnapshotOctokit } from './snapshot.js';
import type { CompareOctokit } from '../../sync/contains.js';

/** An installation's client: Probot's Octokit, narrowed to what the adapter calls. */
export type InstallationOctokit = CommitOctokit &
  UpsertCommentOctokit &
  ReactionOctokit &
  CheckRunOctokit &
  RevertPrOctokit &
  ClosePullOctokit &
  PermissionOctokit &
  CommitStatusOctokit &
  CompareOctokit &
  ListCommitsOctokit &
  SnapshotOctokit &
  ConfigFileOctokit;

export interface GitHubForgeOptions {
  /** An authenticated client for an installation (`app.auth(installationId)`). */
  auth(installationId: number): Promise<InstallationOctokit>;
  /** The app's own login (`<app-slug>[bot]`): only its comments are found again by marker. */
  appLogin: () => Promise<string>;
  /** `https://github.com`, or the GitHub Enterprise Server URL. */
  serverUrl: string;
  /** File contents by commit and branch heads, shared by the reads and the commits of one process. */
  revisions?: RevisionCache;
}

/** `repo.native` of a GitHub repository. */
export interface GitHubRepoNative {
  installationId: number;
}

/** `statusRef.native` on GitHub: the objects of the status view and digests of what each last showed. */
interface GitHubStatusNative {
  commentId?: number;
  checkRunId?: number;
  failureCommentId?: number;
  commentDigest?: string;
  checkRunDigest?: string;
  failureDigest?: string;
}

/** A GitHub repository of an installation as the neutral reference a rollout saves. */
export function githubRepoRef(repo: { installationId: number; owner: string; repo: string; defaultBranch: string }): RepoRef {
  return {
    forge: 'github',
    key: `${repo.owner}/${repo.repo}`,
    owner: repo.owner,
    repo: repo.repo,
    defaultBranch: repo.defaultBranch,
    native: { installationId: repo.installationId },
  };
}

/** The installation a repository reference belongs to. */
export function installationOf(repo: RepoRef): number {
  const id = repo.native?.installationId;
  if (typeof id !== 'number') throw new Error(`${repo.key} has no GitHub installation id in its reference`);
  return id;
}

export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly revisions: RevisionCache;
  private readonly links: ReturnType<typeof githubLinks>;

  constructor(private readonly options: GitHubForgeOptions) {
    this.revisions = options.revisions ?? new RevisionCache();
    this.links = githubLinks(options.serverUrl);
  }

  /**
   * The installation's client of a repository. A token request that got no answer at all (the
   * network) may work later; one GitHub answered is classified like any other request.
   */
  async octokit(repo: RepoRef): Promise<InstallationOctokit> {
    const installationId = installationOf(repo);
    try {
      return await this.options.auth(installationId);
    } catch (error) {
      if (requestStatus(error) !== undefined || error instanceof ForgeError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ForgeUnavailableError('host-unavailable', `authenticating as installation ${installationId} failed: ${message}`, { cause: error });
    }
  }

  async readSnapshot(repo: RepoRef, sha: string, wants: SnapshotWants): Promise<Snapshot> {
    const octokit = await this.octokit(repo);
    const snapshot = await CommitSnapshot.read(octokit, repo.owner, repo.repo, sha, wants);
    const revisions = this.revisions;
    return Object.assign(snapshot, {
      parentSha: snapshot.parentSha ?? null,
      async retain(branch: string): Promise<void> {
        await snapshot.saveTo(revisions);
        revisions.setHead(repo.owner, repo.repo, branch, sha);
      },
    });
  }

  filesAt(repo: RepoRef, sha: string): RepoFiles {
    return new CachedCommitFiles(this.revisions, this.lazyClient(repo), repo.owner, repo.repo, sha);
  }

  loadConfig(repo: RepoRef, path: string): Promise<LoadedConfig> {
    return this.guard(async () => loadRepoConfig(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, path }));
  }

  commit(repo: RepoRef, change: ChangeRequest): Promise<CommitOutcome> {
    return this.guard(async () => {
      const result = await commitChange(await this.octokit(repo), {
        owner: repo.owner,
        repo: repo.repo,
        branch: change.branch,
        message: change.message,
        build: change.build,
        prefetch: change.prefetch,
        cache: this.revisions,
      });
      return { sha: result.skipped ? null : result.sha };
    });
  }

  findOwnCommit(repo: RepoRef, branch: string, message: string): Promise<string | null> {
    return this.guard(async () => findOwnCommit(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, branch, message }));
  }

  contains(repo: RepoRef, ancestor: string, descendant: string): Promise<boolean> {
    return this.guard(async () => githubContains(await this.octokit(repo))({ owner: repo.owner, repo: repo.repo, sha: ancestor }, descendant));
  }

  proposeRevert(repo: RepoRef, proposal: RevertProposal): Promise<RevertRef> {
    return this.guard(async () => {
      const pr = await ensureRevertPullRequest(await this.octokit(repo), {
        owner: repo.owner,
        repo: repo.repo,
        base: repo.defaultBranch,
        branch: proposal.branch,
        title: proposal.title,
        body: proposal.body,
        message: proposal.message,
        build: proposal.build,
        cache: this.revisions,
      });
      return { branch: proposal.branch, url: pr.url, label: `#${pr.number}`, thread: { number: pr.number }, native: { number: pr.number } };
    });
  }

  withdrawRevert(repo: RepoRef, revert: RevertRef, reason: string): Promise<void> {
    return this.guard(async () => {
      await closePullRequest(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, number: pullNumber(revert), comment: `Closed: ${reason}.` });
    });
  }

  revertStatus(repo: RepoRef, revert: RevertRef): Promise<RevertStatus> {
    return this.guard(async () => {
      const status = await pullRequestStatus(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, number: pullNumber(revert) });
      return status === 'closed' ? 'withdrawn' : status;
    });
  }

  /**
   * The status comment and the check run, edited in place by their saved ids; the failure comment
   * once an aborted rollout ends (a fresh comment notifies people; edits do not). A part whose text
   * did not change since it was last sent is not sent.
   */
  publishStatus(repo: RepoRef, publication: StatusPublication): Promise<StatusRef> {
    return this.guard(async () => {
      const octokit = await this.octokit(repo);
      const { owner, repo: name } = repo;
      const { view, thread, mayExist, rolloutId } = publication;
      const before = statusNative(publication.previous);
      const after: GitHubStatusNative = { ...before };
      let failureNoticeAt = publication.previous?.failureNoticeAt;

      const commentBody = renderStatusComment(view);
      after.commentDigest = digestOf(commentBody);
      if (before.commentId === undefined || after.commentDigest !== before.commentDigest) {
        after.commentId = await upsertComment(octokit, {
          owner,
          repo: name,
          issueNumber: thread.number,
          commentId: before.commentId,
          body: commentBody,
          marker: statusMarker(rolloutId),
          mayExist,
          ownLogin: this.options.appLogin,
        });
      }

      const check = renderCheckRun(view);
      after.checkRunDigest = digestOf(JSON.stringify(check));
      if (before.checkRunId === undefined || after.checkRunDigest !== before.checkRunDigest) {
        after.checkRunId = await upsertCheckRun(octokit, {
          owner,
          repo: name,
          headSha: publication.commit,
          checkRunId: before.checkRunId,
          // found again by the rollout id when a crash lost the saved id
          externalId: rolloutId,
          name: CHECK_RUN_NAME,
          status: check.status,
          conclusion: check.conclusion,
          title: check.title,
          summary: check.summary,
          text: check.text,
          mayExist,
        });
      }

      if (publication.final && view.phase === 'Aborted') {
        const failureAt = publication.failureAt ?? 0;
        // A later failure (after /retry) gets a comment of its own.
        if (failureNoticeAt !== failureAt) {
          after.failureCommentId = undefined;
          after.failureDigest = undefined;
        }
        const body = renderFailureComment(view);
        const digest = digestOf(body);
        if (after.failureCommentId === undefined || digest !== after.failureDigest) {
          after.failureCommentId = await upsertComment(octokit, {
            owner,
            repo: name,
            issueNumber: thread.number,
            commentId: after.failureCommentId,
            body,
            marker: failureMarker(rolloutId, publication.failureAt),
            mayExist,
            ownLogin: this.options.appLogin,
          });
        }
        after.failureDigest = digest;
        failureNoticeAt = failureAt;
      }
      const ref: StatusRef = { forge: 'github', native: compact(after) };
      if (failureNoticeAt !== undefined) ref.failureNoticeAt = failureNoticeAt;
      return ref;
    });
  }

  reportProblems(repo: RepoRef, thread: ThreadRef, commit: string, problems: ConfigProblem[]): Promise<void> {
    return this.guard(async () => {
      const octokit = await this.octokit(repo);
      const body = renderConfigProblems(problems);
      await upsertCheckRun(octokit, {
        owner: repo.owner,
        repo: repo.repo,
        headSha: commit,
        name: CHECK_RUN_NAME,
        status: 'completed',
        conclusion: 'failure',
        title: `No rollout started: ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix`,
        summary: body,
      });
      await upsertComment(octokit, {
        owner: repo.owner,
        repo: repo.repo,
        issueNumber: thread.number,
        body,
        marker: `<!-- opsbox:problems sha=${commit} -->`,
        ownLogin: this.options.appLogin,
      });
    });
  }

  reply(repo: RepoRef, thread: ThreadRef, message: ReplyMessage): Promise<void> {
    return this.guard(async () => {
      const body = message.kind === 'help' ? reportRenderer().commandHelp(message.view) : reportRenderer().commandReply(message.view);
      await postComment(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, issueNumber: thread.number, body });
    });
  }

  acknowledge(repo: RepoRef, command: CommandRef): Promise<void> {
    return this.guard(async () => {
      await addReaction(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, commentId: Number(command.id), content: 'eyes' });
    });
  }

  roleOf(repo: RepoRef, user: string): Promise<ForgeRole> {
    return this.guard(async () => getRepoPermission(await this.octokit(repo), { owner: repo.owner, repo: repo.repo, username: user }));
  }

  syncGate(repo: RepoRef, name: SyncGateName): SyncGate | undefined {
    if (name !== 'commitStatus') return undefined;
    // The client is asked for when the gate is: a gate is made per effect, before any request.
    return { name, check: (target) => this.guard(async () => commitStatusGate(await this.octokit(repo)).check(target)) };
  }

  commitUrl(repo: RepoRef, sha: string): string {
    return this.links.commitUrl(repo, sha);
  }

  threadUrl(repo: RepoRef, thread: ThreadRef, status?: StatusRef): string {
    return this.links.threadUrl(repo, thread, status);
  }

  /** A client that authenticates on its first request, for readers made before any request. */
  private lazyClient(repo: RepoRef): SnapshotOctokit {
    return {
      graphql: async (query, parameters) => (await this.octokit(repo)).graphql(query, parameters),
      request: async (route, params) => (await this.octokit(repo)).request(route, params),
    };
  }

  /** Every failure leaves the adapter as a ForgeError when GitHub answered; others pass unchanged. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asForgeError(error);
    }
  }
}

function pullNumber(revert: RevertRef): number {
  const number = revert.native?.number ?? revert.thread?.number;
  if (typeof number !== 'number') throw new Error(`the revert ${revert.label} has no pull request number`);
  return number;
}

function statusNative(ref: StatusRef | undefined): GitHubStatusNative {
  if (!ref || ref.forge !== 'github') return {};
  const native = ref.native;
  const num = (key: string) => (typeof native[key] === 'number' ? (native[key] as number) : undefined);
  const str = (key: string) => (typeof native[key] === 'string' ? (native[key] as string) : undefined);
  return compact({
    commentId: num('commentId'),
    checkRunId: num('checkRunId'),
    failureCommentId: num('failureCommentId'),
    commentDigest: str('commentDigest'),
    checkRunDigest: str('checkRunDigest'),
    failureDigest: str('failureDigest'),
  }) as GitHubStatusNative;
}

/** Without undefined fields, so the saved JSON holds only what is known. */
function compact<T extends object>(value: T): NativeRef & T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as NativeRef & T;
}

/** A short digest of a rendered text: enough to tell whether it changed since it was sent. */
function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
