import { findBinary, spawnOnFreePort } from './spawned-port.ts';

export interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

/** redis-server's path, or null (the scenario then says it skipped). */
export const redisBinary = (): string | null => findBinary('redis-server');

/** A private, non-persistent redis-server on a free loopback port, never the machine's own. */
export async function startBenchRedis(binary: string): Promise<BenchRedis> {
  const { port, stop } = await spawnOnFreePort(
    binary,
    (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    'redis-server',
  );
  return { url: `redis://127.0.0.1:${port}`, stop };
}
