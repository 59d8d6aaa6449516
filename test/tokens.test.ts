import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import {
  connectDashboard,
  connectKiosk,
  emitAck,
  getJson,
  JWT_SECRET,
  nextEvent,
  pair,
  postJson,
  type TestRelay,
  useRelay,
} from './helpers/relay.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function del(url: string, token: string) {
  const res = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('access tokens, refresh tokens and grants', () => {
  const current = useRelay();
  let relay: TestRelay;
  beforeEach(() => {
    relay = current();
  });

  it('issues an HS256 JWT with the contract claims', async () => {
    const tokens = await pair(relay);
    const decoded = jwt.decode(tokens.token, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
    expect(decoded.header.alg).toBe('HS256');
    expect(decoded.payload).toMatchObject({ sub: tokens.grantId, api_serial: 'home-1', iss: 'home-relay', aud: 'home-relay-clients' });
    expect(decoded.payload.exp! - decoded.payload.iat!).toBe(30 * 3600);
    expect(typeof decoded.payload.jti).toBe('string');
  });

  it('answers missing and malformed credentials with 401 unauthorized', async () => {
    const missing = await getJson(`${relay.url}/api/v1/me`);
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('unauthorized');
    for (const header of ['Basic abc', 'Bearer', 'Bearer a b', 'token']) {
      const res = await fetch(`${relay.url}/api/v1/me`, { headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('unauthorized');
    }
  });

  it('rejects forged tokens: alg none, another secret, edited claims, wrong issuer, expired', async () => {
    const tokens = await pair(relay);
    const [header, payload, signature] = tokens.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const sign = (body: object, secret = JWT_SECRET, alg = 'HS256') => {
      const h = b64({ alg, typ: 'JWT' });
      const p = b64(body);
      const s = createHmac(alg === 'HS512' ? 'sha512' : 'sha256', secret).update(`${h}.${p}`).digest('base64url');
      return `${h}.${p}.${s}`;
    };
    const forgeries = {
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      otherSecret: sign(claims, 'another-secret-another-secret-another'),
      editedClaims: `${header}.${b64({ ...claims, api_serial: 'home-2' })}.${signature}`,
      hs512: sign(claims, JWT_SECRET, 'HS512'),
      wrongIssuer: sign({ ...claims, iss: 'someone-else' }),
      wrongAudience: sign({ ...claims, aud: 'someone-else' }),
      garbage: 'abc.def.ghi',
    };
    for (const [name, token] of Object.entries(forgeries)) {
      const res = await fetch(`${relay.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, name).toBe(401);
      expect((await res.json()).error.code, name).toBe('invalid_token');
      // Exactly API.md's header value.
      expect(res.headers.get('www-authenticate'), name).toBe('Bearer error="invalid_token"');
    }
    (relay.clock as FakeClock).advance(30 * 3600 * 1000 + 1000);
    const expired = await getJson(`${relay.url}/api/v1/me`, tokens.token);
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('invalid_token');
  });

  it('rotates refresh tokens and revokes the grant when an old one is replayed', async () => {
    const first = await pair(relay);
    const second = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: first.refreshToken });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ success: true, tokenType: 'Bearer', grantId: first.grantId, serial: 'home-1' });
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await getJson(`${relay.url}/api/v1/me`, second.body.token)).status).toBe(200);

    const replay = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: first.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('token_revoked');
    expect(replay.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    for (const token of [first.token, second.body.token]) {
      const me = await getJson(`${relay.url}/api/v1/me`, token);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('token_revoked');
    }
    const afterRevoke = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: second.body.refreshToken });
    expect(afterRevoke.body.error.code).toBe('token_revoked');
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const unknown = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: 'x'.repeat(43) });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_token');
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const tokens = await pair(relay);
    (relay.clock as FakeClock).advance(31 * 24 * 3600 * 1000);
    const expired = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: tokens.refreshToken });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('invalid_token');
    const bad = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: 5 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('www-authenticate')).toBeNull();
  });

  it('lists grants with the current one marked, and revokes within the home only', async () => {
    const kiosk = await connectKiosk(relay);
    const alice = await pair(relay, { kiosk, clientName: 'Alice' });
    const bob = await pair(relay, { kiosk, clientName: 'Bob' });
    const list = await getJson(`${relay.url}/api/v1/grants`, alice.token);
    expect(list.status).toBe(200);
    expect(list.body.grants).toEqual([
      expect.objectContaining({ id: alice.grantId, clientName: 'Alice', method: 'code', current: true, ip: expect.any(String) }),
      expect.objectContaining({ id: bob.grantId, clientName: 'Bob', method: 'code', current: false }),
    ]);

    const dashboard = await connectDashboard(relay, bob.token);
    const told = nextEvent(dashboard, 'grant:revoked');
    const dropped = nextEvent(dashboard, 'disconnect');
    const kioskTold = nextEvent(kiosk, 'grant:revoked');
    expect((await del(`${relay.url}/api/v1/grants/${bob.grantId}`, alice.token)).status).toBe(204);
    expect(await told).toEqual({ grantId: bob.grantId });
    expect(await dropped).toBe('io server disconnect');
    expect(await kioskTold).toEqual({ grantId: bob.grantId });
    const me = await getJson(`${relay.url}/api/v1/me`, bob.token);
    expect(me.body.error.code).toBe('token_revoked');
    expect(me.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await del(`${relay.url}/api/v1/grants/${bob.grantId}`, alice.token)).body.error.code).toBe('grant_not_found');

    await relay.server.services.homes.add('home-2');
    const key2 = await relay.server.services.homes.rotateKey('home-2');
    const carol = await pair(relay, { serial: 'home-2', hubKey: key2, clientName: 'Carol' });
    const crossHome = await del(`${relay.url}/api/v1/grants/${carol.grantId}`, alice.token);
    expect(crossHome.status).toBe(404);
    expect(crossHome.body.error.code).toBe('grant_not_found');
    expect((await getJson(`${relay.url}/api/v1/me`, carol.token)).status).toBe(200);
  });

  it('lists and revokes grants from the kiosk', async () => {
    const kiosk = await connectKiosk(relay);
    const alice = await pair(relay, { kiosk, clientName: 'Alice' });
    const listed = await emitAck(kiosk, 'grants:list');
    expect(listed.ok).toBe(true);
    expect(listed.data.grants.map((g: { id: string }) => g.id)).toEqual([alice.grantId]);
    expect(await emitAck(kiosk, 'grant:revoke', { grantId: alice.grantId })).toEqual({ ok: true, data: {} });
    expect((await getJson(`${relay.url}/api/v1/me`, alice.token)).body.error.code).toBe('token_revoked');
    expect(await emitAck(kiosk, 'grant:revoke', { grantId: alice.grantId })).toMatchObject({ ok: false, error: { code: 'grant_not_found' } });
    expect(await emitAck(kiosk, 'grant:revoke', { grantId: 7 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('refuses dashboard sockets without a valid live token', async () => {
    await expect(connectDashboard(relay, '')).rejects.toMatchObject({ message: 'unauthorized', data: { code: 'unauthorized' } });
    await expect(connectDashboard(relay, 'a.b.c')).rejects.toMatchObject({ message: 'invalid_token' });
    const tokens = await pair(relay);
    await del(`${relay.url}/api/v1/grants/${tokens.grantId}`, tokens.token);
    await expect(connectDashboard(relay, tokens.token)).rejects.toMatchObject({ message: 'token_revoked' });
  });
});

describe('short-lived access tokens', () => {
  const current = useRelay({ env: { ACCESS_TOKEN_TTL: '2s' } });

  it('disconnects a dashboard socket when its token expires', async () => {
    const relay = current();
    const tokens = await pair(relay);
    const dashboard = await connectDashboard(relay, tokens.token);
    const expiredEvent = nextEvent(dashboard, 'token:expired', 5000);
    const dropped = nextEvent(dashboard, 'disconnect', 5000);
    (relay.clock as FakeClock).advance(2000);
    await expiredEvent;
    expect(await dropped).toBe('io server disconnect');
  });
});
