/**
 * The embedded store: one JSON file per rollout under `OPSBOX_DATA_DIR/rollouts`, written
 * atomically (temp file, fsync, rename, fsync of the folder), an in-memory index of wake
 * times so an idle scheduler tick touches no file, and claims in a journal (claim-journal.ts).
 *
 * Rollouts that ended longer ago than the retention move to `OPSBOX_DATA_DIR/archive`
 * (archive.ts), which is not loaded at open: what the store holds in memory, reads at start and
 * scans grows with the rollouts still running or recently ended, not with the whole history.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { TERMINAL_PHASES, type RolloutState } from '../rollout/types.js';
import { RolloutArchive, rolloutFileName } from './archive.js';
import { writeAtomically } from './atomic-write.js';
import { ClaimJournal } from './claim-journal.js';
import { FileAlertBook } from './file-alert-book.js';
import { migrateStored } from './migrate.js';
import { listRollouts, type RolloutPage, type RolloutQuery } from './rollout-listing.js';
import { DEFAULT_RETENTION_MS } from './retention.js';
import { InProcessLocks } from './locks.js';
import { VersionConflictError, type RolloutStore, type StateBackend, type StoredRollout, type WorkInbox } from './store.js';

export interface FileStoreOptions {
  /** How long an ended rollout stays loaded before it is archived; default 30 days. */
  retentionMs?: number;
  clock?: () => number;
}

/** How often the scheduler's calls look for rollouts to archive. */
const ARCHIVE_EVERY_MS = 3600 * 1000;

export class FileRolloutStore implements RolloutStore, WorkInbox {
  private readonly rollouts = new Map<string, StoredRollout>();
  /**
   * Ids of the rollouts that have not ended or still have something to do (an ended rollout's
   * effects being retried wake it too): the only ones the scheduler's scans visit.
   */
  private readonly working = new Set<string>();
  private readonly rolloutDir: string;
  private readonly archive: RolloutArchive;
  private readonly retentionMs: number;
  private readonly clock: () => number;
  private journal!: ClaimJournal;
  /** Writes of one rollout happen in order, so an older version never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>();
  private archiving: Promise<number> | undefined;
  private nextArchiveAt = 0;

  private constructor(readonly dataDir: string, options: FileStoreOptions) {
    this.rolloutDir = path.join(dataDir, 'rollouts');
    this.archive = new RolloutArchive(dataDir);
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Opens (creating if needed) a data dir and loads the rollouts in `rollouts/`; those that ended
   * before the retention are archived in the background (a long backlog does not delay the start).
   * The archive itself is not read.
   */
  static async open(dataDir: string, options: FileStoreOptions = {}): Promise<FileRolloutStore> {
    const store = new FileRolloutStore(dataDir, options);
    await mkdir(store.rolloutDir, { recursive: true });
    await store.archive.ensure();
    store.journal = await ClaimJournal.open(dataDir);
    for (const name of await readdir(store.rolloutDir)) {
      if (!name.endsWith('.json')) continue; // leftovers of an interrupted write end in .tmp
      const stored = migrateStored(JSON.parse(await readFile(path.join(store.rolloutDir, name), 'utf8')));
      store.hold(stored);
    }
    store.archiveInBackground(store.clock());
    return store;
  }

  /** A loaded rollout, or else an archived one (read from disk, not loaded). */
  async get(id: string): Promise<StoredRollout | undefined> {
    const stored = this.rollouts.get(id);
    if (stored) return structuredClone(stored);
    return this.archive.get(id);
  }

  /** Writing an archived rollout (a command on it) makes it loaded again, until it is archived anew. */
  async put(state: RolloutState, expectedVersion: number): Promise<number> {
    const loaded = this.rollouts.get(state.id);
    const archived = loaded ? undefined : await this.archive.get(state.id);
    // Re-read after the await: a concurrent put may have loaded it meanwhile.
    const current = this.rollouts.get(state.id)?.version ?? archived?.version ?? 0;
    if (current !== expectedVersion) throw new VersionConflictError(state.id, expectedVersion, current);
    const stored: StoredRollout = { state: structuredClone(state), version: current + 1 };
    // Claim the version before the await so a concurrent writer sees the conflict.
    this.hold(stored);
    const previous = this.writes.get(state.id) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(async () => {
        await writeAtomically(path.join(this.rolloutDir, rolloutFileName(state.id)), JSON.stringify(stored));
        if (archived) await this.archive.remove(state.id);
      });
    this.writes.set(state.id, write);
    await write;
    if (this.writes.get(state.id) === write) this.writes.delete(state.id);
    return stored.version;
  }

  /**
   * Archives the rollouts that ended more than the retention before `now` and have nothing left
   * to do (no effect waiting in their outbox); returns how many. One pass at a time.
   */
  async archiveEnded(now = this.clock()): Promise<number> {
    if (this.archiving) await this.archiving.catch(() => undefined);
    this.nextArchiveAt = now + ARCHIVE_EVERY_MS;
    const pass = this.archivePass(now);
    this.archiving = pass;
    try {
      return await pass;
    } finally {
      if (this.archiving === pass) this.archiving = undefined;
    }
  }

