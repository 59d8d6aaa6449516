import { afterAll, afterEach, beforeAll } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { type RedisRelay, type RedisServer, startRedisRelay, startRedisServer } from './redis.ts';
import { redisCliBinary, startRedisCluster } from './redis-cluster.ts';
import { closeSockets, type StartOptions } from './relay.ts';

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
export async function startCluster(redisUrl: string | RedisTarget, size: number, options: StartOptions = {}): Promise<Cluster> {
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

export interface Clusters {
  /** The describe block's private redis-server. */
  readonly redis: RedisServer;
  /** The cluster the current test started (throws when none). */
  readonly current: Cluster;
  /** Starts `size` instances for this test; closed (with every test socket) after it. */
  start(size: number, env?: Record<string, string>): Promise<Cluster>;
  /** Three instances A, B, C. */
  three(env?: Record<string, string>): Promise<readonly [RedisRelay, RedisRelay, RedisRelay]>;
}

/** RELAY_TEST_REDIS=cluster runs the multi-instance suites on a 3-master Redis Cluster instead of one redis-server. */
export const testRedisIsCluster = (): boolean => process.env.RELAY_TEST_REDIS === 'cluster';

/** A redis-server, or a 3-master Redis Cluster when RELAY_TEST_REDIS=cluster, behind one RedisServer face. */
export async function startTestRedis(redisBinary: string): Promise<RedisServer> {
  if (!testRedisIsCluster()) return startRedisServer(redisBinary);
  const cli = redisCliBinary();
  if (!cli) throw new Error('RELAY_TEST_REDIS=cluster needs redis-cli (apt-get install redis-tools)');
  const cluster = await startRedisCluster(redisBinary, cli);
  const first = cluster.nodes[0];
  if (!first) throw new Error('empty cluster');
  const target = { url: first.url, clusterNodes: cluster.nodes.map((n) => n.url) };
  const unsupported = async () => {
    throw new Error('stop/start is not supported on a Redis Cluster here');
  };
  return { port: first.port, url: first.url, env: cluster.env, target, stop: unsupported, start: unsupported, kill: cluster.kill };
}

/** For a describe block: a private redis-server (or cluster) for the block, and relay clusters on it, one per test. */
export function useClusters(redisBinary: string): Clusters {
  let redis: RedisServer | undefined;
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    redis = await startTestRedis(redisBinary);
  });
  afterEach(async () => {
    closeSockets();
    await cluster?.close();
    cluster = undefined;
  });
  afterAll(async () => {
    await redis?.kill();
  });
  const clusters: Clusters = {
    get redis() {
      if (!redis) throw new Error('useClusters: redis-server not started yet');
      return redis;
    },
    get current() {
      if (!cluster) throw new Error('useClusters: no cluster started in this test');
      return cluster;
    },
    async start(size, env = {}) {
      cluster = await startCluster(clusters.redis.target, size, { env });
      return cluster;
    },
    async three(env = {}) {
      const started = await clusters.start(3, env);
      return [started.at(0), started.at(1), started.at(2)] as const;
    },
  };
  return clusters;
}
