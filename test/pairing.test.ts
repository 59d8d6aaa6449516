import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import {
  connectDashboard,
  connectKiosk,
  emitAck,
  getJson,
  nextEvent,
  pair,
  postJson,
  type TestRelay,
  useRelay,
} from './helpers/relay.ts';

describe('pairing with a six-digit code', () => {
  const current = useRelay();
  let relay: TestRelay;
  beforeEach(() => {
    relay = current();
  });

  it('pushes the code only to the kiosk and never returns it', async () => {
    const kiosk = await connectKiosk(relay);
    const codeArrives = nextEvent(kiosk, 'pairing:code');
    const res = await postJson(`${relay.url}/api/v1/pairing/code`, { clientName: 'Alice phone' }, { 'user-agent': 'curl/8' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ serial: 'home-1', expiresAt: expect.any(String), ttlSeconds: 180 });
    expect(JSON.stringify(res.body)).not.toMatch(/\d{6}/);
    const pushed = await codeArrives;
    expect(pushed.code).toMatch(/^\d{6}$/);
    expect(pushed).toMatchObject({ ttlSeconds: 180, clientName: 'Alice phone', requestedFrom: { ip: expect.any(String), userAgent: 'curl/8' } });
    expect(Date.parse(pushed.expiresAt)).toBe(Date.parse(res.body.expiresAt));
  });

  it('claims a code once and returns a working token pair', async () => {
    const kiosk = await connectKiosk(relay);
    const claimedEvent = nextEvent(kiosk, 'pairing:claimed');
    const tokens = await pair(relay, { kiosk, clientName: 'Alice phone' });
    expect(tokens).toMatchObject({ success: true, tokenType: 'Bearer', expiresIn: 30 * 3600, serial: 'home-1' });
    expect(tokens.refreshToken.length).toBeGreaterThanOrEqual(22);
    expect(await claimedEvent).toEqual({ grantId: tokens.grantId, clientName: 'Alice phone' });
    const me = await getJson(`${relay.url}/api/v1/me`, tokens.token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ grantId: tokens.grantId, serial: 'home-1', clientName: 'Alice phone' });
  });

  it('refuses a code request when no kiosk is connected', async () => {
    const res = await postJson(`${relay.url}/api/v1/pairing/code`, {});
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('kiosk_offline');
  });

  it('rejects unknown homes and malformed codes', async () => {
    expect((await postJson(`${relay.url}/api/v1/pairing/code`, { serial: 'nope' })).body.error.code).toBe('home_not_found');
    for (const code of ['12345', '1234567', 'abcdef', 123456, '']) {
      const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('counts wrong attempts, burns the code and then reports it expired', async () => {
    const kiosk = await connectKiosk(relay);
    const codeArrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    await postJson(`${relay.url}/api/v1/pairing/code`, {});
    const { code } = await codeArrives;
    const wrong = code === '000000' ? '000001' : '000000';
    for (let left = 4; left >= 1; left--) {
      const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrong });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'invalid_code', details: { attemptsLeft: left } });
    }
    const burned = nextEvent(kiosk, 'pairing:burned');
    const last = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrong });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('too_many_attempts');
    await burned;
    const after = await postJson(`${relay.url}/api/v1/pairing/claim`, { code });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('code_expired');
  });

  it('expires a code by the clock', async () => {
    const kiosk = await connectKiosk(relay);
    const codeArrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    await postJson(`${relay.url}/api/v1/pairing/code`, {});
    const { code } = await codeArrives;
    (relay.clock as FakeClock).advance(181_000);
    const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('code_expired');
  });

  it('never shows the code to a dashboard or to another home', async () => {
    await relay.server.services.homes.add('home-2');
    const key2 = await relay.server.services.homes.rotateKey('home-2');
    const tokens = await pair(relay);
    const kiosk = await connectKiosk(relay);
    const otherKiosk = await connectKiosk(relay, 'home-2', key2);
    const dashboard = await connectDashboard(relay, tokens.token);
    const seen: string[] = [];
    for (const [name, s] of [['other kiosk', otherKiosk], ['dashboard', dashboard]] as const) s.onAny((event) => seen.push(`${name}:${event}`));
    const codeArrives = nextEvent(kiosk, 'pairing:code');
    await postJson(`${relay.url}/api/v1/pairing/code`, { serial: 'home-1' });
    await codeArrives;
    // One round trip on each socket: whatever the code's single emit sent them arrives before the answer.
    await emitAck(otherKiosk, 'grants:list');
    await emitAck(dashboard, 'devices:list');
    expect(seen).toEqual([]);
  });

  it('opens and cancels a code from the kiosk', async () => {
    const kiosk = await connectKiosk(relay);
    const codeArrives = nextEvent(kiosk, 'pairing:code');
    const opened = await emitAck(kiosk, 'pairing:open');
    expect(opened).toEqual({ ok: true, data: { expiresAt: expect.any(String), ttlSeconds: 180 } });
    const { code } = await codeArrives;
    const cleared = nextEvent(kiosk, 'pairing:expired');
    expect(await emitAck(kiosk, 'pairing:cancel')).toEqual({ ok: true, data: {} });
    await cleared;
    const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code });
    expect(res.body.error.code).toBe('code_expired');
  });
});
