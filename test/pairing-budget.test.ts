import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { budgetKeyOf } from '../src/pairing/budget.ts';
import {
  closeSockets,
  connectKiosk,
  emitAck,
  nextEvent,
  pair,
  postJson,
  startRelay,
  type StartOptions,
  tempDir,
  type TestRelay,
} from './helpers/relay.ts';

type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;

const HOUR = 3_600_000;

let relays: TestRelay[] = [];
afterEach(async () => {
  closeSockets();
  await Promise.all(relays.map((r) => r.close()));
  relays = [];
});

/** The store the current describe.each runs on (the durable SQLite default, or memory). */
let storeKind = 'memory';

async function start(options: StartOptions = {}): Promise<TestRelay> {
  const relay = await startRelay({ ...options, env: { RATE_LIMITS: 'off', STORE: storeKind, ...options.env } });
  relays.push(relay);
  return relay;
}

const wrongFor = (code: string | undefined) => (code === '000000' ? '000001' : '000000');

/** Asks for a code through REST and reads it off the kiosk. */
async function codeOn(relay: TestRelay, kiosk: Kiosk): Promise<string> {
  const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  const res = await postJson(`${relay.url}/api/v1/pairing/code`, {});
  expect(res.status).toBe(202);
  return (await arrives).code;
}

/** `n` wrong claims, a fresh code after every 4 so none burns; returns the last answer. */
async function missTimes(relay: TestRelay, kiosk: Kiosk, n: number) {
  let code = '';
  let last: Awaited<ReturnType<typeof postJson>> | undefined;
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) code = await codeOn(relay, kiosk);
    last = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) });
    expect(last.body.error.code).toBe('invalid_code');
  }
  return last;
}

/** Spends a whole budget (15 misses) and returns the lock's length in ms. */
async function lockOnce(relay: TestRelay, kiosk: Kiosk): Promise<number> {
  const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked');
  await missTimes(relay, kiosk, 15);
  return Date.parse((await locked).until) - relay.clock.now();
}

const clockOf = (relay: TestRelay) => relay.clock as FakeClock;

