/**
 * Durable state, as ports both backends satisfy: the file store (one replica, `OPSBOX_DATA_DIR`)
 * and PostgreSQL (any number of replicas, `DATABASE_URL`). Rollouts are written with optimistic
 * versions; claimed work waits in an inbox; a lock port makes one holder drive a rollout at a time.
 */
import type { RolloutState } from '../rollout/types.js';
import type { AlertBook } from './alert-book.js';
import type { LockPort } from './locks.js';
import type { WritePace } from './write-pace.js';
import type { RolloutPage, RolloutQuery } from './rollout-listing.js';

export type { RolloutPage, RolloutQuery } from './rollout-listing.js';

export interface StoredRollout {
  state: RolloutState;
  /** Incremented on every write; a write with a stale version is refused. */
  version: number;
}

export class VersionConflictError extends Error {
  readonly code = 'version-conflict';
  constructor(readonly id: string, readonly expected: number, readonly actual: number) {
    super(`rollout ${id} changed underneath (expected version ${expected}, found ${actual}); re-read and apply again`);
    this.name = 'VersionConflictError';
  }
}

export interface RolloutStore {
  get(id: string): Promise<StoredRollout | undefined>;
  /** Writes `state` if the stored version is `expectedVersion` (0 for a new rollout); returns the new version. */
  put(state: RolloutState, expectedVersion: number): Promise<number>;
  /** Rollouts started by a pull request or rolled back by it (its revert pull request), newest first. */
  forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]>;
  /** The newest rollout of one service of a repository, ended or not. */
  latestFor(owner: string, repo: string, service: string): Promise<RolloutState | undefined>;
  /** Rollouts of one service of a repository that have not ended yet. */
  activeFor(owner: string, repo: string, service: string): Promise<RolloutState[]>;
  /** Every rollout the store holds in its working set, newest started first (tools and tests). */
  list(): Promise<RolloutState[]>;
  /**
   * One page of rollouts matching the filters, those that have not ended first, then newest
   * started first (the dashboard). A store may leave out rollouts it keeps apart from its working
   * set (the file store's archive); it says so where it is defined.
   */
  listRollouts(query: RolloutQuery): Promise<RolloutPage>;
  /**
   * Ids of rollouts that want to be woken at or before `now`. A store shared by several replicas
   * hands each due rollout to one of them (it takes the rollout's lock for this process).
   */
  dueIds(now: number): Promise<string[]>;
  /**
   * The rollouts gauges are computed from when scraped (running, or ended within the retention), as
   * held, not copies: read only. A database store answers from a snapshot refreshed in the background.
   */
  states(): Iterable<Readonly<RolloutState>>;
  /** Waits for pending writes and releases what the store holds open. */
  close(): Promise<void>;
}

/**
 * Work accepted from a webhook (a merge to start, a command to run), claimed once by a unique key
 * and kept until it is done, so a redelivery does nothing and a crash loses nothing.
 */
export interface WorkInbox {
  /**
   * Records a key (a merge commit, a comment id) once: true the first time, false for every
   * repeat, so redeliveries do nothing. `work` is kept with the claim until `finishWork`, so work
   * accepted by a webhook survives a crash before it is done.
   */
  claimOnce(key: string, work?: unknown): Promise<boolean>;
  /** Claimed work not finished yet (after a restart: what was accepted but not done). */
  unfinishedWork(): Promise<{ key: string; work: unknown }[]>;
  /** Whether the work of a claim is still to be done (another replica may have finished it meanwhile). */
  isUnfinished(key: string): Promise<boolean>;
  finishWork(key: string): Promise<void>;
}

/** Everything the runtime keeps state in, from one backend. */
export interface StateBackend {
  readonly kind: 'file' | 'postgres';
  readonly store: RolloutStore;
  readonly inbox: WorkInbox;
  readonly locks: LockPort;
  /** The alerts being fired for failed rollouts, shared by every replica of the backend. */
  readonly alerts: AlertBook;
  /** GitHub writes paced as one client across replicas; absent with one process (Octokit paces it). */
  readonly writePace?: WritePace;
  /** Lets go of the locks held, waits for pending writes and closes. */
  close(): Promise<void>;
}
