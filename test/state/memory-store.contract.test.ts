import { MemoryStore } from '../support/memory-store.js';
import { rolloutStoreContract } from './rollout-store.contract.js';

// The engine tests' in-memory store keeps to the same contract as the real stores.
rolloutStoreContract('memory store', async () => ({ store: new MemoryStore(), close: async () => undefined }));
