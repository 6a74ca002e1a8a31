// The memory store passes the shared store contract.
import { MemoryStore } from '../../src/session/memory-store.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('MemoryStore', () => new MemoryStore());
