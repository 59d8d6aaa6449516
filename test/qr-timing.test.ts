import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeClock, systemClock } from '../src/clock.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { closeSockets, getJson, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

/** Status, headers and the first chunk of a response, read with node:http so no header is hidden. */
function rawHead(url: string): Promise<{ status: number; headers: Record<string, unknown>; firstChunk: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.once('data', (chunk: Buffer) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, firstChunk: chunk.toString() });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('QR streams over time', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });

  it('sends the SSE headers and a retry line first', async () => {
    relay = await startRelay();
    const session = await createSession(relay);
    const head = await rawHead(sessionUrl(relay, session.sessionId, '/events'));
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    // The stream delivers tokens: no cache may keep it; no-transform keeps proxies from buffering it.
    expect(head.headers['cache-control']).toBe('no-store, no-transform');
    expect(head.headers.connection).toBe('keep-alive');
    expect(head.headers['x-accel-buffering']).toBe('no');
    expect(head.firstChunk).toMatch(/^retry: \d+\n\n/);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    expect(stream.retry).toBe(3000);
    stream.close();
  });

  it('answers the events route\'s refusals with Cache-Control: no-store too', async () => {
    relay = await startRelay();
    const unknown = sessionUrl(relay, 'q'.repeat(22), '/events');
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(unknown, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('pings every QR_PING_INTERVAL without moving the event id', async () => {
    relay = await startRelay({ env: { QR_PING_INTERVAL: '1' } });
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    const ping = await stream.next('ping', 2500);
    expect(ping.id).toBeUndefined();
    stream.close();
  });

  it('fails an open stream with "expired" when the clock passes the TTL, then forgets the session', async () => {
    // The default ping (10 s) is longer than the wait below: the clock's own expiry timer must end the stream.
    relay = await startRelay();
    const phone = await pair(relay);
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    (relay.clock as FakeClock).advance(185_001);
    expect((await stream.next('FAIL', 3000)).data).toEqual({ reason: 'expired' });
    await stream.ended;
    expect((await getJson(sessionUrl(relay, session.sessionId, '/events'))).body.error.code).toBe('session_not_found');
    expect((await getJson(sessionUrl(relay, session.scanId), phone.token)).status).toBe(404);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(404);
  });

  it('expires by real time with a short QR_SESSION_TTL', async () => {
    relay = await startRelay({ clock: systemClock, env: { QR_SESSION_TTL: '1' } });
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    const started = Date.now();
    expect((await stream.next('FAIL', 3000)).data).toEqual({ reason: 'expired' });
    expect(Date.now() - started).toBeLessThan(2000);
    await stream.ended;
  });

  it('limits session creation per IP with 429 and Retry-After', async () => {
    relay = await startRelay({ env: { RATE_LIMIT_QR_PER_MINUTE: '3' } });
    for (let i = 0; i < 3; i++) expect((await postJson(`${relay.url}/api/v1/qr/sessions`, {})).status).toBe(201);
    const limited = await postJson(`${relay.url}/api/v1/qr/sessions`, {});
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('builds the links from PUBLIC_URL when it is set', async () => {
    relay = await startRelay({ env: { PUBLIC_URL: 'https://home.example.org/' } });
    const session = await createSession(relay);
    expect(session.approveUrl).toBe(`https://home.example.org/?approve=${session.scanId}`);
    expect(session.qrSvgUrl).toBe(`https://home.example.org/api/v1/qr/sessions/${session.sessionId}/qr.svg`);
  });

  it('ends open streams promptly when the server closes', async () => {
    relay = await startRelay();
    const sessions = await Promise.all(Array.from({ length: 3 }, () => createSession(relay!)));
    const streams = await Promise.all(
      [...sessions, ...sessions.slice(0, 2)].map((session) => openSse(sessionUrl(relay!, session.sessionId, '/events'))),
    );
    await Promise.all(streams.map((s) => s.next('CONNECT')));
    const started = Date.now();
    await relay.close();
    relay = undefined;
    await Promise.all(streams.map((s) => s.ended));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
