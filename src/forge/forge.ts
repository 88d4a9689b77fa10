/**
 * The forge port: everything the rollout engine, the effect executor and ChatOps ask of the place
 * a manifests repository lives (GitHub, a plain git remote, …). The domain never sees a forge's
 * own ids: a rollout keeps a neutral `RepoRef`, `StatusRef` and `RevertRef`, and whatever the
 * forge needs to find its objects again (an installation id, a comment id, a pull request number)
 * sits in their `native` field, which only that forge's adapter reads or writes.
 *
 * Adding a forge: one folder `src/forge/<name>/` with a class implementing `Forge`, and one line
 * where the process builds its `ForgeRegistry` (`src/app/runtime.ts` for the GitHub App). Every method
 * must be safe to call again after a crash: the engine replays effects whose results it did not
 * store. Failures say by their class whether to try again (see ForgeError below). The suite in
 * test/forge/forge.contract.ts is what every adapter passes.
 */
import type { ConfigProblem } from '../config/problems.js';
import type { RepoFiles } from '../repo/files.js';
import type { CommandReplyView, HelpView } from '../chatops/reply-views.js';
import type { RolloutView } from '../report/view.js';
import type { SyncGate, SyncGateName } from '../sync/gate.js';

/** The forges this build can talk to; the key of the registry and of saved repository references. */
export type ForgeKind = 'github' | 'git';

/** Plain JSON an adapter saves with a rollout to find its own objects again; opaque to everyone else. */
export type NativeRef = Readonly<Record<string, string | number | boolean | null>>;

/**
 * A repository as a rollout saves it. `key` is unique within the forge (`owner/repo` on GitHub,
 * the remote URL or path for plain git); `owner`/`repo` are the two-part name people read and the
 * store indexes by.
 */
export interface RepoRef {
  forge: ForgeKind;
  key: string;
  owner: string;
  repo: string;
  /** The branch rollouts commit to. */
  defaultBranch: string;
  /** The adapter's own data (GitHub: `{ installationId }`). */
  native?: NativeRef;
}

/**
 * Where a rollout talks to people: the change that started it (a merged pull request on GitHub, the
 * bump commit for plain git). `number` identifies it within the repository.
 */
export interface ThreadRef {
  number: number;
}

/** The status view as last published (GitHub: comment and check run ids, digests of what was sent). */
export interface StatusRef {
  forge: ForgeKind;
  /**
   * The failure (its `failure.at`, 0 when it has none) whose notice was published: a failure
   * notice of a later failure is a new one, which notifies people again.
   */
  failureNoticeAt?: number;
  native: NativeRef;
}

/** A proposed revert: a pull request on GitHub, a pushed branch for plain git. */
export interface RevertRef {
  /** The branch that holds the revert commit. */
  branch: string;
  /** Where people look at it (the pull request page, or the branch). */
  url: string;
  /** How people name it: `#42`, `opsbox/revert/api-1.2.3`. */
  label: string;
  /** Set when the revert is a thread of its own where commands are read (GitHub: the pull request). */
  thread?: ThreadRef;
  native?: NativeRef;
}

export type RevertStatus = 'open' | 'withdrawn' | 'merged';

/** Permission of a person on the repository, from least to most. */
export type ForgeRole = 'none' | 'read' | 'triage' | 'write' | 'maintain' | 'admin';

/** A file at the commit being built on; null when it does not exist there. */
export type ReadFile = (path: string) => Promise<string | null>;

export interface FileChange {
  path: string;
  /** The whole new content; null deletes the file. */
  content: string | null;
}

/** Builds the change from the files at the branch head; runs again on a newer head after a race, so it reads nothing else. */
export type BuildChange = (read: ReadFile) => Promise<readonly FileChange[]> | readonly FileChange[];

export interface ChangeRequest {
  branch: string;
  message: string;
  build: BuildChange;
  /** Files `build` will likely read: an adapter may read them together with the head. */
  prefetch?: readonly string[];
}

/** The commit made, or `sha: null` when every file already had its new content (nothing to commit). */
export interface CommitOutcome {
  sha: string | null;
}

export interface SnapshotWants {
  /** Files at the commit. */
  files?: readonly string[];
  /** Files at the commit's first parent (the other side of a merge). */
  parentFiles?: readonly string[];
  /** Folders at the commit, listed with every file under them. */
  folders?: readonly string[];
}

/** A repository at one commit, and its first parent; paths nobody asked for are read on demand. */
export interface Snapshot extends RepoFiles {
  readonly sha: string;
  /** The first parent; null for a root commit. */
  readonly parentSha: string | null;
  /** The file at the first parent, or null. */
  readParentOptional(path: string): Promise<string | null>;
  /** A content id of the file (same id, same content), or null when it does not exist. */
  blobSha(path: string): Promise<string | null>;
  parentBlobSha(path: string): Promise<string | null>;
  /** The files read are about to be edited: the adapter may keep them so the next commits need no reads. */
  retain(branch: string): Promise<void>;
}

/** The config file as loaded (a forge may follow its own inheritance, e.g. GitHub's `_extends`). */
export type LoadedConfig =
  /** No config anywhere: not a repository the app manages. */
  | { kind: 'none' }
  | { kind: 'invalid'; problems: ConfigProblem[] }
  /** `text` is set when a single file made the config, so schema problems can name its lines. */
  | { kind: 'config'; raw: unknown; text?: string };

export interface RevertProposal {
  branch: string;
  title: string;
  /** Markdown shown with the proposal. */
  body: string;
  message: string;
  build: BuildChange;
}

