/**
 * The alert book of the file store: `OPSBOX_DATA_DIR/alerts.json` (`{"open": [...]}`), held in
 * memory and rewritten atomically after every change. One process owns the data dir, so a change
 * in memory is the change: checks and writes cannot interleave with another writer.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AlertBook, BookedAlert } from './alert-book.js';
import { writeAtomically } from './atomic-write.js';

export const ALERT_BOOK_FILE = 'alerts.json';

export class FileAlertBook implements AlertBook {
  private readonly open = new Map<string, BookedAlert>();
  /** Writes one after another, each of the whole book as it is then. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Reads the book of a data dir; one that cannot be read is logged and started anew. */
  static async open(dataDir: string, log?: Pick<Logger, 'warn'>): Promise<FileAlertBook> {
    const book = new FileAlertBook(path.join(dataDir, ALERT_BOOK_FILE));
    try {
      const saved = JSON.parse(await readFile(book.file, 'utf8')) as { open?: BookedAlert[] };
      for (const alert of saved.open ?? []) book.open.set(alert.rollout, alert);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log?.warn({ err: error }, `${book.file} could not be read; alerts open before the restart are not re-posted`);
      }
    }
    return book;
  }

  async list(): Promise<BookedAlert[]> {
    return [...this.open.values()].map((alert) => structuredClone(alert));
  }

  async get(rollout: string): Promise<BookedAlert | undefined> {
    const alert = this.open.get(rollout);
    return alert && structuredClone(alert);
  }

  async put(alert: BookedAlert): Promise<void> {
    this.open.set(alert.rollout, structuredClone(alert));
    await this.save();
  }

  async replaceIfPostedAt(alert: BookedAlert, postedAt: number): Promise<boolean> {
    if (this.open.get(alert.rollout)?.postedAt !== postedAt) return false;
    this.open.set(alert.rollout, structuredClone(alert));
    await this.save();
    return true;
  }

  async remove(rollout: string): Promise<BookedAlert | undefined> {
    const alert = this.open.get(rollout);
    if (!alert) return undefined;
    this.open.delete(rollout);
    await this.save();
    return alert;
  }

  /** Waits for the writes started so far. */
  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ open: [...this.open.values()] })}\n`;
    const write = this.writing.catch(() => undefined).then(() => writeAtomically(this.file, text));
    this.writing = write;
    return write;
  }
}
