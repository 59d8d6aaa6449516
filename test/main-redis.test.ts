import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { deviceAuth, eventually } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, getJson, HUB_KEY, JWT_SECRET, nextEvent, pair, postJson } from './helpers/relay.ts';
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

  it('SIGTERM on one process: its devices go offline on the other\'s dashboards and its sockets are closed', async () => {
    const env = { REDIS_URL: redis!.url, JWT_SECRET, HUB_KEY };
    const [leaving, staying] = await Promise.all([startMain(env), startMain(env)]);
    processes.push(leaving, staying);
    const tokens = await pair({ url: staying.url });
    const lamp = await connectSocket(`${leaving.url}/device`, deviceAuth({ deviceId: 'lamp-1' }));
    const fan = await connectSocket(`${leaving.url}/device`, deviceAuth({ deviceId: 'fan-1', type: 'switch' }));
    const kiosk = await connectKiosk({ url: leaving.url });
    const listed = async () => (await getJson(`${staying.url}/api/v1/devices`, tokens.token)).body.devices as { id: string; online: boolean }[];
    await eventually(async () => (await listed()).filter((d) => d.online).length === 2, 5000);
    const dashboard = await connectDashboard({ url: staying.url }, tokens.token);
    const offline: string[] = [];
    dashboard.on('device:offline', (device: { id: string }) => offline.push(device.id));
    const cut = [lamp, fan, kiosk].map((socket) => new Promise<void>((resolve) => socket.once('disconnect', () => resolve())));
    for (const socket of [lamp, fan, kiosk]) socket.io.reconnection(false);

    leaving.child.kill('SIGTERM');
    expect(await leaving.exited).toBe(0);
    await Promise.all(cut);
    await eventually(() => offline.length === 2, 5000);
    expect(offline.sort()).toEqual(['fan-1', 'lamp-1']);
    expect((await listed()).map((d) => [d.id, d.online]).sort()).toEqual([
      ['fan-1', false],
      ['lamp-1', false],
    ]);
    closeSockets();
    staying.child.kill('SIGTERM');
    expect(await staying.exited).toBe(0);
  });
});
