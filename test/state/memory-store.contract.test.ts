import { InProcessLocks } from '../../src/state/locks.js';
import { MemoryAlertBook, MemoryStore } from '../support/memory-store.js';
import { alertBookContract } from './alert-book.contract.js';
import { rolloutStoreContract } from './rollout-store.contract.js';
import { lockPortContract, workInboxContract } from './state-ports.contract.js';

// The engine tests' in-memory store keeps to the same contract as the real stores.
rolloutStoreContract('memory store', async () => ({ store: new MemoryStore(), close: async () => undefined }));
workInboxContract('memory store', async () => ({ inbox: new MemoryStore(), locks: new InProcessLocks(), close: async () => undefined }));
lockPortContract('in-process locks', async () => ({ inbox: new MemoryStore(), locks: new InProcessLocks(), close: async () => undefined }));
alertBookContract('memory alert book', async () => ({ book: new MemoryAlertBook(), close: async () => undefined }), false);
