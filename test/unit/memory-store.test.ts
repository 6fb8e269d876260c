import { MemoryStore } from '../../src/ops/state/memory-store';
import { stateStoreContract } from '../support/store-contract';

stateStoreContract('memory', async () => new MemoryStore());
