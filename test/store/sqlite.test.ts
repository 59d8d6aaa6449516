import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../helpers/relay.ts';
import { storeContract } from './contract.ts';

let file = '';
storeContract({
  name: 'sqlite',
  open: async (clock) => {
    file = join(tempDir('relay-sqlite-'), 'relay.sqlite');
    return new SqliteStore(file, clock);
  },
  reopen: async (clock) => new SqliteStore(file, clock),
});
