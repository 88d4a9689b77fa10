/**
 * The embedded store: one JSON file per rollout under `OPSBOX_DATA_DIR/rollouts`, written
 * atomically (temp file, fsync, rename, fsync of the folder), and an in-memory index of wake
 * times so an idle scheduler tick touches no file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { RolloutState } from '../rollout/types.js';
import { VersionConflictError, type RolloutStore, type StoredRollout } from './store.js';

export class FileRolloutStore implements RolloutStore {
  private readonly rollouts = new Map<string, StoredRollout>();
  private readonly rolloutDir: string;
  /** Open claims (with the work they stand for); finished ones move to `doneDir`. */
  private readonly claimDir: string;
  private readonly doneDir: string;
  /** Writes of one rollout happen in order, so an older version never lands after a newer one. */
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(readonly dataDir: string) {
    this.rolloutDir = path.join(dataDir, 'rollouts');
    this.claimDir = path.join(dataDir, 'claims');
    this.doneDir = path.join(dataDir, 'claims', 'done');
  }

  /** Opens (creating if needed) a data dir and loads every rollout in it. */
  static async open(dataDir: string): Promise<FileRolloutStore> {
    const store = new FileRolloutStore(dataDir);
    await mkdir(store.rolloutDir, { recursive: true });
    await mkdir(store.doneDir, { recursive: true });
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

  async list(): Promise<RolloutState[]> {
    return [...this.rollouts.values()]
      .map((stored) => structuredClone(stored.state))
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  async forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]> {
    const found: RolloutState[] = [];
    for (const { state } of this.rollouts.values()) {
      if (state.repo.owner !== owner || state.repo.repo !== repo) continue;
      if (state.source.number === number || state.revertPr?.number === number) found.push(structuredClone(state));
    }
    return found.sort((a, b) => b.startedAt - a.startedAt);
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
    const name = `${sha(key)}.json`;
    if (await exists(path.join(this.doneDir, name))) return false;
    // Written whole to a temp file, then linked into place: `link` fails if the claim exists, so
    // the file system decides who claimed first and nobody ever sees a half-written claim.
    const temp = path.join(this.claimDir, `${name}.${randomUUID()}.tmp`);
    await writeSynced(temp, JSON.stringify({ key, at: new Date().toISOString(), work }));
    try {
      await link(temp, path.join(this.claimDir, name));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async unfinishedWork(): Promise<{ key: string; work: unknown }[]> {
    const pending: { key: string; work: unknown }[] = [];
    for (const name of await readdir(this.claimDir)) {
      if (!name.endsWith('.json')) continue;
      const claim = JSON.parse(await readFile(path.join(this.claimDir, name), 'utf8')) as { key: string; work?: unknown };
      if (claim.work !== undefined) pending.push({ key: claim.key, work: claim.work });
    }
    return pending;
  }

  async finishWork(key: string): Promise<void> {
    const name = `${sha(key)}.json`;
    await rename(path.join(this.claimDir, name), path.join(this.doneDir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

function fileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${readable}-${sha(id).slice(0, 12)}.json`;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function writeSynced(file: string, content: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeSynced(temp, content);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
