/**
 * A stateful fake GitHub for tests: a real HTTP server on 127.0.0.1 with in-memory repositories, and
 * helpers that let a test act as "someone else" (push, open and merge pull requests, comment) and
 * inspect what the app did.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { diffTrees, unifiedDiff, type FileDiff } from './diffs.js';
import { HttpError } from './http.js';
import { issueCommentPayload, pullRequestPayload } from './payloads.js';
import { BRANCH_PREFIX, branchSha, commitFilesOnBranch, resolveCommitish } from './repo-ops.js';
import { addComment } from './routes/issues.js';
import { createPull, mergePull, pullShape } from './routes/pulls.js';
import { checkRunShape, commentShape, issueShape, reactionShape, repoShape, userShape, type Urls } from './shapes.js';
import { FakeServer, type FailureRule, type RecordedRequest } from './server.js';
import { FakeState, type CommitStatus, type RefUpdateHook, type Repo, type RepoRole } from './state.js';
import { ObjectStore } from './git-objects.js';
import type { HookDelivery } from './webhooks.js';

export type { FailureRule, RecordedRequest } from './server.js';
export type { RefUpdateEvent, RefUpdateHook, RepoRole } from './state.js';
export type { HookDelivery } from './webhooks.js';

export interface FakeGitHubOptions {
  appId?: number;
  appSlug?: string;
  appName?: string;
  installationId?: number;
  /** Account that owns the app registration. */
  appOwner?: string;
  /** Time source for commit dates and timestamps (default: the real clock). */
  clock?: () => Date;
}

export interface LogEntry {
  sha: string;
  message: string;
  parents: string[];
  /** Author name (the login for commits made through the fake). */
  author: string;
  verified: boolean;
  files: Array<{ path: string; status: FileDiff['status']; diff: string }>;
  /** All files' unified diffs, joined. */
  diff: string;
}

export interface OpenPullRequestInput {
  head: string;
  /** Default: the repository's default branch. */
  base?: string;
  title?: string;
  body?: string | null;
  /** Login of the author (default `octocat`). */
  user?: string;
  /** Committed on `head` (created from `base` if missing) before the pull request opens. */
  files?: Record<string, string | null>;
  message?: string;
  draft?: boolean;
}

const DEFAULT_HUMAN = 'octocat';

export class FakeGitHub {
  private readonly state: FakeState;
  private readonly server: FakeServer;
  private privateKey: string | undefined;

  constructor(options: FakeGitHubOptions = {}) {
    this.state = new FakeState(
      {
        appId: options.appId ?? 4242,
        appSlug: options.appSlug ?? 'opsbox-canary',
        appName: options.appName ?? 'OpsBox Canary',
        installationId: options.installationId ?? 7777,
        appOwner: options.appOwner ?? 'opsbox',
      },
      options.clock ?? (() => new Date()),
    );
    this.server = new FakeServer(this.state);
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return this.server.url;
  }

  /** `http://127.0.0.1:PORT/api/v3` — what Probot uses with `GHE_HOST` and `GHE_PROTOCOL=http`. */
  get apiUrl(): string {
    return `${this.server.url}/api/v3`;
  }

  /** `127.0.0.1:PORT`, for `GHE_HOST`. */
  get host(): string {
    return new URL(this.server.url).host;
  }

  /** Every request, in order. */
  get requests(): RecordedRequest[] {
    return this.server.requests;
  }

  /** Requests no route knows (answered 404 Not Found). */
  get unhandled(): RecordedRequest[] {
    return this.server.unhandled;
  }

  /** Exceptions the fake itself threw while answering (answered 500). */
  get errors(): Error[] {
    return this.server.errors;
  }

  get app(): { id: number; slug: string; name: string; installationId: number; botLogin: string; botId: number } {
    const app = this.state.app;
    return { id: app.id, slug: app.slug, name: app.name, installationId: app.installationId, botLogin: app.bot.login, botId: app.bot.id };
  }

