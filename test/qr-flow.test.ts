import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { getJson, pair, postJson, useRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

describe.each(['memory', 'sqlite'])('QR login over Server-Sent Events (%s store)', (store) => {
  const current = useRelay({ env: { STORE: store, ALLOWED_HOSTS: '127.0.0.1' } });

  it('creates a session with two different 128-bit ids; only the scan id is in the QR link', async () => {
    const relay = current();
    const res = await postJson(`${relay.url}/api/v1/qr/sessions`, {});
    expect(res.status).toBe(201);
    const { sessionId, scanId, expiresAt, approveUrl, qrSvgUrl } = res.body;
    for (const id of [sessionId, scanId]) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(Buffer.from(id, 'base64url').length).toBeGreaterThanOrEqual(16);
    }
    expect(scanId).not.toBe(sessionId);
    expect(Date.parse(expiresAt) - relay.clock.now()).toBe(185_000);
    // ALLOWED_HOSTS lists 127.0.0.1, so the request's Host is believed.
    expect(approveUrl).toBe(`${relay.url}/?approve=${scanId}`);
    expect(approveUrl).not.toContain(sessionId);
    expect(qrSvgUrl).toBe(`${relay.url}/api/v1/qr/sessions/${sessionId}/qr.svg`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const other = await createSession(relay);
    expect(other.sessionId).not.toBe(sessionId);
  });

  it('runs the whole flow: CONNECT, SCANNED, COMPLETE with tokens for a new qr grant', async () => {
    const relay = current();
    const phone = await pair(relay, { clientName: 'Alice phone' });
    const session = await createSession(relay, { clientName: 'Office laptop' }, { 'user-agent': 'Firefox/140' });
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    const connect = await stream.next('CONNECT');
    expect(connect).toMatchObject({ id: '1', data: { expiresAt: session.expiresAt } });

    const looked = await getJson(sessionUrl(relay, session.scanId), phone.token);
    expect(looked.status).toBe(200);
    expect(looked.body).toEqual({
      scanId: session.scanId,
      status: 'scanned',
      requestedFrom: { ip: expect.any(String), userAgent: 'Firefox/140' },
      clientName: 'Office laptop',
      createdAt: expect.any(String),
      expiresAt: session.expiresAt,
    });
    expect(await stream.next('SCANNED')).toMatchObject({ id: '2', data: { clientName: 'Alice phone' } });

    const approved = await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    expect(approved).toMatchObject({ status: 200, body: { success: true } });
    const complete = await stream.next('COMPLETE');
    expect(complete.id).toBe('3');
    expect(complete.data).toMatchObject({ success: true, tokenType: 'Bearer', expiresIn: 30 * 3600, serial: 'home-1' });
    expect(complete.data.grantId).not.toBe(phone.grantId);
    await stream.ended;

    const me = await getJson(`${relay.url}/api/v1/me`, complete.data.token);
    expect(me.body).toMatchObject({ grantId: complete.data.grantId, serial: 'home-1', clientName: 'Office laptop' });
    const grants = await getJson(`${relay.url}/api/v1/grants`, complete.data.token);
    expect(grants.body.grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: complete.data.grantId, method: 'qr', current: true, clientName: 'Office laptop' }),
        expect.objectContaining({ id: phone.grantId, method: 'code', current: false }),
      ]),
    );
    // The approver keeps its own grant and token.
    expect((await getJson(`${relay.url}/api/v1/me`, phone.token)).body.grantId).toBe(phone.grantId);
    // The refresh token of the new grant works too.
    expect((await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: complete.data.refreshToken })).status).toBe(200);
  });

  it('denies: FAIL denied, the stream ends, no grant is made', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    expect((await postJson(sessionUrl(relay, session.scanId, '/deny'), {}, bearer(phone.token))).body).toEqual({ success: true });
    expect((await stream.next('FAIL')).data).toEqual({ reason: 'denied' });
    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(['CONNECT', 'SCANNED', 'FAIL']);
    const grants = await getJson(`${relay.url}/api/v1/grants`, phone.token);
    expect(grants.body.grants).toHaveLength(1);
    const again = await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('session_completed');
  });

  it('delivers an approval made before the stream was opened', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    const complete = await stream.next('COMPLETE');
    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(['CONNECT', 'SCANNED', 'COMPLETE']);
    expect((await getJson(`${relay.url}/api/v1/me`, complete.data.token)).status).toBe(200);
  });

  it('resumes after a reconnect with Last-Event-ID, and refuses every stream after delivery with 409', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    const first = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await first.next('CONNECT');
    await getJson(sessionUrl(relay, session.scanId), phone.token);
    const scanned = await first.next('SCANNED');
    first.close();
    await first.ended;

    await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    const second = await openSse(sessionUrl(relay, session.sessionId, '/events'), { lastEventId: scanned.id! });
    const complete = await second.next('COMPLETE');
    await second.ended;
    expect(second.events.map((e) => [e.event, e.id])).toEqual([
      ['CONNECT', '2'],
      ['COMPLETE', '3'],
    ]);
    expect(complete.data.serial).toBe('home-1');

    // The replay: whoever opens the stream again, with any Last-Event-ID or none, gets no tokens.
    for (const lastEventId of [undefined, '3', '2', 'bogus']) {
      const again = await fetch(sessionUrl(relay, session.sessionId, '/events'), { headers: lastEventId ? { 'last-event-id': lastEventId } : {} });
      expect(again.status).toBe(409);
      expect((await again.json()).error.code).toBe('session_completed');
    }
  });

  it('tells a client that already saw a denial to stop (204)', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    await postJson(sessionUrl(relay, session.scanId, '/deny'), {}, bearer(phone.token));
    const done = await fetch(sessionUrl(relay, session.sessionId, '/events'), { headers: { 'last-event-id': '3' } });
    expect(done.status).toBe(204);
  });

  it('lets exactly one of several concurrent approvals win', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        postJson(sessionUrl(relay, session.scanId, i % 2 ? '/approve' : '/deny'), {}, bearer(phone.token)),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('session_completed');
    }
    const grants = await getJson(`${relay.url}/api/v1/grants`, phone.token);
    expect(grants.body.grants.filter((g: { method: string }) => g.method === 'qr').length).toBeLessThanOrEqual(1);
  });

  it("creates the grant in the approver's home", async () => {
    const relay = current();
    await relay.server.services.homes.add('home-2');
    const key2 = await relay.server.services.homes.rotateKey('home-2');
    const phone1 = await pair(relay, { serial: 'home-1' });
    const phone2 = await pair(relay, { serial: 'home-2', hubKey: key2 });
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await postJson(sessionUrl(relay, session.scanId, '/approve'), { clientName: 'Guest tablet' }, bearer(phone2.token));
    const complete = await stream.next('COMPLETE');
    expect(complete.data.serial).toBe('home-2');
    expect((await getJson(`${relay.url}/api/v1/me`, complete.data.token)).body).toMatchObject({ serial: 'home-2', clientName: 'Guest tablet' });
    const home2 = await getJson(`${relay.url}/api/v1/grants`, phone2.token);
    expect(home2.body.grants.map((g: { id: string }) => g.id)).toContain(complete.data.grantId);
    const home1 = await getJson(`${relay.url}/api/v1/grants`, phone1.token);
    expect(home1.body.grants.map((g: { id: string }) => g.id)).not.toContain(complete.data.grantId);
  });

  it('serves the approve link as an SVG QR code', async () => {
    const relay = current();
    const session = await createSession(relay);
    const res = await fetch(session.qrSvgUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toBe(await QRCode.toString(session.approveUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
  });

  it('answers 404 session_not_found on every route for unknown or malformed ids', async () => {
    const relay = current();
    const phone = await pair(relay);
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'short', 'bad%20id%0A']) {
      const checks = [
        await getJson(sessionUrl(relay, id, '/events')),
        await getJson(sessionUrl(relay, id, '/qr.svg')),
        await getJson(sessionUrl(relay, id), phone.token),
        await postJson(sessionUrl(relay, id, '/approve'), {}, bearer(phone.token)),
        await postJson(sessionUrl(relay, id, '/deny'), {}, bearer(phone.token)),
      ];
      for (const res of checks) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: { code: 'session_not_found', message: expect.any(String) } });
      }
    }
  });

  it('requires a bearer token to look at, approve or deny a session', async () => {
    const relay = current();
    const session = await createSession(relay);
    expect((await getJson(sessionUrl(relay, session.scanId))).status).toBe(401);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {})).body.error.code).toBe('unauthorized');
    expect((await postJson(sessionUrl(relay, session.scanId, '/deny'), {}, bearer('nope.nope.nope'))).body.error.code).toBe('invalid_token');
  });

  it('validates bodies', async () => {
    const relay = current();
    const phone = await pair(relay);
    expect((await postJson(`${relay.url}/api/v1/qr/sessions`, { serial: 'x' })).status).toBe(400);
    expect((await postJson(`${relay.url}/api/v1/qr/sessions`, { clientName: 42 })).body.error.code).toBe('invalid_request');
    const session = await createSession(relay);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), { extra: true }, bearer(phone.token))).status).toBe(400);
    // A session survives a malformed approval.
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
  });
});