  private archiveInBackground(now: number): void {
    void this.archiveEnded(now).catch(() => {
      // tried again a little later; the rollouts stay loaded meanwhile
      this.nextArchiveAt = now + ARCHIVE_EVERY_MS / 12;
    });
  }

  private async archivePass(now: number): Promise<number> {
    const ended = [...this.rollouts.values()].filter((stored) => !this.writes.has(stored.state.id) && this.archivable(stored.state, now));
    let archived = 0;
    await this.archive.add(ended, async (stored) => {
      // A put that came in meanwhile keeps the rollout loaded (its write recreates the active file).
      if (this.rollouts.get(stored.state.id) !== stored || this.writes.has(stored.state.id)) return;
      await unlink(path.join(this.rolloutDir, rolloutFileName(stored.state.id))).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      this.rollouts.delete(stored.state.id);
      this.working.delete(stored.state.id);
      archived++;
    });
    return archived;
  }

  private archivable(state: RolloutState, now: number): boolean {
    if (!TERMINAL_PHASES.includes(state.phase) || state.outbox.length > 0 || state.wakeAt !== undefined) return false;
    return now - (state.finishedAt ?? state.updatedAt) >= this.retentionMs;
  }

  private hold(stored: StoredRollout): void {
    this.rollouts.set(stored.state.id, stored);
    const { state } = stored;
    if (!TERMINAL_PHASES.includes(state.phase) || state.wakeAt !== undefined || state.outbox.length > 0) this.working.add(state.id);
    else this.working.delete(state.id);
  }

  /** Every rollout held, newest first (tools and tests; the app asks narrower questions). */
  async list(): Promise<RolloutState[]> {
    return [...this.rollouts.values()]
      .map((stored) => structuredClone(stored.state))
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  /**
   * Loaded rollouts only: running ones and those that ended within the retention
   * (`OPSBOX_RETENTION`). Archived rollouts are not listed; reading the archive for a listing
   * would make every page cost as much as the whole history. `get(id)` still finds them.
   */
  async listRollouts(query: RolloutQuery): Promise<RolloutPage> {
    return listRollouts(this.states(), query);
  }

  /** Every rollout loaded (running, or ended within the retention), as stored (not copies: read only), for metrics computed when scraped. */
  *states(): IterableIterator<Readonly<RolloutState>> {
    for (const stored of this.rollouts.values()) yield stored.state;
  }

  /** Loaded and archived rollouts of a pull request (a command on an old one still finds it). */
  async forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const { state } of this.rollouts.values()) {
      if (state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (state.source.number === number || state.revert?.thread?.number === number) found.push(structuredClone(state));
    }
    for (const state of await this.archive.forPullRequest(owner, repo, number)) {
      if (!this.rollouts.has(state.id)) found.push(state);
    }
    return found.sort((a, b) => b.startedAt - a.startedAt);
  }

  async latestFor(owner: string, repo: string, service: string): Promise<RolloutState | undefined> {
    let latest: RolloutState | undefined;
    for (const { state } of this.rollouts.values()) {
      if (state.service !== service || state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (!latest || state.startedAt > latest.startedAt) latest = state;
    }
    // A loaded rollout of the service is newer than every archived one: a rollout that starts
    // supersedes the running ones, so they end (and are archived) no later than it.
    if (latest) return structuredClone(latest);
    const archived = await this.archive.latestFor(owner, repo, service);
    return archived && !this.rollouts.has(archived.id) ? archived : undefined;
  }

  async activeFor(owner: string, repo: string, service: string): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const id of this.working) {
      const { state } = this.rollouts.get(id)!;
      if (state.service !== service || state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (!TERMINAL_PHASES.includes(state.phase)) found.push(structuredClone(state));
    }
    return found;
  }

  /** Also starts an archiving pass once an hour (the scheduler calls this every tick). */
  async dueIds(now: number): Promise<string[]> {
    if (now >= this.nextArchiveAt && !this.archiving) this.archiveInBackground(now);
    const due: string[] = [];
    for (const id of this.working) {
      const wakeAt = this.rollouts.get(id)!.state.wakeAt;
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

  async isUnfinished(key: string): Promise<boolean> {
    return this.journal.isUnfinished(key);
  }

  async finishWork(key: string): Promise<void> {
    await this.journal.finish(key);
  }

  /** Waits for pending writes and releases the journal (before a restart on the same data dir). */
  async close(): Promise<void> {
    await this.archiving?.catch(() => undefined);
    await Promise.allSettled([...this.writes.values()]);
    await this.journal.close();
  }
}

/** The embedded backend: one process, its rollouts, claims and open alerts under `dataDir`, locks in memory. */
export async function openFileBackend(
  dataDir: string,
  options: FileStoreOptions & { log?: Pick<Logger, 'warn'> } = {},
): Promise<StateBackend & { store: FileRolloutStore; alerts: FileAlertBook }> {
  const store = await FileRolloutStore.open(dataDir, options);
  const alerts = await FileAlertBook.open(dataDir, options.log);
  const locks = new InProcessLocks();
  return {
    kind: 'file',
    store,
    inbox: store,
    locks,
    alerts,
    close: async () => {
      await locks.releaseAll();
      await store.close();
      await alerts.close();
    },
  };
}
