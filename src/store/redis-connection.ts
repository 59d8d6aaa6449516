import {
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  createCluster,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  type RedisClientType,
  TimeoutError,
} from 'redis';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { clusterSlotsOf, guardReloads, reloadSlotsSoon } from './cluster-topology.ts';
import { keepShardedSubscriptions } from './sharded-subscriptions.ts';

export type RedisClient = RedisClientType;

/** How long one command may take before the caller is told the store is unavailable. */
const COMMAND_TIMEOUT_MS = 2000;
/** How long start-up waits for Redis before giving up with a clear message. */
const CONNECT_DEADLINE_MS = 10_000;

/** Where Redis is: one server (`url`) or a Redis Cluster (`clusterNodes`, seed nodes). */
export interface RedisTarget {
  url: string;
  /** When set, `url` is only a label and the client is a cluster client seeded from these nodes. */
  clusterNodes?: readonly string[] | undefined;
}

/** The target for a configuration (REDIS_URL or REDIS_CLUSTER_NODES). */
export function redisTargetOf(config: { redisUrl?: string | undefined; redisClusterNodes?: readonly string[] | undefined }): RedisTarget | undefined {
  if (config.redisClusterNodes?.length) return { url: config.redisClusterNodes[0] ?? '', clusterNodes: config.redisClusterNodes };
  return config.redisUrl ? { url: config.redisUrl } : undefined;
}

/**
 * Cluster clients, handed around typed as RedisClient: the commands the relay sends are the same,
 * and the few places that differ (MULTI across slots, SCAN, pub/sub) ask `isCluster` first.
 */
const clusterClients = new WeakSet<object>();
export const isCluster = (client: RedisClient): boolean => clusterClients.has(client);

export interface RedisConnectionOptions extends RedisTarget {
  /** Shown in logs and CLIENT LIST ("relay-store", "relay-adapter-sub", …). */
  name: string;
  logger?: Logger | undefined;
  /**
   * true for request/response clients: while Redis is away a command fails at once (and becomes
   * 503 `unavailable`) instead of waiting in an unbounded queue. Subscriber connections keep
   * the queue so their (un)subscribe calls are replayed after a reconnect.
   */
  failFastWhenOffline: boolean;
}

/**
 * Reconnect forever, backing off to 2 s: after a Redis restart every instance finds its way
 * back by itself within a couple of seconds, and a long outage costs one attempt every 2 s.
 */
const reconnectStrategy = (retries: number): number => Math.min(100 * 2 ** Math.min(retries, 5), 2000);

/** Creates and connects a client; rejects (and cleans up) if Redis is not reachable in time. */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  const client = options.clusterNodes?.length ? createClusterClient(options) : createClient({
    url: options.url,
    name: options.name,
    disableOfflineQueue: options.failFastWhenOffline,
    ...(options.failFastWhenOffline ? { commandOptions: { timeout: COMMAND_TIMEOUT_MS } } : {}),
    socket: { reconnectStrategy, connectTimeout: 2000 },
  });
  watchConnection(client, options.name, options.logger);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis at ${describeTarget(options)} did not answer within ${CONNECT_DEADLINE_MS / 1000} s`)), CONNECT_DEADLINE_MS);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    return client;
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A cluster client: node-redis discovers every master and replica from the seeds, routes each
 * command by its key's slot and follows MOVED/ASK (resharding, failover) by itself.
 */
function createClusterClient(options: RedisConnectionOptions): RedisClient {
  const cluster = createCluster({
    rootNodes: (options.clusterNodes ?? []).map((url) => ({ url })),
    defaults: {
      name: options.name,
      disableOfflineQueue: options.failFastWhenOffline,
      socket: { reconnectStrategy, connectTimeout: 2000 },
    },
    ...(options.failFastWhenOffline ? { commandOptions: { timeout: COMMAND_TIMEOUT_MS } } : {}),
    // A node that keeps refusing for 1 s is probably a failed master: reload the slot map (its
    // replica has taken over) instead of the default 5 s, during which its slots answer 503.
    topologyRefreshOnReconnectionAttemptStrategy: 1000,
  });
  clusterClients.add(cluster);
  const reloads = guardReloads(cluster, options.logger, options.name);
  const slots = clusterSlotsOf(cluster);
  // Subscriber connections (the ones that keep their queue) hold sharded subscriptions.
  if (!options.failFastWhenOffline && slots) {
    const kept = keepShardedSubscriptions(cluster, slots, options.logger, options.name);
    reloads.onSettled(kept.check);
    // The cluster emits 'disconnect' only from close/disconnect/destroy (node-redis 6.3.1: a lost
    // node is 'node-disconnect'), so the periodic check lives as long as the client.
    cluster.on('disconnect', kept.stop);
  }
  return cluster as unknown as RedisClient;
}

/**
 * node-redis emits 'error' on every failed reconnect attempt; an unlistened 'error' would crash
 * the process. Log the transitions (lost / back) and keep the noise in between at debug.
 */
function watchConnection(client: RedisClient, name: string, logger: Logger | undefined): void {
  let healthy = false;
  client.on('error', (err: unknown) => {
    if (healthy) logger?.warn({ err, connection: name }, 'redis connection lost; reconnecting');
    else logger?.debug({ err, connection: name }, 'redis still unreachable');
    healthy = false;
  });
  // A cluster client says 'connect' once its slot map is loaded; its nodes report 'node-error' one by one.
  client.on(isCluster(client) ? 'connect' : 'ready', () => {
    if (!healthy) logger?.info({ connection: name }, 'redis connection ready');
    healthy = true;
  });
  if (isCluster(client)) {
    client.on('node-error', (err: unknown) => {
      logger?.debug({ err, connection: name }, 'redis cluster node error');
      reloadSlotsSoon(client);
    });
  }
}

/** Closes politely (pending replies first), but never lets a dead Redis hold shutdown up. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), 1000);
  });
  const outcome = await Promise.race([client.close().then(() => 'closed' as const, () => 'failed' as const), giveUp]);
  clearTimeout(timer);
  if (outcome !== 'closed' && client.isOpen) client.destroy();
}

const transientReplies = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|OOM)\b/;

/** True for errors that mean "Redis is not answering right now", as opposed to a bug in a command. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof ErrorReply) return transientReplies.test(err.message);
  if (
    err instanceof ClientOfflineError ||
    err instanceof ClientClosedError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketTimeoutError ||
    err instanceof TimeoutError ||
    err instanceof ReconnectStrategyError ||
    err instanceof DisconnectsClientError ||
    err instanceof AbortError
  ) {
    return true;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code);
}

/** Connection trouble becomes the contract's 503 `unavailable`; anything else is left as it is (a bug → 500). */
export function translateRedisError(err: unknown): unknown {
  return isConnectionError(err) ? new AppError('unavailable', 'The shared store (Redis) is unavailable; try again shortly.') : err;
}

/** One client per master of a cluster client (SCAN and other per-node commands). */
export async function clusterMasterClients(client: RedisClient): Promise<RedisClient[]> {
  const cluster = client as unknown as {
    masters: unknown[];
    nodeClient(node: unknown): Promise<RedisClient>;
  };
  return Promise.all(cluster.masters.map((master) => cluster.nodeClient(master)));
}

/** For messages: the URL, or the cluster's seed nodes, passwords hidden. */
export function describeTarget(target: RedisTarget): string {
  return target.clusterNodes?.length ? `cluster ${target.clusterNodes.map(redactUrl).join(',')}` : redactUrl(target.url);
}

/** Passwords in REDIS_URL never reach messages or logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}
