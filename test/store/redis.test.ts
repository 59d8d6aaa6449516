import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from '../helpers/redis.ts';
import { describeWith } from '../helpers/requires.ts';
import { storeContract } from './contract.ts';

describeWith('Redis store', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis?.kill();
  });

  // Each test gets its own key prefix on the one server: a fresh, empty store; `reopen` reuses it.
  let prefix = '';
  let n = 0;
  storeContract({
    name: 'redis',
    open: async (clock) => {
      prefix = `contract-${++n}:`;
      return RedisStore.connect({ url: redis.url, clock, keyPrefix: prefix });
    },
    reopen: async (clock) => RedisStore.connect({ url: redis.url, clock, keyPrefix: prefix }),
  });
});
