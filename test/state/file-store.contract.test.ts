import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { rolloutStoreContract } from './rollout-store.contract.js';

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
