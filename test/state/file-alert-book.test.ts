import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ALERT_BOOK_FILE, FileAlertBook } from '../../src/state/file-alert-book.js';
import { bookedAlert } from './alert-book.contract.js';

describe('the file alert book (OPSBOX_DATA_DIR/alerts.json)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'opsbox-alert-book-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a book written by an earlier version, and keeps its shape', async () => {
    // as the notifier wrote it before the book became a port of the state backend
    const earlier = { open: [bookedAlert('acme-manifests-api-7')] };
    await writeFile(path.join(dir, ALERT_BOOK_FILE), `${JSON.stringify(earlier)}\n`);
    const book = await FileAlertBook.open(dir);
    expect(await book.list()).toEqual(earlier.open);
    await book.put(bookedAlert('acme-manifests-web-9', { service: 'web' }));
    await book.close();
    const written = JSON.parse(await readFile(path.join(dir, ALERT_BOOK_FILE), 'utf8')) as { open: unknown[] };
    expect(written.open).toEqual([bookedAlert('acme-manifests-api-7'), bookedAlert('acme-manifests-web-9', { service: 'web' })]);
  });

  it('starts empty, saying so, when the file cannot be read', async () => {
    await writeFile(path.join(dir, ALERT_BOOK_FILE), '{"open": [');
    const warn = jest.fn();
    const book = await FileAlertBook.open(dir, { warn } as never);
    expect(await book.list()).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.anything(), expect.stringContaining('alerts open before the restart are not re-posted'));
  });
});
