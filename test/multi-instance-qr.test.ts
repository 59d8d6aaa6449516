import { createClient, RESP_TYPES } from 'redis';
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
    expect((await getJson(sessionUrl(c, session.scanId), phone.token)).status).toBe(200);
    expect((await stream.next('SCANNED')).data.clientName).toBe('test client');
    expect((await postJson(sessionUrl(b, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const complete = await stream.next('COMPLETE');
    expect(complete.data).toMatchObject({ success: true, tokenType: 'Bearer', serial: 'home-1' });
    await stream.ended;
    for (const r of [a, b, c]) expect((await getJson(`${r.url}/api/v1/me`, complete.data.token)).status).toBe(200);
    // Single use on every instance.
    expect((await postJson(sessionUrl(c, session.scanId, '/deny'), {}, bearer(phone.token))).status).toBe(409);
  });

  it('delivers an approval made before the stream was opened, on another instance', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const phone = await pair(a, { kiosk: await connectKiosk(a) });
    const session = await createSession(a);
    await getJson(sessionUrl(a, session.scanId), phone.token);
    expect((await postJson(sessionUrl(a, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const stream = await openSse(sessionUrl(b, session.sessionId, '/events'));
    streams.push(stream);
    expect((await stream.next('COMPLETE')).data.success).toBe(true);
  });

  it('two racing streams on two instances: exactly one COMPLETE, the other ends without tokens', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const phone = await pair(a, { kiosk: await connectKiosk(a) });
    for (let round = 0; round < 3; round++) {
      const session = await createSession(a);
      const onA = await openSse(sessionUrl(a, session.sessionId, '/events'));
      const onB = await openSse(sessionUrl(b, session.sessionId, '/events'));
      streams.push(onA, onB);
      await Promise.all([onA.next('CONNECT'), onB.next('CONNECT')]);
      expect((await postJson(sessionUrl(b, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
      await Promise.all([onA.ended, onB.ended]);
      const completes = [onA, onB].flatMap((s) => s.events.filter((e) => e.event === 'COMPLETE'));
      expect(completes).toHaveLength(1);
      expect((await getJson(`${b.url}/api/v1/me`, completes[0]!.data.token)).status).toBe(200);
      // The replay, on either instance.
      for (const r of [a, b]) expect((await fetch(sessionUrl(r, session.sessionId, '/events'))).status).toBe(409);
    }
    // Exactly one qr grant per round: no tokens were minted for the losing streams.
    const grants = await getJson(`${a.url}/api/v1/grants`, phone.token);
    expect(grants.body.grants.filter((g: { method: string }) => g.method === 'qr')).toHaveLength(3);
  });

  it('caps open streams per session at two across instances', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const session = await createSession(a);
    const one = await openSse(sessionUrl(a, session.sessionId, '/events'));
    const two = await openSse(sessionUrl(b, session.sessionId, '/events'));
    streams.push(one, two);
    await Promise.all([one.next('CONNECT'), two.next('CONNECT')]);
    for (const r of [a, b]) expect((await fetch(sessionUrl(r, session.sessionId, '/events'))).status).toBe(429);
  });

  it('keeps no token at rest: no Redis key holds the delivered access or refresh token', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const phone = await pair(a, { kiosk: await connectKiosk(a) });
    const session = await createSession(a);
    expect((await postJson(sessionUrl(b, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const stream = await openSse(sessionUrl(a, session.sessionId, '/events'));
    streams.push(stream);
    const { token, refreshToken } = (await stream.next('COMPLETE')).data;
    await stream.ended;

    // Every node (on a Redis Cluster each holds its own slots' keys), each asked about its own keys.
    const nodeUrls = clusters.redis.target.clusterNodes ?? [clusters.redis.url];
    const nodes = nodeUrls.map((url) => createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }));
    await Promise.all(nodes.map((n) => n.connect()));
    try {
      const keysByNode = await Promise.all(nodes.map(async (node) => ({ node, keys: await node.keys(`${cluster.keyPrefix}*`) })));
      const keys = keysByNode.flatMap((k) => k.keys);
      expect(keys.length).toBeGreaterThan(3);
      expect(keys.some((k) => String(k).includes('qr:session:'))).toBe(true);
      const secrets = [token, refreshToken].map((t: string) => Buffer.from(t));
      for (const { node: client, keys: own } of keysByNode) for (const key of own) {
        const dump = (await client.dump(key)) as unknown as Buffer;
        // DUMP may compress a value, so the decoded value is searched as well.
        const type = String(await client.type(key));
        const value = type === 'string' ? await client.get(key) : type === 'hash' ? JSON.stringify(await client.hGetAll(key)) : type === 'set' ? JSON.stringify(await client.sMembers(key)) : '';
        for (const secret of secrets) {
          expect(dump.includes(secret), `DUMP of ${key}`).toBe(false);
          expect(Buffer.from(String(value)).includes(secret), `value of ${key}`).toBe(false);
        }
      }
    } finally {
      await Promise.all(nodes.map((n) => n.quit()));
    }
  });
});
