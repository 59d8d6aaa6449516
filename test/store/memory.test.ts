import { MemoryStore } from '../../src/store/memory.ts';
import { storeContract } from './contract.ts';

storeContract({ name: 'memory', open: async (clock) => new MemoryStore(clock) });