  async listen(): Promise<this> {
    await this.server.listen();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Forgets the request log (and unhandled list), e.g. to measure one phase. */
  resetRequests(): void {
    this.server.requests.length = 0;
    this.server.unhandled.length = 0;
  }

  /** The next matching request(s) fail with this status before reaching the route. */
  /** Where the app's webhook deliveries go (its URL and secret); unset, every delivery fails to connect. */
  setWebhook(target: { url: string; secret: string } | undefined): void {
    this.state.webhooks.target = target;
  }

  /** Sends an event to the app's webhook as GitHub does, and records the attempt and its outcome. */
  deliverWebhook(event: string, payload: unknown): Promise<HookDelivery> {
    return this.state.webhooks.deliver(event, payload);
  }

  /** Every delivery attempt, oldest first. */
  hookDeliveries(): HookDelivery[] {
    return [...this.state.webhooks.deliveries];
  }

  /** Waits (bounded) until redeliveries asked for have been sent. */
  webhooksSettled(): Promise<void> {
    return this.state.webhooks.settled();
  }

  failNext(rule: FailureRule): void {
    this.server.failures.push(rule);
  }

  /** Runs before each `createCommitOnBranch` or `PATCH /git/refs/...` is applied; it may move the branch (a race). Returns an unsubscribe. */
  onBeforeRefUpdate(hook: RefUpdateHook): () => void {
    this.state.refUpdateHooks.push(hook);
    return () => {
      const index = this.state.refUpdateHooks.indexOf(hook);
      if (index >= 0) this.state.refUpdateHooks.splice(index, 1);
    };
  }

  /** A token that acts as this human user (any other token acts as the app's installation). */
  userToken(login: string): string {
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    this.state.user(login);
    this.state.tokens.set(token, login);
    return token;
  }

  /** An RSA private key (PEM) for the app, generated once per server; the fake does not verify JWT signatures. */
  appPrivateKey(): string {
    this.privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    return this.privateKey;
  }

  createRepo(
    owner: string,
    name: string,
    options: { files?: Record<string, string>; defaultBranch?: string; private?: boolean; message?: string; ownerType?: 'User' | 'Organization' } = {},
  ): { fullName: string; headSha: string } {
    const fullName = `${owner}/${name}`;
    if (this.state.repo(fullName)) throw new Error(`repository ${fullName} already exists`);
    this.state.user(owner, options.ownerType ?? 'Organization');
    const repo: Repo = {
      id: this.state.newId(),
      owner,
      name,
      fullName,
      defaultBranch: options.defaultBranch ?? 'main',
      private: options.private ?? false,
      createdAt: this.state.now(),
      objects: new ObjectStore(),
      refs: new Map(),
      issues: new Map(),
      nextNumber: 1,
      roles: new Map(),
      statuses: new Map(),
      deployments: [],
    };
    this.state.repos.set(fullName.toLowerCase(), repo);
    const headSha = commitFilesOnBranch(this.state, repo, repo.defaultBranch, options.files ?? { 'README.md': `# ${name}\n` }, {
      message: options.message ?? 'Initial commit',
      author: this.state.user(DEFAULT_HUMAN),
      verified: false,
    });
    return { fullName, headSha };
  }

  /** A commit by someone else (not the app) that moves `branch`, created from the default branch if missing. */
  commitFiles(
    fullName: string,
    branch: string,
    files: Record<string, string | null>,
    options: { message?: string; author?: string; from?: string } = {},
  ): string {
    return commitFilesOnBranch(this.state, this.repo(fullName), branch, files, {
      message: options.message ?? `Update ${Object.keys(files).join(', ')}`,
      author: this.state.user(options.author ?? DEFAULT_HUMAN),
      verified: false,
      from: options.from,
    });
  }

  createBranch(fullName: string, branch: string, from?: string): string {
    const repo = this.repo(fullName);
    if (branchSha(repo, branch)) throw new Error(`branch ${branch} already exists`);
    const sha = resolveCommitish(repo, from ?? repo.defaultBranch);
    if (!sha) throw new Error(`unknown ref ${from ?? repo.defaultBranch}`);
    repo.refs.set(BRANCH_PREFIX + branch, sha);
    return sha;
  }

  deleteBranch(fullName: string, branch: string): void {
    this.repo(fullName).refs.delete(BRANCH_PREFIX + branch);
  }

  branchSha(fullName: string, branch: string): string | undefined {
    return branchSha(this.repo(fullName), branch);
  }

  branches(fullName: string): string[] {
    return [...this.repo(fullName).refs.keys()]
      .filter((name) => name.startsWith(BRANCH_PREFIX))
      .map((name) => name.slice(BRANCH_PREFIX.length))
      .sort();
  }

  /** File contents at a branch, tag or sha; null when the file (or the ref) does not exist. */
  readFile(fullName: string, ref: string, path: string): string | null {
    const repo = this.repo(fullName);
    const sha = resolveCommitish(repo, ref);
    if (!sha) return null;
    const entry = repo.objects.lookup(repo.objects.getCommit(sha)!.tree, path);
    if (!entry || entry.type !== 'blob') return null;
    return repo.objects.getBlob(entry.sha)!.toString('utf8');
  }

  /** First-parent history of a ref, newest first, with each commit's changed files and diffs. */
  log(fullName: string, ref: string, options: { limit?: number } = {}): LogEntry[] {
    const repo = this.repo(fullName);
    const entries: LogEntry[] = [];
    let sha = resolveCommitish(repo, ref);
    const limit = options.limit ?? 1000;
    while (sha && entries.length < limit) {
      const commit = repo.objects.getCommit(sha)!;
      const parent = commit.parents[0];
      const files = diffTrees(repo.objects, parent ? repo.objects.getCommit(parent)!.tree : null, commit.tree);
      const fileEntries = files.map((file) => ({ path: file.path, status: file.status, diff: unifiedDiff(file) }));
      entries.push({
        sha,
        message: commit.message,
        parents: [...commit.parents],
        author: commit.author.name,
        verified: commit.verified,
        files: fileEntries,
        diff: fileEntries.map((file) => file.diff).join('\n'),
      });
      sha = parent;
    }
    return entries;
  }

  /** Commits `files` on `head` (if given) as `user`, then opens the pull request; returns its `opened` payload too. */
  openPullRequest(
    fullName: string,
    input: OpenPullRequestInput,
  ): { number: number; headSha: string; payload: Record<string, unknown> } {
    const repo = this.repo(fullName);
    const user = this.state.user(input.user ?? DEFAULT_HUMAN);
    const base = input.base ?? repo.defaultBranch;
    if (input.files) {
      commitFilesOnBranch(this.state, repo, input.head, input.files, {
        message: input.message ?? input.title ?? `Update ${Object.keys(input.files).join(', ')}`,
        author: user,
        verified: false,
        from: base,
      });
    }
    const issue = this.unwrap(() =>
      createPull(this.state, repo, {
        title: input.title ?? `Update ${input.head}`,
        head: input.head,
        base,
        body: input.body ?? null,
        draft: input.draft ?? false,
        user,
      }),
    );
    const pull = pullShape(this.urls(), this.state, repo, issue);
    return {
      number: issue.number,
      headSha: branchSha(repo, input.head)!,
      payload: pullRequestPayload('opened', pull, this.payloadParts(repo, user.login)),
    };
  }

  /**
   * Merges like the merge button (a merge commit on the base, or a squash commit) and returns the
   * `pull_request.closed` payload with `merged: true` that GitHub would deliver.
   */
  mergePullRequest(
    fullName: string,
    number: number,
    options: { mergedBy?: string; method?: 'merge' | 'squash' } = {},
  ): { mergeCommitSha: string; baseSha: string; headSha: string; payload: Record<string, unknown> } {
    const repo = this.repo(fullName);
    const issue = repo.issues.get(number);
    if (!issue?.pull) throw new Error(`no pull request #${number} in ${fullName}`);
    const mergedBy = this.state.user(options.mergedBy ?? DEFAULT_HUMAN);
    const result = this.unwrap(() => mergePull(this.state, repo, issue, { mergedBy, method: options.method }));
    const pull = pullShape(this.urls(), this.state, repo, issue);
    return { ...result, payload: pullRequestPayload('closed', pull, this.payloadParts(repo, mergedBy.login)) };
  }

  /** A comment by a person (default `octocat`); returns its id and the `issue_comment.created` payload. */
  createComment(
    fullName: string,
    issueNumber: number,
    body: string,
    /** `at`: when the comment was written, if not now (a delivery that comes late). */
    options: { user?: string; at?: Date } = {},
  ): { id: number; payload: Record<string, unknown> } {
    const repo = this.repo(fullName);
    const user = this.state.user(options.user ?? DEFAULT_HUMAN);
    const comment = this.unwrap(() => addComment(this.state, repo, issueNumber, body, user));
    if (options.at) comment.createdAt = comment.updatedAt = options.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const issue = repo.issues.get(issueNumber)!;
    return {
      id: comment.id,
      payload: issueCommentPayload(
        'created',
        issueShape(this.urls(), this.state, repo, issue),
        commentShape(this.urls(), this.state, comment),
        this.payloadParts(repo, user.login),
      ),
    };
  }

  /** Comments on an issue or pull request, oldest first, as the API returns them. */
  comments(fullName: string, issueNumber: number): Array<Record<string, any>> {
    const repo = this.repo(fullName);
    return [...this.state.comments.values()]
      .filter((comment) => comment.repo === repo && comment.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id)
      .map((comment) => commentShape(this.urls(), this.state, comment));
  }

  pullRequests(fullName: string, options: { state?: 'open' | 'closed' | 'all' } = {}): Array<Record<string, any>> {
    const repo = this.repo(fullName);
    const wanted = options.state ?? 'all';
    return [...repo.issues.values()]
      .filter((issue) => issue.pull && (wanted === 'all' || issue.state === wanted))
      .sort((a, b) => a.number - b.number)
      .map((issue) => pullShape(this.urls(), this.state, repo, issue));
  }

  checkRuns(fullName: string, options: { headSha?: string } = {}): Array<Record<string, any>> {
    const repo = this.repo(fullName);
    return [...this.state.checkRuns.values()]
      .filter((run) => run.repo === repo && (!options.headSha || run.headSha === options.headSha))
      .sort((a, b) => a.id - b.id)
      .map((run) => checkRunShape(this.urls(), this.state, run));
  }

  reactions(commentId: number): Array<Record<string, any>> {
    return this.state.reactions
      .filter((reaction) => reaction.commentId === commentId)
      .map((reaction) => reactionShape(this.urls(), reaction));
  }

  /** A collaborator role; users without one may read a public repository and nothing else. */
  setPermission(fullName: string, login: string, role: RepoRole): void {
    this.state.user(login);
    this.repo(fullName).roles.set(login.toLowerCase(), role);
  }

  /** A commit status posted by another integration (default creator `argocd-notifications`). */
  setCommitStatus(
    fullName: string,
    sha: string,
    input: { state: CommitStatus['state']; context: string; description?: string; targetUrl?: string; creator?: string },
  ): void {
    const repo = this.repo(fullName);
    const commit = resolveCommitish(repo, sha);
    if (!commit) throw new Error(`unknown commit ${sha}`);
    const now = this.state.now();
    const status: CommitStatus = {
      id: this.state.newId(),
      state: input.state,
      context: input.context,
      description: input.description ?? null,
      targetUrl: input.targetUrl ?? null,
      creator: this.state.user(input.creator ?? 'argocd-notifications'),
      createdAt: now,
      updatedAt: now,
    };
    repo.statuses.set(commit, [...(repo.statuses.get(commit) ?? []), status]);
  }

  /** The repository as `GET /repos/:o/:r` returns it (for building payloads). */
  repository(fullName: string): Record<string, any> {
    return repoShape(this.urls(), this.state, this.repo(fullName));
  }

  /** A user as the API returns it. */
  user(login: string): Record<string, any> {
    return userShape(this.urls(), this.state.user(login));
  }

  /** The repository's deployments, oldest first, each with its statuses oldest first. */
  deployments(fullName: string): Array<{ id: number; sha: string; ref: string; environment: string; task: string; payload: unknown; statuses: Array<{ state: string; logUrl: string; description: string }> }> {
    return this.repo(fullName).deployments.map((d) => ({
      id: d.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      task: d.task,
      payload: structuredClone(d.payload),
      statuses: d.statuses.map((s) => ({ state: s.state, logUrl: s.logUrl, description: s.description })),
    }));
  }

  private repo(fullName: string): Repo {
    const repo = this.state.repo(fullName);
    if (!repo) throw new Error(`no repository ${fullName} in the fake GitHub`);
    return repo;
  }

  private urls(): Urls {
    return { web: this.url, api: this.apiUrl };
  }

  private payloadParts(repo: Repo, sender: string) {
    return {
      repository: repoShape(this.urls(), this.state, repo),
      sender: userShape(this.urls(), this.state.user(sender)),
      installationId: this.state.app.installationId,
    };
  }

  /** Helpers throw plain errors that name GitHub's answer. */
  private unwrap<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof HttpError) {
        const detail = Array.isArray(error.extra.errors) ? `: ${JSON.stringify(error.extra.errors)}` : '';
        throw new Error(`GitHub would answer ${error.status} ${error.message}${detail}`);
      }
      throw error;
    }
  }
}

/** Starts a fake GitHub on 127.0.0.1 with a random free port. Call `close()` when done. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  return new FakeGitHub(options).listen();
}
