/**
 * Rollouts that ended longer ago than the retention, under `OPSBOX_DATA_DIR/archive`. Nothing here
 * is read when the store opens: a rollout is read on demand, by id, by pull request (a command on an
 * old bump or revert pull request) or as the newest of its service (`/retry`).
 *
 * Layout: `archive/<rollout file>` (the same JSON as in `rollouts/`), and small append-only index
 * files `archive/index/<key hash>.jsonl`, one per pull request and per service, each line
 * `{"id":…,"startedAt":…}`. An index may name a rollout that has since left the archive (a command
 * brought it back) or name one twice: readers skip what is missing and ignore repeats.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RolloutState } from '../rollout/types.js';
import { writeAtomically } from './atomic-write.js';
import { migrateStored } from './migrate.js';
import type { StoredRollout } from './store.js';

export interface AddOptions {
  /** false: no fsync, for filling an archive in bulk where a crash does not matter (benchmarks). */
  sync?: boolean;
}

interface IndexLine {
  id: string;
  startedAt: number;
}

/** Files written at once while archiving a batch (they share the thread pool with the app). */
const WRITES_IN_FLIGHT = 8;
/** Index lines tried, newest first, for the newest archived rollout of a service. */
const MAX_STALE_INDEX_LINES = 100;

export class RolloutArchive {
  readonly dir: string;
  private readonly indexDir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'archive');
    this.indexDir = path.join(this.dir, 'index');
  }

  async ensure(): Promise<void> {
    await mkdir(this.indexDir, { recursive: true });
  }

  async get(id: string): Promise<StoredRollout | undefined> {
    try {
      return migrateStored(JSON.parse(await readFile(path.join(this.dir, rolloutFileName(id)), 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Archived rollouts started by a pull request or rolled back by it (its revert pull request). */
  async forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const { id } of await this.readIndex(pullRequestKey(owner, repo, number))) {
      const stored = await this.get(id);
      if (stored) found.push(stored.state);
    }
    return found;
  }

  /** The newest archived rollout of a service. */
  async latestFor(owner: string, repo: string, service: string): Promise<RolloutState | undefined> {
    // Newest first by the index alone; an id whose file has left the archive falls to the next.
    const lines = (await this.readIndex(serviceKey(owner, repo, service))).sort((a, b) => b.startedAt - a.startedAt);
    for (const { id } of lines.slice(0, MAX_STALE_INDEX_LINES)) {
      const stored = await this.get(id);
      if (stored) return stored.state;
    }
    return undefined;
  }

  /**
   * Moves rollouts into the archive: each archived file is durable, and so are the index lines
   * naming it, before `removeActive` deletes the active file. A crash in between leaves both
   * copies; the active one wins and is archived again later.
   */
  async add(
    rollouts: readonly StoredRollout[],
    removeActive: (stored: StoredRollout) => Promise<void>,
    options: AddOptions = {},
  ): Promise<void> {
    if (rollouts.length === 0) return;
    const sync = options.sync ?? true;
    await inParallel(rollouts, async (stored) => {
      const file = path.join(this.dir, rolloutFileName(stored.state.id));
      if (sync) await writeAtomically(file, JSON.stringify(stored));
      else await writeFile(file, JSON.stringify(stored));
    });
    await this.appendIndex(rollouts.map((stored) => stored.state), sync);
    await inParallel(rollouts, removeActive);
  }

  /** Forgets the archived copy of a rollout that is active again. */
  async remove(id: string): Promise<void> {
    await unlink(path.join(this.dir, rolloutFileName(id))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  private async appendIndex(states: readonly RolloutState[], sync: boolean): Promise<void> {
    const byKey = new Map<string, string[]>();
    const add = (key: string, line: string) => {
      const lines = byKey.get(key);
      if (lines) lines.push(line);
      else byKey.set(key, [line]);
    };
    for (const state of states) {
      const line = `${JSON.stringify({ id: state.id, startedAt: state.startedAt } satisfies IndexLine)}\n`;
      const { owner, repo } = state.repo;
      add(pullRequestKey(owner, repo, state.source.number), line);
      if (state.revert?.thread) add(pullRequestKey(owner, repo, state.revert.thread.number), line);
      add(serviceKey(owner, repo, state.service), line);
    }
    await inParallel([...byKey], async ([key, lines]) => {
      const handle = await open(this.indexFile(key), 'a');
      try {
        await handle.appendFile(lines.join(''));
        if (sync) await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    if (!sync) return;
    // New index files must survive a power loss too.
    const dir = await open(this.indexDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async readIndex(key: string): Promise<IndexLine[]> {
    let text: string;
    try {
      text = await readFile(this.indexFile(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const seen = new Map<string, IndexLine>();
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        const line = JSON.parse(raw) as IndexLine;
        seen.set(line.id, line);
      } catch {
        // the tail of an append cut short by a crash
      }
    }
    return [...seen.values()];
  }

  private indexFile(key: string): string {
    return path.join(this.indexDir, `${sha(key).slice(0, 24)}.jsonl`);
  }
}

/** Runs `work` on every item, a few at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await work(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, items.length) }, worker));
}

/** The file name of a rollout, in `rollouts/` and in `archive/`: readable, and unique by its hash. */
export function rolloutFileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${readable}-${sha(id).slice(0, 12)}.json`;
}

function pullRequestKey(owner: string, repo: string, number: number): string {
  return `pull-request\n${owner}\n${repo}\n${number}`;
}

function serviceKey(owner: string, repo: string, service: string): string {
  return `service\n${owner}\n${repo}\n${service}`;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
