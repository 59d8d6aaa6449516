import {
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
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

export type RedisClient = RedisClientType;

/** How long one command may take before the caller is told the store is unavailable. */
const COMMAND_TIMEOUT_MS = 2000;
/** How long start-up waits for Redis before giving up with a clear message. */
const CONNECT_DEADLINE_MS = 10_000;

export interface RedisConnectionOptions {
  url: string;
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
  const client = createClient({
    url: options.url,
    name: options.name,
    disableOfflineQueue: options.failFastWhenOffline,
    ...(options.failFastWhenOffline ? { commandOptions: { timeout: COMMAND_TIMEOUT_MS } } : {}),
    socket: { reconnectStrategy, connectTimeout: 2000 },
  });
  watchConnection(client, options.name, options.logger);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis at ${redactUrl(options.url)} did not answer within ${CONNECT_DEADLINE_MS / 1000} s`)), CONNECT_DEADLINE_MS);
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
  client.on('ready', () => {
    if (!healthy) logger?.info({ connection: name }, 'redis connection ready');
    healthy = true;
  });
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
