import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { bearer, createSession, createSessionAs, sessionUrl } from './helpers/qr.ts';
import { connectDashboard, emitAck, getJson, pair, postJson, useRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

/** A browser's key pair, as the dashboard page makes it (P-256 ECDH); the public half as a JWK. */
async function browserKey() {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256' });
  return { privateKey, jwk: await exportJWK(publicKey) };
}

describe.each(['memory', 'sqlite'])('QR login attacks (%s store)', (store) => {
  const current = useRelay({ env: { STORE: store } });

  it('the photograph: a stream opened with the id from approveUrl gets 404 and never a token', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    const photographed = new URL(session.approveUrl).searchParams.get('approve')!;
    expect(photographed).toBe(session.scanId);
    const attacker = await fetch(sessionUrl(relay, photographed, '/events'));
    expect(attacker.status).toBe(404);
    expect((await attacker.json()).error.code).toBe('session_not_found');
    expect((await fetch(sessionUrl(relay, photographed, '/qr.svg'))).status).toBe(404);

    const victim = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await victim.next('CONNECT');
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    expect((await victim.next('COMPLETE')).data.token).toEqual(expect.any(String));
    // After approval the photographed id still opens nothing.
    expect((await fetch(sessionUrl(relay, photographed, '/events'))).status).toBe(404);
  });

  it('approver routes and socket events answer 404 for a session id', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay);
    for (const res of [
      await getJson(sessionUrl(relay, session.sessionId), phone.token),
      await postJson(sessionUrl(relay, session.sessionId, '/approve'), {}, bearer(phone.token)),
      await postJson(sessionUrl(relay, session.sessionId, '/deny'), {}, bearer(phone.token)),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('session_not_found');
    }
    const socket = await connectDashboard(relay, phone.token);
    for (const event of ['qr:get', 'qr:approve', 'qr:deny']) {
      expect(await emitAck(socket, event, { scanId: session.sessionId })).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    }
  });

  it('a third concurrent stream is refused 429 rate_limited; a freed slot can be reused', async () => {
    const relay = current();
    const session = await createSession(relay);
    const url = sessionUrl(relay, session.sessionId, '/events');
    const [one, two] = await Promise.all([openSse(url), openSse(url)]);
    await Promise.all([one.next('CONNECT'), two.next('CONNECT')]);
    const third = await fetch(url);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await third.json()).error.code).toBe('rate_limited');
    one.close();
    await one.ended;
    // The slot is released when the client leaves (the server notices the closed socket).
    let reopened: Awaited<ReturnType<typeof openSse>> | undefined;
    for (let i = 0; i < 50 && !reopened; i++) {
      reopened = await openSse(url).catch(() => undefined);
      if (!reopened) await new Promise((r) => setTimeout(r, 50));
    }
    expect(reopened).toBeDefined();
    await reopened!.next('CONNECT');
  });

  it('the eavesdropper: a second stream on the same session sees at most ciphertext, and only one stream gets COMPLETE', async () => {
    const relay = current();
    const phone = await pair(relay);
    const { privateKey, jwk } = await browserKey();
    const session = await createSession(relay, { publicKey: jwk });
    expect(session.keyFingerprint).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect((await getJson(sessionUrl(relay, session.scanId), phone.token)).body.keyFingerprint).toBe(session.keyFingerprint);

    const browser = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    const eavesdropper = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await Promise.all([browser.next('CONNECT'), eavesdropper.next('CONNECT')]);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    await Promise.all([browser.ended, eavesdropper.ended]);

    const completes = [browser, eavesdropper].flatMap((s) => s.events.filter((e) => e.event === 'COMPLETE'));
    expect(completes).toHaveLength(1);
    const { sealed } = completes[0]!.data;
    expect(Object.keys(completes[0]!.data)).toEqual(['sealed']);
    expect(decodeProtectedHeader(sealed)).toMatchObject({ alg: 'ECDH-ES', enc: 'A256GCM', epk: { kty: 'EC', crv: 'P-256' } });
    // Whoever got it, without the private key it is noise: another key fails to open it.
    const stranger = await browserKey();
    const { privateKey: otherKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256' });
    await expect(compactDecrypt(sealed, otherKey)).rejects.toThrow();
    expect(stranger.jwk).not.toEqual(jwk);
    // The browser's own key opens it, and the tokens inside work.
    const tokens = JSON.parse(new TextDecoder().decode((await compactDecrypt(sealed, privateKey)).plaintext));
    expect(tokens).toMatchObject({ success: true, tokenType: 'Bearer', serial: 'home-1' });
    expect(sealed).not.toContain(tokens.token);
    expect((await getJson(`${relay.url}/api/v1/me`, tokens.token)).status).toBe(200);
    // And once delivered, nobody gets it again.
    expect((await fetch(sessionUrl(relay, session.sessionId, '/events'))).status).toBe(409);
  });

  it('refuses a publicKey that is private, of another curve or not on the curve', async () => {
    const relay = current();
    const { jwk } = await browserKey();
    const { privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
    const withD = await exportJWK(privateKey);
    const x384 = (await exportJWK((await generateKeyPair('ECDH-ES', { crv: 'P-384' })).publicKey));
    const offCurve = { ...jwk, y: jwk.x };
    for (const publicKey of [withD, x384, offCurve, { ...jwk, kty: 'OKP' }, 'key', { kty: 'EC' }]) {
      const res = await postJson(`${relay.url}/api/v1/qr/sessions`, { publicKey });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('an approval whose approver is revoked before delivery mints nothing: FAIL denied', async () => {
    const relay = current();
    const phone = await pair(relay);
    const other = await pair(relay);
    const session = await createSession(relay);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const revoked = await fetch(`${relay.url}/api/v1/grants/${phone.grantId}`, { method: 'DELETE', headers: bearer(other.token) });
    expect(revoked.status).toBe(204);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    expect((await stream.next('FAIL')).data).toEqual({ reason: 'denied' });
    await stream.ended;
    expect(stream.events.some((e) => e.event === 'COMPLETE')).toBe(false);
    const grants = await getJson(`${relay.url}/api/v1/grants`, other.token);
    expect(grants.body.grants.filter((g: { method: string }) => g.method === 'qr')).toEqual([]);
  });

  it('answers 400 invalid_request for an undecodable session id in the path', async () => {
    const relay = current();
    const res = await fetch(`${relay.url}/api/v1/qr/sessions/%E0%A4%A/events`);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
  });
});

describe('QR link origin', () => {
  const current = useRelay();

  it('never builds links from an arbitrary Host header', async () => {
    const relay = current();
    const session = await createSessionAs(relay, 'evil.example');
    expect(new URL(session.approveUrl).origin).toBe(`http://localhost:${relay.port}`);
    expect(new URL(session.qrSvgUrl).origin).toBe(`http://localhost:${relay.port}`);
  });
});

describe('QR link origin with ALLOWED_HOSTS', () => {
  const current = useRelay({ env: { ALLOWED_HOSTS: 'home.example.org, relay.lan:8443' } });

  it('believes a listed Host (any port for a bare host, the given port otherwise) and nothing else', async () => {
    const relay = current();
    expect(new URL((await createSessionAs(relay, 'home.example.org:3000')).approveUrl).host).toBe('home.example.org:3000');
    expect(new URL((await createSessionAs(relay, 'relay.lan:8443')).approveUrl).host).toBe('relay.lan:8443');
    expect(new URL((await createSessionAs(relay, 'relay.lan:9999')).approveUrl).host).toBe(`localhost:${relay.port}`);
    expect(new URL((await createSessionAs(relay, 'evil.example')).approveUrl).host).toBe(`localhost:${relay.port}`);
  });
});
