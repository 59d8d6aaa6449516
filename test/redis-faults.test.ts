import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Cluster, startCluster } from './helpers/cluster.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, connectDashboard, connectKiosk, emitAck, getJson, nextEvent, postJson, tempDir, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

async function pairThrough(requestVia: TestRelay, claimVia: TestRelay, kiosk: Awaited<ReturnType<typeof connectKiosk>>) {
  const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  const requested = await postJson(`${requestVia.url}/api/v1/pairing/code`, {});
  if (requested.status !== 202) return requested;
  return postJson(`${claimVia.url}/api/v1/pairing/claim`, { code: (await arrives).code });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWith('Redis stopped mid-run', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  let cluster: Cluster | undefined;
  const unhandled: unknown[] = [];
  const record = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    // With an append-only file, as production should run: grants survive the Redis restart.
    redis = await startRedisServer(binary, { persistDir: tempDir('relay-redis-aof-') });
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(async () => {
    closeSockets();
    await cluster?.close();
    cluster = undefined;
  });
  afterAll(async () => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    await redis?.kill();
  });

  it('answers 503 unavailable without crashing, then recovers by itself when Redis is back', async () => {
    cluster = await startCluster(redis.url, 2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kiosk = await connectKiosk(a);
    const paired = await pairThrough(b, a, kiosk);
    expect(paired.status).toBe(201);
    const token: string = paired.body.token;
    const dashboard = await connectDashboard(b, token);

    await redis.stop();

    for (const r of [a, b]) {
      await waitFor(async () => (await getJson(`${r.url}/readyz`)).status === 503, 5000);
      expect((await getJson(`${r.url}/healthz`)).status).toBe(200);
    }
    const code = await postJson(`${b.url}/api/v1/pairing/code`, {});
    expect(code.status).toBe(503);
    expect(code.body.error.code).toBe('unavailable');
    const claim = await postJson(`${a.url}/api/v1/pairing/claim`, { code: '123456' });
    expect(claim.status).toBe(503);
    expect(claim.body).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
    const me = await getJson(`${b.url}/api/v1/me`, token);
    expect(me.status).toBe(503);
    expect(me.body.error.code).toBe('unavailable');
    await expect(connectDashboard(a, token)).rejects.toMatchObject({ message: 'unavailable', data: { code: 'unavailable' } });
    // Sockets that were already connected stay up and get clear answers.
    expect(await emitAck(kiosk, 'pairing:open')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(dashboard.connected).toBe(true);

    await redis.start();

    for (const r of [a, b]) await waitFor(async () => (await getJson(`${r.url}/readyz`)).status === 200, 10_000);
    // The grant survived (AOF) and every instance takes its token again.
    for (const r of [a, b]) expect((await getJson(`${r.url}/api/v1/me`, token)).status).toBe(200);
    // Cross-instance delivery is back too: the adapter resubscribed. Retry until both sides have.
    await waitFor(async () => (await pairThrough(b, a, kiosk)).status === 201, 10_000);
    expect(kiosk.connected).toBe(true);
    expect(unhandled).toEqual([]);
  });
});
