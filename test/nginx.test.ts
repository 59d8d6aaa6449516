import { get as httpsGet } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Cluster, startCluster } from './helpers/cluster.ts';
import { command, connectDevice } from './helpers/devices.ts';
import { nginxBinary, type RunningNginx, startNginx } from './helpers/nginx.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from './helpers/redis.ts';
import { closeSockets, connectSocket, emitAck, getJson, HUB_KEY, nextEvent, postJson } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';
import { openSse } from './helpers/sse.ts';

const polling = { transports: ['polling'] };

/** GET over HTTPS trusting only `ca` (fetch cannot be given a CA); rejects when the certificate does not verify. */
function getOverTls(url: string, ca?: string, token?: string): Promise<{ status: number; body: any; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ...(ca ? { ca } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol(); // read now: the socket is gone by 'end'
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), protocol });
        } catch (err) {
          reject(err);
        }
      });
    });
    request.on('error', reject);
  });
}
const websocket = { transports: ['websocket'] };

/** deploy/nginx.conf, run by a real nginx in front of two instances on one Redis. */
describeWith('through nginx (deploy/nginx.conf)', nginxBinary(), 'nginx', (nginxPath) => {
  describeWith('two instances behind it', redisServerBinary(), 'redis-server', (redisPath) => {
    let redis: RedisServer | undefined;
    let cluster: Cluster | undefined;
    let nginx: RunningNginx | undefined;
    let url = '';

    beforeAll(async () => {
      redis = await startRedisServer(redisPath);
      cluster = await startCluster(redis.url, 2, { env: { TRUST_PROXY: 'loopback' } });
      nginx = await startNginx(nginxPath, [cluster.at(0).port, cluster.at(1).port]);
      url = nginx.url;
    });
    afterEach(() => closeSockets());
    afterAll(async () => {
      // Each step runs even if an earlier one failed: no nginx or redis-server outlives the file.
      await nginx?.kill();
      await cluster?.close();
      await redis?.kill();
    });

    async function pairThroughNginx(kiosk: Awaited<ReturnType<typeof connectSocket>>, clientName: string) {
      const arrives = nextEvent<{ code: string; requestedFrom: { ip: string } }>(kiosk, 'pairing:code');
      const requested = await postJson(`${url}/api/v1/pairing/code`, { clientName });
      expect(requested.status).toBe(202);
      const pushed = await arrives;
      const claimed = await postJson(`${url}/api/v1/pairing/claim`, { code: pushed.code, clientName });
      expect(claimed.status).toBe(201);
      return { tokens: claimed.body, pushed };
    }

    it('pairs through nginx with the kiosk on HTTP long-polling (sticky sessions)', async () => {
      const kiosk = await connectSocket(`${url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, polling);
      expect(kiosk.io.engine.transport.name).toBe('polling');
      const { tokens, pushed } = await pairThroughNginx(kiosk, 'phone via nginx');
      // TRUST_PROXY + the X-Forwarded-For nginx sets: the relay sees the client, not the proxy hop.
      expect(pushed.requestedFrom.ip).toBe('127.0.0.1');
      const me = await getJson(`${url}/api/v1/me`, tokens.token);
      expect(me.status).toBe(200);
      expect(me.body.clientName).toBe('phone via nginx');
      // Several polling round trips later the session is still alive on the same instance.
      expect(await emitAck(kiosk, 'grants:list')).toMatchObject({ ok: true, data: { grants: [expect.objectContaining({ id: tokens.grantId })] } });
    });

    it('carries a WebSocket dashboard and a polling dashboard, and revocation reaches both', async () => {
      const kiosk = await connectSocket(`${url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, websocket);
      const { tokens } = await pairThroughNginx(kiosk, 'tablet');
      const overWs = await connectSocket(url, { token: tokens.token }, websocket);
      const overPolling = await connectSocket(url, { token: tokens.token }, polling);
      expect(overWs.io.engine.transport.name).toBe('websocket');
      expect(overPolling.io.engine.transport.name).toBe('polling');
      const heard = [overWs, overPolling].map((s) => nextEvent(s, 'grant:revoked'));
      expect(await emitAck(kiosk, 'grant:revoke', { grantId: tokens.grantId })).toEqual({ ok: true, data: {} });
      for (const payload of await Promise.all(heard)) expect(payload).toEqual({ grantId: tokens.grantId });
      expect((await getJson(`${url}/api/v1/me`, tokens.token)).body.error.code).toBe('token_revoked');
    });

    it('passes JSON errors through unchanged', async () => {
      const res = await postJson(`${url}/api/v1/pairing/claim`, { code: 'nope' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect((await getJson(`${url}/no/such/route`)).body.error.code).toBe('not_found');
    });

    it('relays a device command through nginx, device and client both behind it', async () => {
      const kiosk = await connectSocket(`${url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, websocket);
      const { tokens } = await pairThroughNginx(kiosk, 'commander');
      // Registration is checked in the shared store through instance 0.
      const lamp = await connectDevice({ ...cluster!.at(0), url });
      const res = await command({ ...cluster!.at(0), url }, tokens.token, 'lamp-1', { action: 'turn_on' });
      expect(res.status).toBe(200);
      expect(res.body.device).toMatchObject({ id: 'lamp-1', online: true, state: { on: true } });
      expect(lamp.commands.map((c) => c.action)).toEqual(['turn_on']);
    });

    it('streams a QR login over SSE through nginx as it happens', async () => {
      const kiosk = await connectSocket(`${url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, websocket);
      const { tokens: phone } = await pairThroughNginx(kiosk, 'phone');
      const session = await createSession({ url });
      const stream = await openSse(sessionUrl({ url }, session.sessionId, '/events'));
      try {
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
        // Each event must arrive while the stream is still open. (Two guards keep nginx from holding
        // them: proxy_buffering off in the config and the relay's own X-Accel-Buffering: no.)
        await stream.next('CONNECT');
        await getJson(sessionUrl({ url }, session.scanId), phone.token);
        expect((await stream.next('SCANNED')).data.clientName).toBe('phone');
        expect((await postJson(sessionUrl({ url }, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
        const complete = await stream.next('COMPLETE');
        expect((await getJson(`${url}/api/v1/me`, complete.data.token)).status).toBe(200);
        await stream.ended;
      } finally {
        stream.close();
      }
    });

    it('serves HTTPS and WebSocket over TLS with the certificate it is given, and nothing to a client that cannot verify it', async () => {
      const health = await getOverTls(`${nginx!.tlsUrl}/healthz`, nginx!.ca);
      expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(['TLSv1.2', 'TLSv1.3']).toContain(health.protocol);
      await expect(getOverTls(`${nginx!.tlsUrl}/healthz`)).rejects.toThrow(/self[- ]signed|unable to verify/i);
      // The kiosk on wss:// through nginx gets the code requested over plain HTTP from another instance.
      const kiosk = await connectSocket(`${nginx!.tlsUrl}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, { ...websocket, ca: nginx!.ca });
      const { tokens } = await pairThroughNginx(kiosk, 'phone over TLS');
      expect((await getOverTls(`${nginx!.tlsUrl}/api/v1/me`, nginx!.ca, tokens.token)).body).toMatchObject({ clientName: 'phone over TLS' });
    });

    it('keeps serving when one instance goes away (nginx moves on; state is in Redis)', async () => {
      const kiosk = await connectSocket(`${url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, websocket);
      const { tokens } = await pairThroughNginx(kiosk, 'survivor');
      kiosk.close();
      await cluster!.at(0).close();
      for (let i = 0; i < 3; i++) {
        expect((await getJson(`${url}/readyz`)).status).toBe(200);
        expect((await getJson(`${url}/api/v1/me`, tokens.token)).status).toBe(200);
      }
    });
  });
});
