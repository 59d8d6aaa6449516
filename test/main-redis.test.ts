import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, connectKiosk, getJson, HUB_KEY, JWT_SECRET, nextEvent, postJson } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('npm start with REDIS_URL: two processes, one Redis', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer | undefined;
  const processes: MainProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    closeSockets();
    await stopAll(processes);
    await redis?.kill();
  });

  it('builds the Redis store and adapter: a code asked of one process shows on a kiosk of the other', async () => {
    const env = { REDIS_URL: redis!.url, JWT_SECRET, HUB_KEY };
    const [one, two] = await Promise.all([startMain(env), startMain(env)]);
    processes.push(one, two);
    for (const p of [one, two]) expect(p.store).toBe('redis');
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
