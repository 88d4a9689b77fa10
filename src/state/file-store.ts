/**
 * The embedded store: one JSON file per rollout under `OPSBOX_DATA_DIR/rollouts`, written
 * atomically (temp file, fsync, rename, fsync of the folder), an in-memory index of wake
 * times so an idle scheduler tick touches no file, and claims in a journal (claim-journal.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TERMINAL_PHASES, type RolloutState } from '../rollout/types.js';
import { writeAtomically } from './atomic-write.js';
import { ClaimJournal } from './claim-journal.js';
import { VersionConflictError, type RolloutStore, type StoredRollout } from './store.js';

export class FileRolloutStore implements RolloutStore {
  private readonly rollouts = new Map<string, StoredRollout>();
  private readonly rolloutDir: string;
  private journal!: ClaimJournal;
  /** Writes of one rollout happen in order, so an older version never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(readonly dataDir: string) {
    this.rolloutDir = path.join(dataDir, 'rollouts');
  }

  /** Opens (creating if needed) a data dir and loads every rollout in it. */
  static async open(dataDir: string): Promise<FileRolloutStore> {
    const store = new FileRolloutStore(dataDir);
    await mkdir(store.rolloutDir, { recursive: true });
    store.journal = await ClaimJournal.open(dataDir);
    for (const name of await readdir(store.rolloutDir)) {
      if (!name.endsWith('.json')) continue; // leftovers of an interrupted write end in .tmp
      const stored = JSON.parse(await readFile(path.join(store.rolloutDir, name), 'utf8')) as StoredRollout;
      store.rollouts.set(stored.state.id, stored);
    }
    return store;
  }

  async get(id: string): Promise<StoredRollout | undefined> {
    const stored = this.rollouts.get(id);
    return stored && structuredClone(stored);
  }

  async put(state: RolloutState, expectedVersion: number): Promise<number> {
    const current = this.rollouts.get(state.id)?.version ?? 0;
    if (current !== expectedVersion) throw new VersionConflictError(state.id, expectedVersion, current);
    const stored: StoredRollout = { state: structuredClone(state), version: current + 1 };
    // Claim the version before the await so a concurrent writer sees the conflict.
    this.rollouts.set(state.id, stored);
    const previous = this.writes.get(state.id) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(() => writeAtomically(path.join(this.rolloutDir, fileName(state.id)), JSON.stringify(stored)));
    this.writes.set(state.id, write);
    await write;
    if (this.writes.get(state.id) === write) this.writes.delete(state.id);
    return stored.version;
  }

  /** Every rollout held, newest first (tools and tests; the app asks narrower questions). */
  async list(): Promise<RolloutState[]> {
    return [...this.rollouts.values()]
      .map((stored) => structuredClone(stored.state))
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  /** Every rollout held, as stored (not copies: read only), for metrics computed when scraped. */
  *states(): IterableIterator<Readonly<RolloutState>> {
    for (const stored of this.rollouts.values()) yield stored.state;
  }

  async forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const { state } of this.rollouts.values()) {
      if (state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (state.source.number === number || state.revertPr?.number === number) found.push(structuredClone(state));
    }
    return found.sort((a, b) => b.startedAt - a.startedAt);
  }

  async latestFor(owner: string, repo: string, service: string): Promise<RolloutState | undefined> {
    let latest: RolloutState | undefined;
    for (const { state } of this.rollouts.values()) {
      if (state.service !== service || state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (!latest || state.startedAt > latest.startedAt) latest = state;
    }
    return latest && structuredClone(latest);
  }

  async activeFor(owner: string, repo: string, service: string): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const { state } of this.rollouts.values()) {
      if (state.service !== service || state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (!TERMINAL_PHASES.includes(state.phase)) found.push(structuredClone(state));
    }
    return found;
  }

  dueIds(now: number): string[] {
    const due: string[] = [];
    for (const [id, stored] of this.rollouts) {
      const wakeAt = stored.state.wakeAt;
      if (wakeAt !== undefined && wakeAt <= now) due.push(id);
    }
    return due;
  }

  async claimOnce(key: string, work?: unknown): Promise<boolean> {
    return this.journal.claim(key, work);
  }

  async unfinishedWork(): Promise<{ key: string; work: unknown }[]> {
    return this.journal.unfinished();
  }

  async finishWork(key: string): Promise<void> {
    await this.journal.finish(key);
  }

  /** Waits for pending writes and releases the journal (before a restart on the same data dir). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
    await this.journal.close();
  }
}

function fileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${readable}-${sha(id).slice(0, 12)}.json`;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