describe.each(['sqlite', 'memory'])('on the %s store', (kind) => {
  beforeEach(() => {
    storeKind = kind;
  });

  describe('the per-home failure budget', () => {
    it('doubles each lock that follows another, from 1 h up to PAIRING_LOCK_MAX (7 d)', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      const lengths: number[] = [];
      for (let i = 0; i < 10; i++) {
        const length = await lockOnce(relay, kiosk);
        lengths.push(length / HOUR);
        const refused = await postJson(`${relay.url}/api/v1/pairing/code`, {});
        expect(refused.status).toBe(423);
        expect(Number(refused.headers.get('retry-after'))).toBe(length / 1000);
        clockOf(relay).advance(length);
      }
      expect(lengths).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 168, 168]);
    });

    it('locks once, for the first step, when 30 wrong claims race', async () => {
      const relay = await start({ env: { PAIRING_MAX_ATTEMPTS: '100' } });
      const kiosk = await connectKiosk(relay);
      const code = await codeOn(relay, kiosk);
      const answers = await Promise.all(Array.from({ length: 30 }, () => postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) })));
      expect(answers.filter((r) => r.body.error.code === 'invalid_code').length).toBeGreaterThanOrEqual(15);
      expect(await relay.store.get(budgetKeyOf('home-1'))).toMatchObject({ streak: 1, lockedUntil: relay.clock.now() + HOUR });
    });

    it('resets the escalation after a successful pairing', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      expect(await lockOnce(relay, kiosk)).toBe(HOUR);
      clockOf(relay).advance(HOUR);
      expect(await lockOnce(relay, kiosk)).toBe(2 * HOUR);
      clockOf(relay).advance(2 * HOUR);
      await pair(relay, { kiosk });
      expect(await lockOnce(relay, kiosk)).toBe(HOUR);
    });

    it('forgets earlier misses after a successful pairing', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      await missTimes(relay, kiosk, 14);
      await pair(relay, { kiosk });
      const last = await missTimes(relay, kiosk, 14);
      expect(last?.status).toBe(401);
      expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
    });

    it('remembers misses longer than an hour, so 14 an hour forever still locks', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      await missTimes(relay, kiosk, 14);
      clockOf(relay).advance(2 * HOUR);
      const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked');
      const code = await codeOn(relay, kiosk);
      const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) });
      expect(res.body.error.code).toBe('invalid_code');
      expect(Date.parse((await locked).until) - relay.clock.now()).toBe(HOUR);
    });

    it('resets nothing when the kiosk cancels a code', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      await missTimes(relay, kiosk, 10);
      expect(await emitAck(kiosk, 'pairing:cancel', {})).toMatchObject({ ok: true });
      const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked');
      await missTimes(relay, kiosk, 5);
      expect(Date.parse((await locked).until) - relay.clock.now()).toBe(HOUR);
    });

    it('with PAIRING_FAILURE_MEMORY=1h counts only the last hour', async () => {
      const relay = await start({ env: { PAIRING_FAILURE_MEMORY: '1h' } });
      const kiosk = await connectKiosk(relay);
      await missTimes(relay, kiosk, 14);
      clockOf(relay).advance(HOUR + 1);
      await missTimes(relay, kiosk, 14);
      expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
    });

    it('withdraws the active code when the lock begins, so the right code finds nothing afterwards', async () => {
      const relay = await start({ env: { PAIRING_LOCK_AFTER_FAILURES: '2' } });
      const kiosk = await connectKiosk(relay);
      const code = await codeOn(relay, kiosk);
      await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) });
      const locked = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: wrongFor(code) });
      expect(locked.body.error.code).toBe('invalid_code');
      expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code })).status).toBe(423);
      clockOf(relay).advance(HOUR);
      expect((await postJson(`${relay.url}/api/v1/pairing/claim`, { code })).body.error.code).toBe('code_expired');
    });

    it('lifts a lock and its escalation with the kiosk\'s pairing:unlock, and tells every kiosk', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      const other = await connectKiosk(relay);
      expect(await lockOnce(relay, kiosk)).toBe(HOUR);
      clockOf(relay).advance(HOUR);
      expect(await lockOnce(relay, kiosk)).toBe(2 * HOUR);
      const told = nextEvent(other, 'pairing:unlocked');
      expect(await emitAck(kiosk, 'pairing:unlock', {})).toEqual({ ok: true, data: {} });
      expect(await told).toEqual({});
      await pair(relay, { kiosk });
      // The escalation starts again at the first step.
      expect(await lockOnce(relay, kiosk)).toBe(HOUR);
      expect(await emitAck(kiosk, 'pairing:unlock', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      // Locks and the unlock are in the home's audit log.
      const { audit } = relay.server.services;
      await audit.settled();
      const entries = (await audit.list('home-1', 0, 100)).entries;
      const events = entries.map((e) => e.event);
      expect(events.filter((e) => e === 'pairing.locked')).toHaveLength(3);
      expect(events.filter((e) => e === 'pairing.unlocked')).toHaveLength(1);
      // The kiosk lifted it, the relay locked it.
      expect(entries.find((e) => e.event === 'pairing.unlocked')).toMatchObject({ actor: { kind: 'kiosk' }, channel: 'kiosk' });
      expect(entries.find((e) => e.event === 'pairing.locked')).toMatchObject({ actor: { kind: 'system' } });
    });

    it('starts a removed and re-added home unlocked, with no misses remembered', async () => {
      const relay = await start();
      const homes = relay.server.services.homes;
      const hubKey = await homes.add('home-2');
      let kiosk = await connectKiosk(relay, 'home-2', hubKey);
      const ask = (serial: string) => postJson(`${relay.url}/api/v1/pairing/code`, { serial });
      const locked = nextEvent(kiosk, 'pairing:locked');
      for (let i = 0; i < 15; i++) {
        if (i % 4 === 0) expect((await ask('home-2')).status).toBe(202);
        await postJson(`${relay.url}/api/v1/pairing/claim`, { serial: 'home-2', code: '000000' });
      }
      await locked;
      expect((await ask('home-2')).status).toBe(423);
      await homes.remove('home-2');
      kiosk = await connectKiosk(relay, 'home-2', await homes.add('home-2'));
      for (let i = 0; i < 10; i++) expect((await ask('home-2')).status).toBe(202);
    });

    it('keeps a kiosk\'s own pairing:open refused while locked, like every code request', async () => {
      const relay = await start();
      const kiosk = await connectKiosk(relay);
      await lockOnce(relay, kiosk);
      expect(await emitAck(kiosk, 'pairing:open', {})).toMatchObject({ ok: false, error: { code: 'pairing_locked' } });
    });
  });

  describe('the per-home code request limit', () => {
    it('allows PAIRING_CODE_REQUESTS (10 per 10 minutes) from all addresses together, even with RATE_LIMITS=off', async () => {
      const relay = await start({ env: { TRUST_PROXY: 'loopback' } });
      const kiosk = await connectKiosk(relay);
      const ask = (i: number) => postJson(`${relay.url}/api/v1/pairing/code`, {}, { 'x-forwarded-for': `203.0.113.${i}` });
      for (let i = 1; i <= 10; i++) expect((await ask(i)).status).toBe(202);
      const limited = await ask(11);
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      // The seed's alias counts against the same limit.
      expect((await fetch(`${relay.url}/auth/code`)).status).toBe(429);
      // The kiosk's own button is not limited.
      for (let i = 0; i < 3; i++) expect(await emitAck(kiosk, 'pairing:open', {})).toMatchObject({ ok: true });
      clockOf(relay).advance(retryAfter * 1000);
      expect((await ask(12)).status).toBe(202);
    });

    it('reads other limits and refuses unreadable ones naming the variable', async () => {
      // On the hour: the fixed window is the whole hour ahead.
      const relay = await start({ env: { PAIRING_CODE_REQUESTS: '2/1h' }, clock: new FakeClock(Date.parse('2026-03-01T10:00:00Z')) });
      await connectKiosk(relay);
      for (let i = 0; i < 2; i++) expect((await postJson(`${relay.url}/api/v1/pairing/code`, {})).status).toBe(202);
      const limited = await postJson(`${relay.url}/api/v1/pairing/code`, {});
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBe(3600);
      await expect(start({ env: { PAIRING_CODE_REQUESTS: 'lots' } })).rejects.toThrow(/PAIRING_CODE_REQUESTS/);
      await expect(start({ env: { PAIRING_CODE_REQUESTS: '0/1m' } })).rejects.toThrow(/PAIRING_CODE_REQUESTS/);
      await expect(start({ env: { PAIRING_LOCK_DURATION: '2h', PAIRING_LOCK_MAX: '1h' } })).rejects.toThrow(/PAIRING_LOCK_MAX/);
    });
  });

});

describe('the budget survives a restart (SQLite)', () => {
  it('keeps counted misses, the lock and its escalation across a restart on the same DATA_DIR', async () => {
    const dataDir = tempDir();
    const env = { STORE: 'sqlite', DATA_DIR: dataDir };
    let relay = await start({ env });
    let kiosk = await connectKiosk(relay);
    expect(await lockOnce(relay, kiosk)).toBe(HOUR);
    const clock = clockOf(relay);
    clock.advance(HOUR);
    await missTimes(relay, kiosk, 10);

    closeSockets();
    await relay.close();
    relays = [];
    relay = await start({ env, clock });
    kiosk = await connectKiosk(relay);
    // 10 misses remembered: 5 more lock again, and for twice as long.
    const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked');
    await missTimes(relay, kiosk, 5);
    expect(Date.parse((await locked).until) - clock.now()).toBe(2 * HOUR);

    closeSockets();
    await relay.close();
    relays = [];
    relay = await start({ env, clock });
    const refused = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' });
    expect(refused.status).toBe(423);
    expect(Number(refused.headers.get('retry-after'))).toBe(7200);
  });
});
