import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { closeSockets, connectKiosk, connectSocket, HUB_KEY, nextEvent, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
afterEach(async () => {
  closeSockets();
  await relay?.close();
  relay = undefined;
});

async function requestCode(r: TestRelay, kiosk: Awaited<ReturnType<typeof connectKiosk>>): Promise<string> {
  const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  const res = await postJson(`${r.url}/api/v1/pairing/code`, {});
  expect(res.status).toBe(202);
  return (await arrives).code;
}

const wrongFor = (code: string) => (code === '999999' ? '999998' : '999999');

describe('pairing rules', () => {
  it('lets exactly one of many concurrent right claims win', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off' } });
    const kiosk = await connectKiosk(relay);
    const code = await requestCode(relay, kiosk);
    const results = await Promise.all(Array.from({ length: 10 }, () => postJson(`${relay!.url}/api/v1/pairing/claim`, { code })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 201);
    expect(losers.every((r) => r.status === 401 && r.body.error.code === 'code_expired')).toBe(true);
  });

  it('burns the code on the last of concurrent wrong claims exactly once', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off' } });
    const kiosk = await connectKiosk(relay);
    const code = await requestCode(relay, kiosk);
    const results = await Promise.all(Array.from({ length: 8 }, () => postJson(`${relay!.url}/api/v1/pairing/claim`, { code: wrongFor(code) })));
    const codes = results.map((r) => r.body.error.code).sort();
    expect(codes.filter((c) => c === 'invalid_code')).toHaveLength(4);
    expect(codes.filter((c) => c === 'too_many_attempts')).toHaveLength(1);
    expect(codes.filter((c) => c === 'code_expired')).toHaveLength(3);
  });

  it('replaces the active code with a new request', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const first = await requestCode(relay, kiosk);
    const second = await requestCode(relay, kiosk);
    if (first !== second) {
      expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code: first })).body.error.code).toBe('invalid_code');
    }
    expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code: second })).status).toBe(201);
  });

  it('locks pairing for the home after repeated burns and tells the kiosk', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off', PAIRING_MAX_ATTEMPTS: '1', PAIRING_LOCK_AFTER: '3', PAIRING_LOCK_DURATION: '1h' } });
    const kiosk = await connectKiosk(relay);
    const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked');
    for (let burn = 1; burn <= 3; burn++) {
      const code = await requestCode(relay, kiosk);
      const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) });
      expect(res.body.error.code).toBe('too_many_attempts');
    }
    const { until } = await locked;
    // A kiosk that connects during the lock is told at once.
    const lateKiosk = connectClient(`${relay.url}/kiosk`, { auth: { serial: 'home-1', hubKey: HUB_KEY }, transports: ['websocket'], reconnection: false });
    try {
      expect(await nextEvent(lateKiosk, 'pairing:locked')).toEqual({ until });
    } finally {
      lateKiosk.close();
    }
    expect(Date.parse(until) - relay.clock.now()).toBe(3600_000);
    const refused = await postJson(`${relay.url}/api/v1/pairing/code`, {});
    expect(refused.status).toBe(423);
    expect(refused.body.error.code).toBe('pairing_locked');
    expect(Number(refused.headers.get('retry-after'))).toBe(3600);
    expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' })).status).toBe(423);
    (relay.clock as FakeClock).advance(3600_000);
    expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
  });

  it('does not lock for burns spread over more than an hour', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off', PAIRING_MAX_ATTEMPTS: '1', PAIRING_LOCK_AFTER: '2' } });
    const kiosk = await connectKiosk(relay);
    const code1 = await requestCode(relay, kiosk);
    await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code1) });
    (relay.clock as FakeClock).advance(3600_001);
    const code2 = await requestCode(relay, kiosk);
    await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code2) });
    expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
  });

  it('limits code requests and claims per IP, with Retry-After', async () => {
    relay = await startRelay({ env: { RATE_LIMIT_CODE_PER_MINUTE: '3', RATE_LIMIT_CLAIM_PER_MINUTE: '4' } });
    await connectKiosk(relay);
    for (let i = 0; i < 3; i++) expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
    const limited = await postJson(`${relay.url}/api/v1/pairing/code`, {});
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const claims = [];
    for (let i = 0; i < 5; i++) claims.push((await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '000000' })).status);
    expect(claims.slice(0, 4).every((s) => s !== 429)).toBe(true);
    expect(claims[4]).toBe(429);
    (relay.clock as FakeClock).advance(60_000);
    expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
  });

  it('switches per-IP limits off with RATE_LIMITS=off', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off', RATE_LIMIT_CODE_PER_MINUTE: '1' } });
    await connectKiosk(relay);
    for (let i = 0; i < 5; i++) expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
  });

  it('tells the kiosk when a code expires: moving the clock past PAIRING_CODE_TTL fires it, nothing sooner', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const expired: unknown[] = [];
    kiosk.on('pairing:expired', (e: unknown) => expired.push(e));
    const code = await requestCode(relay, kiosk);
    const clock = relay.clock as FakeClock;
    clock.advance(179_000);
    // The code is still alive a second before its end: a wrong guess is counted, not told "expired".
    expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) })).body.error.code).toBe('invalid_code');
    expect(expired).toEqual([]);
    const told = nextEvent(kiosk, 'pairing:expired');
    clock.advance(1_050);
    expect(await told).toEqual({ reason: 'expired' });
  });

  it('names the public dashboard URL in the code it pushes when PUBLIC_URL is set', async () => {
    relay = await startRelay({ env: { PUBLIC_URL: 'https://relay.example.org' } });
    const kiosk = await connectKiosk(relay);
    const arrives = nextEvent<{ dashboardUrl?: string }>(kiosk, 'pairing:code');
    await postJson(`${relay.url}/api/v1/pairing/code`, {});
    expect((await arrives).dashboardUrl).toBe('https://relay.example.org/');
  });

  it('serves the seed-compatible aliases', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    const asked = await fetch(`${relay.url}/auth/code`);
    expect(asked.status).toBe(200);
    expect(await asked.json()).toEqual({ success: true });
    const { code } = await arrives;
    const checked = await fetch(`${relay.url}/auth/codecheck`, { method: 'POST', headers: { code, serial: 'home-1' } });
    expect(checked.status).toBe(201);
    expect(await checked.json()).toMatchObject({ success: true, token: expect.any(String), tokenType: 'Bearer' });
    const bad = await fetch(`${relay.url}/auth/codecheck`, { method: 'POST', headers: { code: '12' } });
    expect(bad.status).toBe(400);
  });

  it('accepts the code in a header on the claim route', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const code = await requestCode(relay, kiosk);
    const res = await postJson(`${relay.url}/api/v1/pairing/claim`, {}, { code });
    expect(res.status).toBe(201);
  });

  it('refuses kiosk handshakes with a wrong key or an unknown home', async () => {
    relay = await startRelay();
    await expect(connectKiosk(relay, 'home-1', 'wrong-key')).rejects.toMatchObject({ message: 'invalid_hub_key', data: { code: 'invalid_hub_key' } });
    await expect(connectKiosk(relay, 'nope', HUB_KEY)).rejects.toMatchObject({ message: 'home_not_found' });
  });
});

describe('client addresses behind a proxy', () => {
  const openFrom = async (r: TestRelay) => {
    const kiosk = await connectSocket(`${r.url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, { extraHeaders: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } });
    const arrives = nextEvent<{ requestedFrom: { ip: string } }>(kiosk, 'pairing:code');
    kiosk.emit('pairing:open', {});
    return (await arrives).requestedFrom.ip;
  };

  it('ignores X-Forwarded-For unless TRUST_PROXY says so, and then trusts only the configured hops', async () => {
    relay = await startRelay();
    expect(await openFrom(relay)).toMatch(/127\.0\.0\.1/);
    await relay.close();
    closeSockets();
    relay = await startRelay({ env: { TRUST_PROXY: '1' } });
    // One trusted hop (the proxy on loopback): the client is the address that proxy saw, not the forgeable first entry.
    expect(await openFrom(relay)).toBe('198.51.100.7');
  });
});
