import { describe, expect, it } from 'vitest';
import { qrFeature, type QrFeature } from '../src/features/qr.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { getJson, pair, postJson, useRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

/**
 * Express answers HEAD with a route's GET handler. For the events route that handler claims a
 * stream slot and, after an approval, mints and "delivers" the tokens into a response that has no
 * body: the browser's real stream then got 409 and the login was lost. A HEAD only looks.
 */
describe('HEAD on the QR events route', () => {
  let qr: QrFeature;
  const current = useRelay({ features: [(context) => (qr = qrFeature(context))], env: { RATE_LIMITS: 'off' } });
  const head = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'HEAD', headers });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };

  it('after an approval, leaves the result to the GET that follows: COMPLETE with working tokens', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const url = sessionUrl(relay, session.sessionId, '/events');

    const looked = await head(url);
    expect(looked.status).toBe(200);
    expect(looked.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(looked.body).toBe('');
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
    // Nothing was minted: the approver's grant is still the home's only one.
    expect((await getJson(`${relay.url}/api/v1/grants`, phone.token)).body.grants).toHaveLength(1);

    const stream = await openSse(url);
    const complete = await stream.next('COMPLETE');
    expect(complete.data).toMatchObject({ success: true, serial: 'home-1' });
    expect((await getJson(`${relay.url}/api/v1/me`, complete.data.token)).body.grantId).toBe(complete.data.grantId);
  });

  it('answers 404 session_not_found for a scan id or an unknown id, 409 session_completed once delivered', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    for (const id of [session.scanId, 'AAAAAAAAAAAAAAAAAAAAAA', 'not%20an%20id']) {
      const res = await head(sessionUrl(relay, id, '/events'));
      expect(res.status).toBe(404);
      expect(res.body).toBe('');
    }
    await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    const url = sessionUrl(relay, session.sessionId, '/events');
    const stream = await openSse(url);
    await stream.next('COMPLETE');
    await stream.ended;
    const after = await head(url);
    expect(after.status).toBe(409);
    expect(after.body).toBe('');
    // The GET it mirrors says the same.
    expect((await getJson(url)).body.error.code).toBe('session_completed');
  });

  it('answers 204 like the GET when Last-Event-ID shows the client has the outcome', async () => {
    const relay = current();
    const session = await createSession(relay);
    expect((await head(sessionUrl(relay, session.sessionId, '/events'), { 'last-event-id': '3' })).status).toBe(204);
  });

  it('never takes one of the two stream slots', async () => {
    const relay = current();
    const session = await createSession(relay);
    const url = sessionUrl(relay, session.sessionId, '/events');
    for (let i = 0; i < 3; i++) expect((await head(url)).status).toBe(200);
    expect(qr.liveStreams().streams).toBe(0);
    const [one, two] = await Promise.all([openSse(url), openSse(url)]);
    await Promise.all([one.next('CONNECT'), two.next('CONNECT')]);
    expect(qr.liveStreams().streams).toBe(2);
    // With both slots taken, HEAD says what a third GET would get, and takes nothing itself.
    const full = await head(url);
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(qr.liveStreams().streams).toBe(2);
  });
});
