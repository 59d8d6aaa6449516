import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { type Cluster, startCluster } from './helpers/cluster.ts';
import { command, connectDevice, eventually, sleep } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { redisCliBinary, type RedisClusterServer, startRedisCluster } from './helpers/redis-cluster.ts';
import { closeSockets, connectKiosk, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const target = (redis: RedisClusterServer) => ({ url: redis.nodes[0]?.url ?? '', clusterNodes: redis.nodes.map((n) => n.url) });

/** The non-empty output lines of one redis-cli command run on every live master. */
async function onEveryMaster(redis: RedisClusterServer, args: string[]): Promise<string[]> {
  const outputs = await Promise.all((await redis.masters()).map((port) => redis.cli(args, port)));
  return outputs.flatMap((o) => o.split('\n').map((l) => l.trim()).filter(Boolean));
}

// redis-cli builds the cluster; the describe needs both (a missing one fails under CI=true).
const binaries = (() => {
  const server = redisServerBinary();
  const cli = redisCliBinary();
  return server && cli ? `${server}\n${cli}` : null;
})();

describeWith('a 3-master Redis Cluster: hash tags, SCAN on every master, sharded pub/sub', binaries, 'redis-server redis-tools', (found) => {
  const [server = '', cli = ''] = found.split('\n');
  let redis: RedisClusterServer;
  let relays: Cluster | undefined;
  beforeAll(async () => {
    redis = await startRedisCluster(server, cli);
  });
  afterEach(async () => {
    closeSockets();
    await relays?.close();
    relays = undefined;
  });
  afterAll(async () => {
    await redis?.kill();
  });

  it('keeps a home’s keys in one slot and pairs across instances with the adapter on sharded channels only', async () => {
    relays = await startCluster(target(redis), 2);
    const [a, b] = [relays.at(0), relays.at(1)];
    const prefix = relays.keyPrefix;
    const tokens = await pair(a, { kiosk: await connectKiosk(b) });
    expect(tokens.serial).toBe('home-1');

    const slots = await Promise.all(['home', 'grants', 'device-keys'].map(async (kind) => (await redis.cli(['cluster', 'keyslot', `${prefix}${kind}:{home-1}`])).trim()));
    expect(new Set(slots).size).toBe(1);
    expect((await redis.cli(['-c', 'exists', `${prefix}home:{home-1}`])).trim()).toBe('1');
    expect((await redis.cli(['-c', 'scard', `${prefix}grants:{home-1}`])).trim()).toBe('1');

    // Socket.IO rooms and the store's channels are sharded channels; nothing of ours is on classic pub/sub.
    const sharded = await onEveryMaster(redis, ['pubsub', 'shardchannels', `${prefix}*`]);
    expect(sharded.some((c) => c.startsWith(`${prefix}socket.io#/kiosk#`))).toBe(true);
    expect(await onEveryMaster(redis, ['pubsub', 'channels', `${prefix}*`])).toEqual([]);
  });

  it('finds a prefix’s keys on every master (a removed home’s records are spread over the shards)', async () => {
    relays = await startCluster(target(redis), 1);
    const store = relays.at(0).store;
    const ids = Array.from({ length: 40 }, (_, i) => `dev-${i}`);
    for (const id of ids) await store.set(`devices:record:home-9:${id}`, { id }, Date.now() + 60_000);
    await store.set('devices:record:home-90:x', { id: 'x' }, Date.now() + 60_000);
    const found = await store.keysWithPrefix('devices:record:home-9:');
    expect(found.sort()).toEqual(ids.map((id) => `devices:record:home-9:${id}`).sort());
    // They really are on more than one master, so one node's SCAN would have missed some.
    const perMaster = await Promise.all((await redis.masters()).map(async (port) => Number(await redis.cli(['eval', `return #redis.call('keys', ARGV[1])`, '0', `${relays?.keyPrefix}kv:devices:record:home-9:*`], port))));
    expect(perMaster.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});

describeWith('Redis Cluster failover: 3 masters + 3 replicas, a master killed mid-run', binaries, 'redis-server redis-tools', (found) => {
  const [server = '', cli = ''] = found.split('\n');
  let redis: RedisClusterServer;
  let relays: Cluster | undefined;
  beforeEach(async () => {
    redis = await startRedisCluster(server, cli, { replicas: 1, nodeTimeoutMs: 1500 });
  });
  afterEach(async () => {
    closeSockets();
    await relays?.close();
    relays = undefined;
    await redis?.kill();
  });

  it('loses no acknowledged command and acknowledges again within 15 s: every 200 replays from its Idempotency-Key, none reaches the device twice', { timeout: 120_000 }, async () => {
    relays = await startCluster(target(redis), 2, { env: { REDIS_WAIT_REPLICAS: '1', RATE_LIMITS: 'off' } });
    const [a, b] = [relays.at(0), relays.at(1)];
    const { token } = await pair(a, { kiosk: await connectKiosk(a) });
    const lamp = await connectDevice(b); // commands on A reach the device on B through the sharded adapter

    const acknowledged = new Map<string, string>(); // Idempotency-Key → commandId
    const ackTimes: number[] = [];
    // What each command got, for the failure message: a stall shows which answer the relay gave.
    const timeline: string[] = [];
    const t0 = Date.now();
    let sent = 0;
    let failed = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const key = `cmd-${sent++}`;
        const res = await command(a, token, 'lamp-1', { action: sent % 2 ? 'turn_on' : 'turn_off' }, { 'idempotency-key': key }).catch(() => null);
        if (res?.status === 200) {
          acknowledged.set(key, res.body.commandId as string);
          ackTimes.push(Date.now());
        } else {
          failed++;
          timeline.push(`+${Date.now() - t0} ms ${res?.status ?? 'no answer'} ${res?.body?.error?.code ?? ''}`);
          await sleep(50);
        }
      }
    })();
    await eventually(() => acknowledged.size >= 30, 20_000);
    // REDIS_WAIT_REPLICAS=1 is enforced, not just lucky: the masters ran WAIT for the durable writes.
    const masterPorts = await redis.masters();
    const waits = (await Promise.all(masterPorts.map((port) => redis.cli(['info', 'commandstats'], port)))).reduce((sum, info) => sum + Number(/cmdstat_wait:calls=(\d+)/.exec(info)?.[1] ?? 0), 0);
    expect(waits, 'WAIT calls on the masters').toBeGreaterThan(0);
    const [victim] = masterPorts;
    if (victim === undefined) throw new Error('no master to kill');
    const killedAt = Date.now();
    timeline.push(`+${killedAt - t0} ms master ${victim} killed`);
    await redis.killNode(victim);
    // A replica takes over within a few node timeouts; the client follows MOVED and reconnects.
    await redis.waitFailover(30_000);
    const failedOverAt = Date.now();
    timeline.push(`+${failedOverAt - t0} ms replica promoted`);
    const before = acknowledged.size;
    // Recovery: acknowledged again within 15 s of the promotion (measured 3-5 s: the election, then
    // one in-flight command running into its 5 s timeout), and 30 more after that.
    await eventually(() => ackTimes.some((t) => t > failedOverAt), 15_000).catch(() => {
      throw new Error(`no command acknowledged within 15 s of the failover:\n${timeline.slice(-40).join('\n')}`);
    });
    await eventually(() => acknowledged.size >= before + 30, 30_000);
    stop = true;
    await traffic;
    // The longest stretch with no acknowledgement, from the kill on.
    const times = [killedAt, ...ackTimes.filter((t) => t > killedAt)];
    const stall = Math.max(...times.slice(1).map((t, i) => t - (times[i] ?? t)));
    expect(stall, timeline.slice(-40).join('\n')).toBeLessThanOrEqual(15_000);

    const executions = lamp.commands.length;
    for (const [key, commandId] of acknowledged) {
      const replay = await command(a, token, 'lamp-1', { action: Number(key.slice(4)) % 2 === 0 ? 'turn_on' : 'turn_off' }, { 'idempotency-key': key });
      expect(replay.status, `replay of ${key}`).toBe(200);
      expect(replay.body.commandId).toBe(commandId);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(lamp.commands.length).toBe(executions);
    // Commands failed while the shard was away (refused, never acknowledged); the run went on after.
    expect(acknowledged.size).toBeGreaterThanOrEqual(60);
    const firstAfter = (ackTimes.find((t) => t > failedOverAt) ?? failedOverAt) - failedOverAt;
    console.log(
      `failover run: promotion ${failedOverAt - killedAt} ms after the kill, first ack ${firstAfter} ms after the promotion, longest stretch without an ack ${stall} ms; ${acknowledged.size} acknowledged, ${failed} refused while the shard was away, ${sent} sent`,
    );
  });
});
