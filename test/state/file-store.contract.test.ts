import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileAlertBook } from '../../src/state/file-alert-book.js';
import { FileRolloutStore, openFileBackend } from '../../src/state/file-store.js';
import { alertBookContract } from './alert-book.contract.js';
import { rolloutStoreContract } from './rollout-store.contract.js';
import { lockPortContract, workInboxContract } from './state-ports.contract.js';

rolloutStoreContract('file store', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-contract-'));
  const store = await FileRolloutStore.open(dir);
  return {
    store,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const openBackend = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-contract-'));
  const backend = await openFileBackend(dir);
  return {
    inbox: backend.inbox,
    locks: backend.locks,
    close: async () => {
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
workInboxContract('file store', openBackend);
lockPortContract('file store (in-process locks)', openBackend);

alertBookContract(
  'file alert book',
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-contract-'));
    const backend = await openFileBackend(dir);
    return {
      book: backend.alerts,
      reopen: async () => {
        await backend.alerts.close();
        return FileAlertBook.open(dir);
      },
      close: async () => {
        await backend.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  true,
);
