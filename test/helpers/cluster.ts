import { FakeClock } from '../../src/clock.ts';
import { type RedisRelay, startRedisRelay } from './redis.ts';
import type { StartOptions } from './relay.ts';

export interface Cluster {
  readonly instances: RedisRelay[];
  readonly clock: FakeClock;
  /** The REDIS_KEY_PREFIX of this cluster: a child-process instance joins it with the same one. */
  readonly keyPrefix: string;
  /** Instance `i` (throws when there is none, so tests need no non-null assertions). */
  at(i: number): RedisRelay;
  close(): Promise<void>;
}

let clusterCount = 0;

/**
 * `size` relay instances in this process on one Redis, as behind a load balancer: each its own
 * RedisStore and adapter connections, the same JWT secret and key prefix. They share one fake
 * clock so per-minute rate-limit windows line up. Each cluster gets a fresh key prefix, so tests
 * on the same redis-server never see each other's data.
 */
export async function startCluster(redisUrl: string, size: number, options: StartOptions = {}): Promise<Cluster> {
  const clock = new FakeClock(Date.now());
  const keyPrefix = `cluster-${process.pid}-${++clusterCount}:`;
  const instances: RedisRelay[] = [];
  try {
    for (let i = 0; i < size; i++) instances.push(await startRedisRelay(redisUrl, { clock, keyPrefix, ...options }));
  } catch (err) {
    await Promise.allSettled(instances.map((r) => r.close()));
    throw err;
  }
  return {
    instances,
    clock,
    keyPrefix,
    at(i) {
      const instance = instances[i];
      if (!instance) throw new Error(`no instance ${i} in a cluster of ${instances.length}`);
      return instance;
    },
    async close() {
      await Promise.allSettled(instances.map((r) => r.close()));
    },
  };
}
