import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { MemoryStore } from './memory.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

/** Builds the store the configuration names. Redis is loaded lazily so single-node runs never touch it. */
export async function openStore(
  config: Pick<Config, 'store' | 'dataDir' | 'redisUrl' | 'redisKeyPrefix'> & Partial<Pick<Config, 'redisClusterNodes' | 'redisWaitReplicas'>>,
  clock: Clock,
  logger?: Logger,
): Promise<Store> {
  switch (config.store) {
    case 'memory':
      return new MemoryStore(clock);
    case 'sqlite':
      mkdirSync(config.dataDir, { recursive: true });
      return new SqliteStore(join(config.dataDir, 'relay.sqlite'), clock, { ...(logger ? { onProblem: (message: string) => logger.warn(message) } : {}) });
    case 'redis': {
      // config guarantees REDIS_URL or REDIS_CLUSTER_NODES with STORE=redis; the check keeps the types honest.
      const { redisTargetOf } = await import('./redis-connection.ts');
      const target = redisTargetOf(config);
      if (!target) throw new Error('STORE=redis needs REDIS_URL or REDIS_CLUSTER_NODES');
      const { RedisStore } = await import('./redis.ts');
      return RedisStore.connect({ ...target, clock, keyPrefix: config.redisKeyPrefix, waitReplicas: config.redisWaitReplicas ?? 0, ...(logger ? { logger } : {}) });
    }
  }
}

export type { Store } from './types.ts';
