import { createAdapter } from '@socket.io/redis-adapter';
import type { Server as SocketServer } from 'socket.io';
import type { Logger } from '../logger.ts';
import { closeRedis, connectRedis, type RedisClient } from '../store/redis-connection.ts';

export interface RedisAdapterHandle {
  /** Pass to `createServer(deps, { adapter })`. */
  adapter: NonNullable<Parameters<SocketServer['adapter']>[0]>;
  /** Closes both Redis connections; call after the Socket.IO server is closed. */
  close(): Promise<void>;
}

export interface RedisAdapterOptions {
  url: string;
  /** The same prefix as the store's, so two deployments on one Redis never hear each other. */
  keyPrefix: string;
  logger?: Logger | undefined;
  /** How long cross-instance requests (fetchSockets, acks) wait for the other instances. */
  requestsTimeoutMs?: number;
}

/**
 * The Socket.IO Redis adapter (classic pub/sub, not sharded: it counts live instances with
 * PUBSUB NUMSUB, so an instance that dies stops being waited for at once, with no heartbeat lag).
 */
export async function createRedisAdapter(options: RedisAdapterOptions): Promise<RedisAdapterHandle> {
  const { url, logger } = options;
  const pub = await connectRedis({ url, name: 'relay-adapter-pub', logger, failFastWhenOffline: true });
  let sub: RedisClient;
  try {
    sub = await connectRedis({ url, name: 'relay-adapter-sub', logger, failFastWhenOffline: false });
  } catch (err) {
    await closeRedis(pub);
    throw err;
  }
  const adapter = createAdapter(degradingPublisher(pub, logger), sub, {
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
