import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createClient } from 'redis';
import { FakeClock } from '../../src/clock.ts';
import { AppError } from '../../src/errors.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from '../helpers/redis.ts';
import { describeWith } from '../helpers/requires.ts';

/** What the shared contract cannot show: several connections, Redis-side TTLs, and outages. */
describeWith('Redis store across connections and outages', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  const opened: RedisStore[] = [];
  let n = 0;
  const open = async (clock: FakeClock, keyPrefix = `behaviour-${++n}:`) => {
    const store = await RedisStore.connect({ url: redis.url, clock, keyPrefix });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await redis?.kill();
  });

  it('keeps update atomic between separate instances (separate connections)', async () => {
    const clock = new FakeClock(Date.now());
    const [a, b] = [await open(clock, 'shared-a:'), await open(clock, 'shared-a:')];
    await a.set('n', 40, clock.now() + 60_000);
    const decrement = (s: RedisStore) =>
      s.update<number, number | 'gone'>('n', (v) => (v === null ? { result: 'gone' } : v <= 1 ? { next: null, result: 0 } : { next: v - 1, result: v - 1 }));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => decrement(i % 2 ? a : b)));
    expect(results.filter((r) => r === 'gone')).toHaveLength(10);
    expect(new Set(results.filter((r) => r !== 'gone')).size).toBe(40);
  });

  it('delivers pub/sub between instances and scopes channels by prefix', async () => {
    const clock = new FakeClock(Date.now());
    const [a, b, other] = [await open(clock, 'ps:'), await open(clock, 'ps:'), await open(clock, 'elsewhere:')];
    const got: string[] = [];
    const foreign: string[] = [];
    await b.subscribe('qr:1', (m) => got.push(m));
    await other.subscribe('qr:1', (m) => foreign.push(m));
    await a.publish('qr:1', 'approved');
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['approved']);
    expect(foreign).toEqual([]);
  });

  it('judges expiry by the injected clock and leaves Redis a longer TTL only for garbage collection', async () => {
    const clock = new FakeClock(Date.now());
    const store = await open(clock, 'ttl:');
    await store.set('k', 'v', clock.now() + 5_000);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const ttl = await raw.pTTL('ttl:kv:k');
      expect(ttl).toBeGreaterThan(5_000);
      clock.advance(5_000);
      expect(await store.get('k')).toBeNull();
      expect(await raw.exists('ttl:kv:k')).toBe(1); // still there physically; the clock said it is gone
      expect(await store.setIfAbsent('k', 'w', clock.now() + 1_000)).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it('with waitReplicas and no replica, waits out one WAIT, then skips WAIT for 10 s instead of 500 ms on every write', async () => {
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const waitCalls = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
      await admin.configResetStat();
      const clock = new FakeClock(Date.now());
      const store = await RedisStore.connect({ url: redis.url, clock, keyPrefix: 'wait:', waitReplicas: 1 });
      opened.push(store);
      for (let i = 0; i < 5; i++) await store.set(`k${i}`, i, clock.now() + 60_000);
      // The first write asked for one replica, got none: the next four were not held up.
      expect(await waitCalls()).toBe(1);
      clock.advance(10_000);
      await store.set('again', 1, clock.now() + 60_000);
      expect(await waitCalls()).toBe(2);
      expect(await store.get('k4')).toBe(4); // every write stood
    } finally {
      await admin.quit();
    }
  });

  it('answers 503 unavailable at once while Redis is down and recovers by itself', async () => {
    const clock = new FakeClock(Date.now());
    const store = await open(clock, 'outage:');
    const got: string[] = [];
    await store.subscribe('chan', (m) => got.push(m));
    await store.set('k', 1, clock.now() + 600_000);
    await redis.stop();
    const started = Date.now();
    const failure = await store.get('k').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('unavailable');
    expect(await store.ping()).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);

    await redis.start(); // an empty Redis: nothing was persisted
    await waitFor(async () => store.ping(), 10_000);
    expect(await store.get('k')).toBeNull();
    await store.set('k', 2, clock.now() + 600_000);
    expect(await store.get('k')).toBe(2);
    // The subscription comes back with the connection.
    await waitFor(async () => {
      await store.publish('chan', 'again');
      return got.length > 0;
    }, 10_000);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