export interface StatusPublication {
  rolloutId: string;
  thread: ThreadRef;
  /** The commit checks are reported on (the merge commit). */
  commit: string;
  view: RolloutView;
  /** What was published before, to edit in place; undefined the first time. */
  previous?: StatusRef;
  /** A run after a crash or failure half-way: look for objects an earlier run made whose refs were lost. */
  mayExist: boolean;
  /** The rollout has ended: an aborted one also gets a failure notice that notifies people. */
  final: boolean;
  /** When the current failure happened, to tell one failure's notice from the next. */
  failureAt?: number;
}

/** A ChatOps command as the forge delivered it: what to acknowledge. */
export interface CommandRef {
  id: string;
  native?: NativeRef;
}

export type ReplyMessage = { kind: 'reply'; view: CommandReplyView } | { kind: 'help'; view: HelpView };

export interface Forge {
  readonly kind: ForgeKind;
  /** Reads the files (and parent files, folders) a caller wants at a commit, in as few requests as the forge allows. */
  readSnapshot(repo: RepoRef, sha: string, wants: SnapshotWants): Promise<Snapshot>;
  /** The files at a commit, read only when asked (what a snapshot retained costs no request). */
  filesAt(repo: RepoRef, sha: string): RepoFiles;
  /** Loads the config file of the default branch; throws an error that says `retryable` when it cannot be read. */
  loadConfig(repo: RepoRef, path: string): Promise<LoadedConfig>;
  /** Commits the built change on the branch with compare-and-swap on its head, rebuilding on a newer head (bounded). */
  commit(repo: RepoRef, change: ChangeRequest): Promise<CommitOutcome>;
  /** The newest recent commit of the branch with exactly this message, or null (a replayed commit finds its own). */
  findOwnCommit(repo: RepoRef, branch: string, message: string): Promise<string | null>;
  /** Whether `descendant` is `ancestor` or a later commit whose history contains it. */
  contains(repo: RepoRef, ancestor: string, descendant: string): Promise<boolean>;
  /** Proposes the revert (once: found again by branch on a replay). */
  proposeRevert(repo: RepoRef, proposal: RevertProposal): Promise<RevertRef>;
  /** Withdraws a proposed revert that is still open, saying why; does nothing when it is merged or gone. */
  withdrawRevert(repo: RepoRef, revert: RevertRef, reason: string): Promise<void>;
  /** Whether a proposed revert is still open, was withdrawn, or was merged. */
  revertStatus(repo: RepoRef, revert: RevertRef): Promise<RevertStatus>;
  /** Publishes the rollout's status view, edited in place; returns the reference to edit next time. */
  publishStatus(repo: RepoRef, publication: StatusPublication): Promise<StatusRef>;
  /** Tells the thread why no rollout started (config problems), once per commit. */
  reportProblems(repo: RepoRef, thread: ThreadRef, commit: string, problems: ConfigProblem[]): Promise<void>;
  /** Answers a command in the thread. */
  reply(repo: RepoRef, thread: ThreadRef, message: ReplyMessage): Promise<void>;
  /** Marks a command as seen (GitHub: 👀 on the comment). */
  acknowledge(repo: RepoRef, command: CommandRef): Promise<void>;
  /** The sender's permission on the repository. */
  roleOf(repo: RepoRef, user: string): Promise<ForgeRole>;
  /** A sync gate that reads the forge itself (GitHub: `commitStatus`), or undefined when it has none by that name. */
  syncGate(repo: RepoRef, name: SyncGateName): SyncGate | undefined;
  /** A link to a commit, for people. */
  commitUrl(repo: RepoRef, sha: string): string;
  /** A link to the thread, at the status view when there is one. */
  threadUrl(repo: RepoRef, thread: ThreadRef, status?: StatusRef): string;
}

/** The links of a forge, for views built where no forge is at hand (the dashboard). */
export type ForgeLinks = Pick<Forge, 'commitUrl' | 'threadUrl'>;

/** Whether a role may change a rollout (promote, pause, abort, …). */
export function canWrite(role: ForgeRole): boolean {
  return role === 'write' || role === 'maintain' || role === 'admin';
}

// ---------------------------------------------------------------------------------------------
// errors: whether to try again is a property of the class, never guessed from a message

export type ForgeErrorCode =
  /** The branch to edit does not exist. */
  | 'branch-not-found'
  /** The branch kept moving under every attempt. */
  | 'conflict-retries-exhausted'
  /** The change itself is malformed (an empty or duplicated path). */
  | 'invalid-change'
  /** A path names a folder or a submodule where a file was expected. */
  | 'not-a-file'
  /** A revert would contain nothing: the branch already has it. */
  | 'nothing-to-propose'
  /** The forge refused the request (permissions, validation). */
  | 'refused'
  /** The forge could not be reached or failed (5xx, timeout, rate limit). */
  | 'host-unavailable';

export abstract class ForgeError extends Error {
  abstract readonly retryable: boolean;
  /** The HTTP status behind it, for forges that answer over HTTP. */
  readonly status: number | undefined;
  constructor(
    readonly code: ForgeErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
  }
}

/** The forge failed, was unreachable, rate limited, or the branch kept moving: the same request may succeed later. */
export class ForgeUnavailableError extends ForgeError {
  readonly retryable = true;
}

/** The request cannot succeed as it stands (a missing branch, a malformed change, no permission): retrying will not help. */
export class ForgeRefusedError extends ForgeError {
  readonly retryable = false;
}

/** HTTP answers worth trying again later: server errors, rate limits (429, and 403 for secondary limits), conflicts. */
export function retryableHttpStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 403 || status === 409;
}

/** Whether trying again may help: the error's class says so (or its own `retryable`); anything else is not retried. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ForgeError) return error.retryable;
  const says = (error as { retryable?: unknown } | null)?.retryable;
  return typeof says === 'boolean' ? says : false;
}
