import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Cluster, startCluster } from './helpers/cluster.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, connectKiosk, getJson, pair, postJson } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';
import { openSse, type SseClient } from './helpers/sse.ts';

describeWith('QR login across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  let cluster: Cluster | undefined;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    closeSockets();
    await cluster?.close();
    cluster = undefined;
  });
  afterAll(async () => {
    await redis?.kill();
  });

  it('streams a session from A that a phone paired on C scans and approves on B', async () => {
    cluster = await startCluster(redis.url, 3);
    const [a, b, c] = [cluster.at(0), cluster.at(1), cluster.at(2)];
    const phone = await pair(c, { kiosk: await connectKiosk(b) });
    const session = await createSession(b);
    const stream = await openSse(sessionUrl(a, session.sessionId, '/events'));
    streams.push(stream);
    await stream.next('CONNECT');
    expect((await getJson(sessionUrl(c, session.sessionId), phone.token)).status).toBe(200);
    expect((await stream.next('SCANNED')).data.clientName).toBe('test client');
    expect((await postJson(sessionUrl(b, session.sessionId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const complete = await stream.next('COMPLETE');
    expect(complete.data).toMatchObject({ success: true, tokenType: 'Bearer', serial: 'home-1' });
    await stream.ended;
    for (const r of [a, b, c]) expect((await getJson(`${r.url}/api/v1/me`, complete.data.token)).status).toBe(200);
    // Single use on every instance.
    expect((await postJson(sessionUrl(c, session.sessionId, '/deny'), {}, bearer(phone.token))).status).toBe(409);
  });

  it('delivers an approval made before the stream was opened, on another instance', async () => {
    cluster = await startCluster(redis.url, 2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const phone = await pair(a, { kiosk: await connectKiosk(a) });
    const session = await createSession(a);
    await getJson(sessionUrl(a, session.sessionId), phone.token);
    expect((await postJson(sessionUrl(a, session.sessionId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const stream = await openSse(sessionUrl(b, session.sessionId, '/events'));
    streams.push(stream);
    expect((await stream.next('COMPLETE')).data.success).toBe(true);
  });
});
