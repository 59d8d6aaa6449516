import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { MemoryStore } from './memory.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

/** Builds the store the configuration names. Redis is loaded lazily so single-node runs never touch it. */
export async function openStore(config: Pick<Config, 'store' | 'dataDir' | 'redisUrl'>, clock: Clock): Promise<Store> {
  switch (config.store) {
    case 'memory':
      return new MemoryStore(clock);
    case 'sqlite':
      mkdirSync(config.dataDir, { recursive: true });
      return new SqliteStore(join(config.dataDir, 'relay.sqlite'), clock);
    case 'redis':
      throw new Error('STORE=redis: the Redis store is not built yet (see issue 6)');
  }
}

export type { Store } from './types.ts';
