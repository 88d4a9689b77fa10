/**
 * Claims (a merge commit, a comment id) in one append-only journal. Every claim must be on disk
 * before the webhook is answered; appends that arrive while a sync is running share the next one
 * (group commit), so 50 deliveries at once cost a few fsyncs, not 50. Where the system offers
 * O_DSYNC the journal is opened with it: one write is then durable when it returns, one trip to
 * the thread pool (which the rest of the app's file work shares) instead of a write and a sync.
 *
 * Lines are JSON: `{"claim":key,"at":ms,"work":…}` and `{"done":key}`. A line cut short by a
 * crash is the last one and is ignored. On open the journal is rewritten without finished claims
 * older than the retention (GitHub redelivers within days), so it does not grow without bound.
 */
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from './atomic-write.js';

interface ClaimRecord {
  at: number;
  work?: unknown;
  done: boolean;
}

type JournalLine = { claim: string; at: number; work?: unknown } | { done: string };

/** Finished claims are remembered this long, to refuse late redeliveries. */
export const DONE_RETENTION_MS = 14 * 24 * 3600 * 1000;

/** Each write synced as it is made (Linux, macOS); elsewhere a datasync follows every batch. */
const WRITE_SYNCS = typeof constants.O_DSYNC === 'number' && constants.O_DSYNC !== 0;
const APPEND_FLAGS = WRITE_SYNCS ? constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC : 'a';

export class ClaimJournal {
  private readonly claims = new Map<string, ClaimRecord>();
  private pending: { line: string; settle: (error?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly handle: FileHandle) {}

  static async open(dir: string, now = Date.now()): Promise<ClaimJournal> {
    const file = path.join(dir, 'claims.jsonl');
    const claims = await readJournal(file);
    // Compact: rewrite what is still worth keeping, then append from there.
    const kept = [...claims].filter(([, record]) => !record.done || now - record.at < DONE_RETENTION_MS);
    const lines = kept.map(([key, record]) => {
      const claim = JSON.stringify({ claim: key, at: record.at, ...(record.work !== undefined ? { work: record.work } : {}) });
      return record.done ? `${claim}\n${JSON.stringify({ done: key })}\n` : `${claim}\n`;
    });
    // Appends go to the new file from here on: its rename must be durable before any of them.
    await writeAtomically(file, lines.join(''));
    const journal = new ClaimJournal(await open(file, APPEND_FLAGS));
    for (const [key, record] of kept) journal.claims.set(key, record);
    return journal;
  }

  /** True the first time a key is claimed, once the claim is durable. */
  async claim(key: string, work: unknown, now = Date.now()): Promise<boolean> {
    if (this.claims.has(key)) return false;
    // Taken in memory before the await, so a concurrent claim of the same key is refused.
    this.claims.set(key, { at: now, work, done: false });
    try {
      await this.append({ claim: key, at: now, ...(work !== undefined ? { work } : {}) });
    } catch (error) {
      this.claims.delete(key);
      throw error;
    }
    return true;
  }

  unfinished(): { key: string; work: unknown }[] {
    return [...this.claims]
      .filter(([, record]) => !record.done && record.work !== undefined)
      .map(([key, record]) => ({ key, work: record.work }));
  }

  isUnfinished(key: string): boolean {
    const record = this.claims.get(key);
    return record !== undefined && !record.done;
  }

  async finish(key: string): Promise<void> {
    const record = this.claims.get(key);
    if (!record || record.done) return;
    record.done = true;
    // Lost in a crash, the work runs again after the restart; every piece of it is idempotent.
    await this.append({ done: key });
  }

  async close(): Promise<void> {
    await this.flushing;
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private append(line: JournalLine): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(line)}\n`, settle: (error) => (error ? reject(error) : resolve()) });
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
      });
    });
  }

  /** Writes and syncs what is pending, batch after batch, until nothing is left. */
  private async flush(): Promise<void> {
    // Bounded: every round takes all that is pending; new appends wait at most one more round.
    for (let round = 0; round < 1_000_000 && this.pending.length > 0; round++) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.handle.appendFile(batch.map((p) => p.line).join(''));
        if (!WRITE_SYNCS) await this.handle.datasync();
        for (const p of batch) p.settle();
      } catch (error) {
        for (const p of batch) p.settle(error);
      }
    }
  }
}

/** The claims of a journal file as they stand (for moving them elsewhere); nothing is written. */
export async function readClaimJournal(dir: string): Promise<{ key: string; at: number; work?: unknown; done: boolean }[]> {
  return [...(await readJournal(path.join(dir, 'claims.jsonl')))].map(([key, record]) => ({ key, ...record }));
}

async function readJournal(file: string): Promise<Map<string, ClaimRecord>> {
  const claims = new Map<string, ClaimRecord>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return claims;
    throw error;
  }
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue; // the tail of a write cut short by a crash
    }
    if ('claim' in line) claims.set(line.claim, { at: line.at, work: line.work, done: false });
    else if (claims.has(line.done)) claims.get(line.done)!.done = true;
  }
  return claims;
}
