import { createRedisAdapter, type RedisAdapterHandle } from '../../src/realtime/redis-adapter.ts';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { freePort } from './net.ts';
import { findExecutable } from './requires.ts';
import { spawnedServer } from './spawned.ts';
import { type StartOptions, startRelay, type TestRelay } from './relay.ts';

/** redis-server's path, or null (tests then skip, or fail under CI). */
export const redisServerBinary = (): string | null => findExecutable('redis-server', ['/usr/bin/redis-server']);

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** What a relay needs to reach it (REDIS_URL, or REDIS_CLUSTER_NODES for a cluster). */
  readonly env: Record<string, string>;
  readonly target: RedisTarget;
  /** Stops the server abruptly (SIGKILL, as a crash would), keeping the port for `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is saved). */
  start(): Promise<void>;
  /** Stops it for good (afterAll). Safe to call twice. */
  kill(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file here, fsynced on every write, so data survives `stop`/`start` the
   * way a production Redis with AOF would. Without it nothing is persisted.
   */
  persistDir?: string;
}

/**
 * A private redis-server for one test file: its own port, no persistence unless asked, killed
 * after. Tests never touch the machine's Redis on 6379.
 */
export async function startRedisServer(binary: string, options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const persistence = options.persistDir
    ? ['--dir', options.persistDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];
  const server = spawnedServer(binary, ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'warning'], port, 'redis-server');
  await server.start();
  const url = `redis://127.0.0.1:${port}`;
  return {
    port,
    url,
    env: { REDIS_URL: url },
    target: { url },
    stop: server.stop,
    start: server.start,
    kill: server.stop,
  };
}

export interface RedisRelay extends TestRelay {
  adapter: RedisAdapterHandle;
}

/** One relay instance on the shared Redis (a URL, or a cluster's target): its own RedisStore and adapter connections. */
export async function startRedisRelay(redis: string | RedisTarget, options: StartOptions & { keyPrefix?: string } = {}): Promise<RedisRelay> {
  const keyPrefix = options.keyPrefix ?? 'relay:';
  const target = typeof redis === 'string' ? { url: redis } : redis;
  const adapter = await createRedisAdapter({ ...target, keyPrefix });
  const redisEnv: Record<string, string> = target.clusterNodes?.length ? { REDIS_CLUSTER_NODES: target.clusterNodes.join(',') } : { REDIS_URL: target.url };
  try {
    const relay = await startRelay({
      ...options,
      env: { STORE: 'redis', ...redisEnv, REDIS_KEY_PREFIX: keyPrefix, ...options.env },
      adapter: adapter.adapter,
    });
    return {
      ...relay,
      adapter,
      async close() {
        await relay.close();
        await adapter.close();
      },
    };
  } catch (err) {
    await adapter.close();
    throw err;
  }
}
