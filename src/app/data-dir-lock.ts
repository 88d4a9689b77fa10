/**
 * One process at a time writes a data dir's file store: `opsbox watch` holds this lock while it
 * runs, and a CLI command holds it while it applies a command itself. The file store keeps its
 * versions in memory, so two writers could not see each other's writes; commands given while
 * the watch runs go through its inbox instead (command-inbox.ts). A lock whose process is gone
 * (a crash, a kill) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  what: string;
  since: number;
}

export type LockAttempt = { held: true; release: () => Promise<void> } | { held: false; by: LockHolder };

const LOCK_FILE = 'opsbox.lock';

export async function lockDataDir(dataDir: string, what: string): Promise<LockAttempt> {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), what, since: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.sync();
      await handle.close();
      return { held: true, release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (holder && isAlive(holder)) return { held: false, by: holder };
    // The holder is gone: its lock is stale.
    await rm(file, { force: true });
  }
  const holder = await readHolder(file);
  return { held: false, by: holder ?? { pid: 0, host: '?', what: 'unknown', since: 0 } };
}

/** The live holder of the data dir's lock, if any. */
export async function lockHolder(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path.join(dataDir, LOCK_FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockHolder;
  } catch {
    return undefined; // gone, or half-written by a process that died writing it
  }
}

function isAlive(holder: LockHolder): boolean {
  // Another machine's process cannot be checked from here: its lock is respected.
  if (holder.host !== os.hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
