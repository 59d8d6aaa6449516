import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, connectKiosk, getJson, HUB_KEY, JWT_SECRET, nextEvent, postJson, tempDir } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const root = new URL('..', import.meta.url).pathname;

interface MainProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** The real entry point (`npm start`) as an operator runs it, with REDIS_URL set. */
async function startMain(env: Record<string, string>): Promise<MainProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', DEMO_DEVICES: 'false', PORT: '0', DATA_DIR: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  for (;;) {
    const match = /home-relay on (http:\/\/localhost:\d+)\s+\(store: (\w+)\)/.exec(output);
    if (match) {
      expect(match[2]).toBe('redis');
      return { child, url: match[1]!.replace('localhost', '127.0.0.1'), exited };
    }
    if (child.exitCode !== null) throw new Error(`relay exited ${child.exitCode}: ${output}`);
    if (Date.now() - started > 20_000) {
      child.kill('SIGKILL');
      throw new Error(`relay did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWith('npm start with REDIS_URL: two processes, one Redis', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer | undefined;
  const processes: MainProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    closeSockets();
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await redis?.kill();
  });

  it('builds the Redis store and adapter: a code asked of one process shows on a kiosk of the other', async () => {
    const env = { REDIS_URL: redis!.url, JWT_SECRET, HUB_KEY };
    const [one, two] = await Promise.all([startMain(env), startMain(env)]);
    processes.push(one, two);
    for (const p of [one, two]) expect((await getJson(`${p.url}/readyz`)).status).toBe(200);

    const kiosk = await connectKiosk({ url: one.url });
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    expect((await postJson(`${two.url}/api/v1/pairing/code`, {})).status).toBe(202);
    const claimed = await postJson(`${one.url}/api/v1/pairing/claim`, { code: (await arrives).code });
    expect(claimed.status).toBe(201);
    expect((await getJson(`${two.url}/api/v1/me`, claimed.body.token)).status).toBe(200);
    closeSockets();

    for (const p of [one, two]) p.child.kill('SIGTERM');
    expect(await Promise.all([one.exited, two.exited])).toEqual([0, 0]);
  });
});
