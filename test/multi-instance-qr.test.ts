import { afterEach, expect, it } from 'vitest';
import { useClusters } from './helpers/cluster.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectKiosk, getJson, pair, postJson } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';
import { openSse, type SseClient } from './helpers/sse.ts';

describeWith('QR login across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  const streams: SseClient[] = [];
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  it('streams a session from A that a phone paired on C scans and approves on B', async () => {
    const [a, b, c] = await clusters.three();
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
    const cluster = await clusters.start(2);
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
