import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './free-port.ts';
import { sleep } from './stats.ts';

export interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

/** redis-server's path, or null (the scenario then says it skipped). */
export function redisBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/sbin')) {
    if (existsSync(`${dir}/redis-server`)) return `${dir}/redis-server`;
  }
  return null;
}

/** A private, non-persistent redis-server on a free loopback port, never the machine's own. */
export async function startBenchRedis(binary: string): Promise<BenchRedis> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1', () => {
        probe.end();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (open) return { url: `redis://127.0.0.1:${port}`, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('redis-server did not start');
    }
    await sleep(50);
  }
}
