/**
 * Durable rollout state. The store is an interface with optimistic versions so a second backend
 * shared by several replicas can be added beside the file store without touching its callers.
 */
import type { RolloutState } from '../rollout/types.js';
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
  /**
   * One page of rollouts matching the filters, those that have not ended first, then newest
   * started first (the dashboard). A store may leave out rollouts it keeps apart from its working
   * set (the file store's archive); it says so where it is defined.
   */
  listRollouts(query: RolloutQuery): Promise<RolloutPage>;
  /** Ids of rollouts that want to be woken at or before `now`. */
  dueIds(now: number): string[];
  /**
   * Records a key (a merge commit, a comment id) once: true the first time, false for every
   * repeat, so redeliveries do nothing. `work` is kept with the claim until `finishWork`, so work
   * accepted by a webhook survives a crash before it is done.
   */
  claimOnce(key: string, work?: unknown): Promise<boolean>;
  /** Claimed work not finished yet (after a restart: what was accepted but not done). */
  unfinishedWork(): Promise<{ key: string; work: unknown }[]>;
  finishWork(key: string): Promise<void>;
  /** Waits for pending writes and releases what the store holds open. */
  close(): Promise<void>;
}
