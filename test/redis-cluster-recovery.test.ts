import { createCluster } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClusterSlots, clusterSlotsOf, guardReloads } from '../src/store/cluster-topology.ts';
import { closeRedis, connectRedis, type RedisClient } from '../src/store/redis-connection.ts';
import { keySlot } from '../src/store/redis-slot.ts';
import { eventually, sleep } from './helpers/devices.ts';
import { freePort } from './helpers/net.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { redisCliBinary, type RedisClusterServer, startRedisCluster } from './helpers/redis-cluster.ts';
import { describeWith } from './helpers/requires.ts';

const binaries = (() => {
  const server = redisServerBinary();
  const cli = redisCliBinary();
  return server && cli ? `${server}\n${cli}` : null;
})();

const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => 'settled', () => 'settled'), sleep(ms).then(() => 'pending')]);

describeWith('Redis Cluster recovery: slot-map reloads that end, sharded subscriptions that come back', binaries, 'redis-server redis-tools', (found) => {
  const [server = '', cli = ''] = found.split('\n');
  let redis: RedisClusterServer;
  beforeAll(async () => {
    redis = await startRedisCluster(server, cli);
  });
  afterAll(async () => {
    await redis?.kill();
  });

  /**
   * A reload whose CLUSTER SLOTS answer names a node that never accepts a connection (a dead
   * master listed again by a node that has not heard of the promotion): here a live master is
   * made to look new and unreachable (dropped from the map, its address pointed at a closed port).
   */
  async function reloadThatMeetsADeadNode(guard: boolean) {
    const deadPort = await freePort();
    const unreachable = new Set<string>();
    const cluster = createCluster({
      rootNodes: redis.nodes.map((n) => ({ url: n.url })),
      defaults: { socket: { reconnectStrategy: () => 100, connectTimeout: 1000 } },
      nodeAddressMap: (address: string) => (unreachable.has(address) ? { host: '127.0.0.1', port: deadPort } : undefined),
    });
    cluster.on('error', () => {});
    await cluster.connect();
    if (guard) guardReloads(cluster, undefined, 'test');
    const slots = clusterSlotsOf(cluster) as ClusterSlots & { masters: { address: string }[] };
    const victim = slots.masters[0]?.address ?? '';
    unreachable.add(victim);
    slots.nodeByAddress.delete(victim);
    slots.masters = slots.masters.filter((m) => m.address !== victim);
    const outcome = await settledWithin(slots.rediscover(), 8000);
    cluster.destroy();
    return outcome;
  }

  it('without the guard such a reload never ends (node-redis connects to every listed node, forever)', { timeout: 20_000 }, async () => {
    expect(await reloadThatMeetsADeadNode(false)).toBe('pending');
  });

  it('with the guard it ends: the never-connected node is given up after 3 s', { timeout: 20_000 }, async () => {
    expect(await reloadThatMeetsADeadNode(true)).toBe('settled');
  });

  it('subscribes again a sharded channel whose subscription was lost on its shard', { timeout: 30_000 }, async () => {
    const target = { url: redis.nodes[0]?.url ?? '', clusterNodes: redis.nodes.map((n) => n.url) };
    const sub: RedisClient = await connectRedis({ ...target, name: 'test-sub', failFastWhenOffline: false });
    try {
      const channel = 'recovery-test:{room-1}';
      const heard: string[] = [];
      await sub.sSubscribe(channel, (message: string) => heard.push(message));
      // Lose it the way a failed resubscribe does: gone from the shard's connection, nothing retrying.
      const slots = clusterSlotsOf(sub) as ClusterSlots;
      const owner = slots.slots[keySlot(channel)]?.master.pubSub?.client as unknown as { sUnsubscribe(channel: string): Promise<void> };
      await owner.sUnsubscribe(channel);
      await redis.cli(['-c', 'spublish', channel, 'while-lost']);
      await eventually(async () => {
        await redis.cli(['-c', 'spublish', channel, 'back']);
        return heard.includes('back');
      }, 10_000);
      expect(heard).not.toContain('while-lost');
    } finally {
      await closeRedis(sub);
    }
  });
});
