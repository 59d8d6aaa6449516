import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Server as SocketServer } from 'socket.io';
import type { Logger } from '../logger.ts';
import { closeRedis, connectRedis, type RedisClient, type RedisTarget } from '../store/redis-connection.ts';
import { keySlot } from '../store/redis-slot.ts';

type SocketAdapter = NonNullable<Parameters<SocketServer['adapter']>[0]>;

export interface RedisAdapterHandle {
  /** Pass to `createServer(deps, { adapter })`. */
  adapter: NonNullable<Parameters<SocketServer['adapter']>[0]>;
  /** Closes both Redis connections; call after the Socket.IO server is closed. */
  close(): Promise<void>;
}

export interface RedisAdapterOptions extends RedisTarget {
  /** The same prefix as the store's, so two deployments on one Redis never hear each other. */
  keyPrefix: string;
  logger?: Logger | undefined;
  /** How long cross-instance requests (fetchSockets, acks) wait for the other instances. */
  requestsTimeoutMs?: number;
}

/**
 * The Socket.IO Redis adapter. On one Redis: classic pub/sub (it counts live instances with
 * PUBSUB NUMSUB, so an instance that dies stops being waited for at once, with no heartbeat lag).
 * On a Redis Cluster: the sharded adapter (Redis 7 SPUBLISH/SSUBSCRIBE). Classic PUBLISH on a
 * cluster is copied to every node, so every node would carry every broadcast; a sharded channel
 * lives on the one shard that owns its slot. In "dynamic" mode each room (a home, a grant, a
 * device) gets its own channel, spread over the shards, and only instances with a socket in the
 * room subscribe to it. Instances are counted with SHARDNUMSUB on the namespace's channel.
 */
export async function createRedisAdapter(options: RedisAdapterOptions): Promise<RedisAdapterHandle> {
  const { url, clusterNodes, logger } = options;
  const pub = await connectRedis({ url, clusterNodes, name: 'relay-adapter-pub', logger, failFastWhenOffline: true });
  let sub: RedisClient;
  try {
    sub = await connectRedis({ url, clusterNodes, name: 'relay-adapter-sub', logger, failFastWhenOffline: false });
  } catch (err) {
    await closeRedis(pub);
    throw err;
  }
  const adapter = clusterNodes?.length
    ? shardedAdapter(pub, sub, options.keyPrefix, logger)
    : createAdapter(degradingPublisher(pub, logger), sub, {
        key: `${options.keyPrefix}socket.io`,
        requestsTimeout: options.requestsTimeoutMs ?? 3000,
        publishOnSpecificResponseChannel: true,
      });
  return {
    adapter,
    async close() {
      await Promise.all([closeRedis(pub), closeRedis(sub)]);
    },
  };
}

/**
 * The sharded adapter on a cluster, with its instance count asked of the one shard that owns the
 * namespace's channel (SHARDNUMSUB routed by the channel's slot). The library asks every master
 * and sums, so one dead master made every count fail, even for channels it does not hold. When
 * the owning shard cannot answer, the last count it gave stands: a broadcast-with-ack then waits
 * for instances it cannot hear and times out, rather than concluding "no one else is there" and
 * reporting a device held by another instance as offline (which would also be written to the
 * registry). Its publishes are already caught by socket.io-adapter.
 */
function shardedAdapter(pub: RedisClient, sub: RedisClient, keyPrefix: string, logger: Logger | undefined): SocketAdapter {
  const factory = createShardedAdapter(pub, quietSubscriber(sub, logger), { channelPrefix: `${keyPrefix}socket.io`, subscriptionMode: 'dynamic' });
  const cluster = pub as unknown as { slots: ({ master: unknown } | undefined)[]; nodeClient(node: unknown): Promise<RedisClient> };
  // PUBSUB names no key, so node-redis would send it to any node: ask the channel's slot owner.
  const owner = async (channel: string) => {
    const master = cluster.slots[keySlot(channel)]?.master;
    if (!master) throw new Error('slot map not loaded');
    return cluster.nodeClient(master);
  };
  // A plain function, not an arrow: Socket.IO calls it with `new`, and the object it returns wins.
  return function countingAdapter(nsp: unknown) {
    const adapter = factory(nsp);
    const channel = (adapter as unknown as { channel: string }).channel;
    let lastCount = 1;
    adapter.serverCount = () =>
      owner(channel).then((node) => node.sendCommand(['PUBSUB', 'SHARDNUMSUB', channel])).then(
        (reply: unknown) => {
          lastCount = Math.max(1, Number((reply as unknown[])[1] ?? 1));
          return lastCount;
        },
        (err: unknown) => {
          logger?.debug({ err, channel }, 'adapter server count unavailable: keeping the last one');
          return lastCount;
        },
      );
    return adapter;
  } as unknown as SocketAdapter;
}

/**
 * The sharded adapter subscribes and unsubscribes per room without awaiting or catching (its
 * SUNSUBSCRIBE helper even drops the promise), so a room emptied while the cluster is unreachable
 * or already closed would become an unhandled rejection. Failures are logged; node-redis replays
 * the subscriptions it holds after a reconnect, and a closed client has nothing left to drop.
 */
function quietSubscriber(sub: RedisClient, logger: Logger | undefined): RedisClient {
  const quiet =
    (name: 'sSubscribe' | 'sUnsubscribe') =>
    (...args: unknown[]) =>
      Promise.resolve()
        .then(() => (sub[name] as (...a: unknown[]) => Promise<unknown>).apply(sub, args))
        .catch((err: unknown) => logger?.debug({ err, channel: args[0] }, `adapter ${name} failed`));
  const overrides = { sSubscribe: quiet('sSubscribe'), sUnsubscribe: quiet('sUnsubscribe') };
  return new Proxy(sub, {
    get(target, property) {
      if (property === 'sSubscribe' || property === 'sUnsubscribe') return overrides[property];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The adapter fires `publish` without awaiting it and Socket.IO calls `serverCount()` without a
 * catch, so with Redis away either would become an unhandled rejection. This view of the
 * publishing client turns a Redis outage into "this instance is alone": publishes are dropped
 * (logged) and NUMSUB answers 1, so emits, acks and fetchSockets still serve the local sockets —
 * the only ones reachable without Redis anyway — instead of failing or hanging.
 */
function degradingPublisher(pub: RedisClient, logger: Logger | undefined): RedisClient {
  const publish = (channel: string, message: string | Buffer) =>
    pub.publish(channel, message).catch((err: unknown) => {
      logger?.debug({ err, channel }, 'adapter publish dropped: redis unavailable');
      return 0;
    });
  const sendCommand = (args: string[], ...rest: unknown[]) =>
    (pub.sendCommand as (args: string[], ...rest: unknown[]) => Promise<unknown>)(args, ...rest).catch((err: unknown) => {
      if (args[0]?.toUpperCase() !== 'PUBSUB') throw err;
      logger?.debug({ err }, 'adapter server count unavailable: serving local sockets only');
      return [args[2] ?? '', 1];
    });
  return new Proxy(pub, {
    get(target, property) {
      if (property === 'publish') return publish;
      if (property === 'sendCommand') return sendCommand;
      // Bound to the real client: node-redis methods use private fields that a proxy `this` lacks.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
