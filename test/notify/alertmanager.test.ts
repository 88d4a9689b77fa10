import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileAlertBook } from '../../src/state/file-alert-book.js';
import { MemoryAlertBook } from '../support/memory-store.js';
import { sharedAlertBookContract } from './shared-alert-book.contract.js';

sharedAlertBookContract('memory alert book', async () => {
  const book = new MemoryAlertBook();
  return { a: book, b: book, close: async () => undefined };
});

// One process holds the file book; two notifiers on it are a restart's old and new notifier.
sharedAlertBookContract('file alert book', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-alerts-'));
  const book = await FileAlertBook.open(dir);
  return {
    a: book,
    b: book,
    close: async () => {
      await book.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
