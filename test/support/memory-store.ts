/**
 * The rollout store's contract in memory, for engine tests: versions are checked as the real stores
 * check them, every write is kept for the test to inspect, and `beforePut` may write first (as a
 * second process would), so the engine's own write meets a newer version.
 */
import { TERMINAL_PHASES, type RolloutState } from '../../src/rollout/types.js';
import type { AlertBook, BookedAlert } from '../../src/state/alert-book.js';
import { listRollouts, type RolloutQuery } from '../../src/state/rollout-listing.js';
import { VersionConflictError, type RolloutStore, type StoredRollout, type WorkInbox } from '../../src/state/store.js';

export class MemoryStore implements RolloutStore, WorkInbox {
  readonly claims = new Map<string, { work: unknown; done: boolean }>();
  readonly rows = new Map<string, StoredRollout>();
  readonly writes: RolloutState[] = [];
  puts = 0;
  beforePut: ((state: RolloutState, expected: number) => Promise<void> | void) | undefined;

  async get(id: string) {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async put(state: RolloutState, expectedVersion: number): Promise<number> {
    this.puts += 1;
    const hook = this.beforePut;
    if (hook) await hook(state, expectedVersion);
    return this.write(state, expectedVersion);
  }

  /** A write that skips `beforePut`: what another process stores. */
  write(state: RolloutState, expectedVersion: number): number {
    const actual = this.rows.get(state.id)?.version ?? 0;
    if (actual !== expectedVersion) throw new VersionConflictError(state.id, expectedVersion, actual);
    this.rows.set(state.id, { state: structuredClone(state), version: actual + 1 });
    this.writes.push(structuredClone(state));
    return actual + 1;
  }

  async listRollouts(query: RolloutQuery) {
    return listRollouts([...this.rows.values()].map((row) => row.state), query);
  }

  async list() {
    return this.sorted().map((state) => structuredClone(state));
  }
  states() {
    return [...this.rows.values()].map((row) => row.state);
  }
  async forPullRequest(owner: string, repo: string, number: number) {
    return (await this.list()).filter(
      (state) => state.repo.owner === owner && state.repo.repo === repo && (state.source.number === number || state.revert?.thread?.number === number),
    );
  }
  async latestFor(owner: string, repo: string, service: string) {
    return (await this.list()).find((state) => state.repo.owner === owner && state.repo.repo === repo && state.service === service);
  }
  async activeFor(owner: string, repo: string, service: string) {
    return (await this.list()).filter(
      (state) => state.repo.owner === owner && state.repo.repo === repo && state.service === service && !TERMINAL_PHASES.includes(state.phase),
    );
  }
  async dueIds(now: number) {
    return [...this.rows.values()].filter((row) => row.state.wakeAt !== undefined && row.state.wakeAt <= now).map((row) => row.state.id);
  }
  async claimOnce(key: string, work?: unknown) {
    if (this.claims.has(key)) return false;
    this.claims.set(key, { work: structuredClone(work), done: false });
    return true;
  }
  async unfinishedWork() {
    return [...this.claims]
      .filter(([, claim]) => !claim.done && claim.work !== undefined)
      .map(([key, claim]) => ({ key, work: structuredClone(claim.work) }));
  }
  async isUnfinished(key: string) {
    return this.claims.get(key)?.done === false;
  }
  async finishWork(key: string) {
    const claim = this.claims.get(key);
    if (claim) claim.done = true;
  }
  async close() {}

  private sorted(): RolloutState[] {
    return [...this.rows.values()].map((row) => row.state).sort((a, b) => b.startedAt - a.startedAt);
  }
}

/** The alert book in memory: what several notifiers share in tests, as replicas share the database's. */
export class MemoryAlertBook implements AlertBook {
  readonly open = new Map<string, BookedAlert>();

  async list() {
    return [...this.open.values()].map((alert) => structuredClone(alert));
  }
  async get(rollout: string) {
    const alert = this.open.get(rollout);
    return alert && structuredClone(alert);
  }
  async put(alert: BookedAlert) {
    this.open.set(alert.rollout, structuredClone(alert));
  }
  async replaceIfPostedAt(alert: BookedAlert, postedAt: number) {
    if (this.open.get(alert.rollout)?.postedAt !== postedAt) return false;
    this.open.set(alert.rollout, structuredClone(alert));
    return true;
  }
  async remove(rollout: string) {
    const alert = this.open.get(rollout);
    this.open.delete(rollout);
    return alert;
  }
}
