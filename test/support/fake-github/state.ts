/**
 * The in-memory state of one fake GitHub server. Everything lives on an instance: two servers in
 * one test process share nothing.
 */
import { ObjectStore } from './git-objects.js';
import { WebhookLog } from './webhooks.js';

export type UserType = 'User' | 'Bot' | 'Organization';

export interface User {
  login: string;
  id: number;
  type: UserType;
}

export type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface Repo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  objects: ObjectStore;
  /** Full ref name (`refs/heads/main`) → commit sha. */
  refs: Map<string, string>;
  /** Issues and pull requests share one numbering, as on GitHub. */
  issues: Map<number, Issue>;
  nextNumber: number;
  roles: Map<string, RepoRole>;
  /** Commit sha → commit statuses, oldest first. */
  statuses: Map<string, CommitStatus[]>;
  /** Deployments, oldest first, each with its statuses. */
  deployments: Deployment[];
}

export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  description: string | null;
  transient: boolean;
  production: boolean;
  creator: User;
  createdAt: string;
  updatedAt: string;
  /** Oldest first. */
  statuses: DeploymentStatus[];
}

export interface DeploymentStatus {
  id: number;
  state: 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';
  description: string;
  logUrl: string;
  environmentUrl: string;
  creator: User;
  createdAt: string;
}

export interface Issue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: User;
  state: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull?: Pull;
}

export interface Pull {
  id: number;
  headRef: string;
  baseRef: string;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: User | null;
  mergeCommitSha: string | null;
  /** Frozen when the pull request closes; while open they follow the branches. */
  closedHeadSha: string | null;
  closedBaseSha: string | null;
}

export interface Comment {
  id: number;
  repo: Repo;
  issueNumber: number;
  body: string;
  user: User;
  createdAt: string;
  updatedAt: string;
}

export const REACTION_CONTENTS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'] as const;
export type ReactionContent = (typeof REACTION_CONTENTS)[number];

export interface Reaction {
  id: number;
  commentId: number;
  content: ReactionContent;
  user: User;
  createdAt: string;
}

export interface CheckRunOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
}

export interface CheckRun {
  id: number;
  repo: Repo;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: CheckRunOutput;
  appSlug: string;
  suiteId: number;
}

export interface CommitStatus {
  id: number;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: User;
  createdAt: string;
  updatedAt: string;
}

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  installationId: number;
  /** The bot user the app acts as with an installation token: `<slug>[bot]`. */
  bot: User;
  owner: User;
}

/** What a test sees before a branch moves (`createCommitOnBranch`, `PATCH /git/refs`); it may move it first (a race). */
export interface RefUpdateEvent {
  repo: string;
  /** Full ref name, `refs/heads/main`. */
  ref: string;
  branch: string;
  currentSha: string;
  newSha: string;
  force: boolean;
}

export type RefUpdateHook = (event: RefUpdateEvent) => void | Promise<void>;

export class FakeState {
  private nextId = 1000;
  private readonly users = new Map<string, User>();
  readonly repos = new Map<string, Repo>();
  readonly comments = new Map<number, Comment>();
  readonly reactions: Reaction[] = [];
  readonly checkRuns = new Map<number, CheckRun>();
  /** Token → login of the user it acts as. Unknown tokens act as the app's installation. */
  readonly tokens = new Map<string, string>();
  readonly refUpdateHooks: RefUpdateHook[] = [];
  readonly app: AppIdentity;
  /** The app's webhook: where deliveries go and every attempt so far. */
  readonly webhooks: WebhookLog;

  constructor(
    options: { appId: number; appSlug: string; appName: string; installationId: number; appOwner: string },
    readonly clock: () => Date,
  ) {
    const owner = this.user(options.appOwner, 'Organization');
    const bot = this.user(`${options.appSlug}[bot]`, 'Bot');
    this.app = {
      id: options.appId,
      slug: options.appSlug,
      name: options.appName,
      installationId: options.installationId,
      bot,
      owner,
    };
    this.webhooks = new WebhookLog(() => this.newId(), clock);
  }

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  /** GitHub prints times in second precision. */
  now(): string {
    return this.clock().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** The user with this login, created on first mention. */
  user(login: string, type: UserType = login.endsWith('[bot]') ? 'Bot' : 'User'): User {
    let user = this.users.get(login.toLowerCase());
    if (!user) {
      user = { login, id: this.newId(), type };
      this.users.set(login.toLowerCase(), user);
    }
    return user;
  }

  knowsUser(login: string): boolean {
    return this.users.has(login.toLowerCase());
  }

  repo(fullName: string): Repo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }
}
