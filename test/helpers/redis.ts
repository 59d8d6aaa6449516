import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createRedisAdapter, type RedisAdapterHandle } from '../../src/realtime/redis-adapter.ts';
import { findExecutable } from './requires.ts';
import { type StartOptions, startRelay, type TestRelay } from './relay.ts';

/** redis-server's path, or null (tests then skip, or fail under CI). */
export const redisServerBinary = (): string | null => findExecutable('redis-server', ['/usr/bin/redis-server']);

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
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
  let child: ChildProcess | undefined;

  const launch = async () => {
    const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'warning'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPort(port, 10_000, () => (proc.exitCode !== null ? `redis-server exited: ${output}` : null));
  };
  const terminate = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: terminate,
    start: launch,
    kill: terminate,
  };
}

/** Resolves once something accepts TCP connections on `port`. */
async function waitForPort(port: number, timeoutMs: number, failed: () => string | null): Promise<void> {
  const started = Date.now();
  for (;;) {
    const problem = failed();
    if (problem) throw new Error(problem);
    if (await canConnect(port)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RedisRelay extends TestRelay {
  adapter: RedisAdapterHandle;
}

/** One relay instance on the shared Redis: its own RedisStore and adapter connections. */
export async function startRedisRelay(redisUrl: string, options: StartOptions & { keyPrefix?: string } = {}): Promise<RedisRelay> {
  const keyPrefix = options.keyPrefix ?? 'relay:';
  const adapter = await createRedisAdapter({ url: redisUrl, keyPrefix });
  try {
    const relay = await startRelay({
      ...options,
      env: { STORE: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix, ...options.env },
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
