import { expect, it } from 'vitest';
import { budgetKeyOf } from '../src/pairing/budget.ts';
import { useClusters } from './helpers/cluster.ts';
import { redisServerBinary, startRedisRelay } from './helpers/redis.ts';
import { connectKiosk, connectSocket, emitAck, HUB_KEY, nextEvent, pair, postJson, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;

const HOUR = 3_600_000;
const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');

/**
 * The pairing budget behind a load balancer: two instances on one Redis, requests alternating
 * between them as a round-robin balancer would send them. Every count (misses, burns, locks, their
 * escalation, code requests per home, per-IP windows by /64) must be one count for the home.
 */
describeWith('the pairing budget on two instances sharing Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  /** Code via `via`, read off `kiosk` (on either instance). */
  async function codeVia(via: TestRelay, kiosk: Kiosk, headers: Record<string, string> = {}): Promise<string> {
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    const res = await postJson(`${via.url}/api/v1/pairing/code`, {}, headers);
    expect(res.status).toBe(202);
    return (await arrives).code;
  }

  /** `n` misses alternating instances, a new code (via the other instance) every 4, none burned. */
  async function missAcross(a: TestRelay, b: TestRelay, kiosk: Kiosk, n: number, headers: (i: number) => Record<string, string> = () => ({})) {
    let code = '';
    for (let i = 0; i < n; i++) {
      if (i % 4 === 0) code = await codeVia(i % 8 === 0 ? a : b, kiosk, headers(i));
      const res = await postJson(`${(i % 2 === 0 ? a : b).url}/api/v1/pairing/claim`, { code: wrongFor(code) }, headers(i));
      expect(res.body.error.code).toBe('invalid_code');
    }
  }

  it('the code-swapping attack from many addresses locks the home on both after 15 misses split across them', async () => {
    const cluster = await clusters.start(2, { TRUST_PROXY: 'loopback' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kioskOnA = await connectKiosk(a);
    const kioskOnB = await connectKiosk(b);
    const lockedOnB = nextEvent<{ until: string }>(kioskOnB, 'pairing:locked');
    let ip = 0;
    await missAcross(a, b, kioskOnA, 15, () => ({ 'x-forwarded-for': `198.51.100.${++ip}` }));
    const { until } = await lockedOnB;
    expect(Date.parse(until) - cluster.clock.now()).toBe(HOUR);
    for (const r of [a, b]) {
      expect((await postJson(`${r.url}/api/v1/pairing/code`, {})).status).toBe(423);
      expect((await postJson(`${r.url}/api/v1/pairing/claim`, { code: '123456' })).status).toBe(423);
    }
    // A third instance that joins later (or a restarted one) sees the same lock.
    const late = await startRedisRelay(clusters.redis.target, { clock: cluster.clock, keyPrefix: cluster.keyPrefix });
    try {
      const refused = await postJson(`${late.url}/api/v1/pairing/code`, {});
      expect(refused.status).toBe(423);
      expect(refused.body.error.details.until).toBe(until);
    } finally {
      await late.close();
    }
  });

  it('escalates across instances, and a kiosk on B unlocks for A (every kiosk is told)', async () => {
    const cluster = await clusters.start(2, { RATE_LIMITS: 'off' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kioskOnA = await connectKiosk(a);
    const kioskOnB = await connectKiosk(b);
    const first = nextEvent<{ until: string }>(kioskOnA, 'pairing:locked');
    await missAcross(a, b, kioskOnA, 15);
    expect(Date.parse((await first).until) - cluster.clock.now()).toBe(HOUR);
    cluster.clock.advance(HOUR);
    const second = nextEvent<{ until: string }>(kioskOnA, 'pairing:locked');
    await missAcross(b, a, kioskOnB, 15);
    expect(Date.parse((await second).until) - cluster.clock.now()).toBe(2 * HOUR);

    const toldOnA = nextEvent(kioskOnA, 'pairing:unlocked');
    expect(await emitAck(kioskOnB, 'pairing:unlock', {})).toEqual({ ok: true, data: {} });
    await toldOnA;
    const { grantId } = await pair(a, { kiosk: kioskOnA });
    expect(grantId).toBeTruthy();
    // The escalation was reset with the lock: the next lock is 1 h again.
    const third = nextEvent<{ until: string }>(kioskOnB, 'pairing:locked');
    await missAcross(a, b, kioskOnB, 15);
    expect(Date.parse((await third).until) - cluster.clock.now()).toBe(HOUR);
  });

  it('locks once when concurrent wrong claims race on both instances', async () => {
    const cluster = await clusters.start(2, { RATE_LIMITS: 'off', PAIRING_MAX_ATTEMPTS: '100' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kiosk = await connectKiosk(a);
    const locks: Array<{ until: string }> = [];
    kiosk.on('pairing:locked', (event: { until: string }) => locks.push(event));
    const code = await codeVia(b, kiosk);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => postJson(`${(i % 2 === 0 ? a : b).url}/api/v1/pairing/claim`, { code: wrongFor(code) })),
    );
    const judged = answers.filter((r) => r.body.error.code === 'invalid_code').length;
    // At least the 15 that spent the budget were judged; the rest found the home locked or the code withdrawn.
    expect(judged).toBeGreaterThanOrEqual(15);
    expect(answers.every((r) => ['invalid_code', 'pairing_locked', 'code_expired'].includes(r.body.error.code))).toBe(true);
    // Every claim's count was written before it was answered: the store holds the whole story now.
    expect(await a.store.get(budgetKeyOf('home-1'))).toMatchObject({ streak: 1, lockedUntil: cluster.clock.now() + HOUR });
    await expect.poll(() => locks.length, { timeout: 3000 }).toBe(1);
  });

  it('counts code requests per home once for both instances, RATE_LIMITS=off or not; kiosks are not counted', async () => {
    const cluster = await clusters.start(2, { RATE_LIMITS: 'off' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kiosk = await connectKiosk(b);
    for (let i = 0; i < 10; i++) await codeVia(i % 2 === 0 ? a : b, kiosk);
    for (const r of [a, b]) {
      const limited = await postJson(`${r.url}/api/v1/pairing/code`, {});
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
    }
    expect(await emitAck(kiosk, 'pairing:open', {})).toMatchObject({ ok: true });
  });

  it('counts an IPv6 /64 once across instances, for claims and for refused handshakes', async () => {
    const cluster = await clusters.start(2, { TRUST_PROXY: 'loopback' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const from = (i: number) => ({ 'x-forwarded-for': `2001:db8:42:7:${(i + 1).toString(16)}::1` });
    for (let i = 0; i < 20; i++) {
      const res = await postJson(`${(i % 2 === 0 ? a : b).url}/api/v1/pairing/claim`, { code: '123456' }, from(i));
      expect(res.status).toBe(401);
    }
    for (const r of [a, b]) expect((await postJson(`${r.url}/api/v1/pairing/claim`, { code: '123456' }, from(99))).status).toBe(429);

    const kioskFrom = (r: TestRelay, i: number, hubKey: string) => connectSocket(`${r.url}/kiosk`, { serial: 'home-1', hubKey }, { extraHeaders: from(i) });
    for (let i = 0; i < 20; i++) await expect(kioskFrom(i % 2 === 0 ? a : b, i, `wrong-hub-key-${i}-0123456789`)).rejects.toMatchObject({ message: 'invalid_hub_key' });
    await expect(kioskFrom(b, 50, HUB_KEY)).rejects.toMatchObject({ message: 'rate_limited' });
    await expect(kioskFrom(a, 51, HUB_KEY)).rejects.toMatchObject({ message: 'rate_limited' });
  });

  it('refuses cross-site code requests on every instance', async () => {
    const cluster = await clusters.start(2);
    await connectKiosk(cluster.at(0));
    for (const r of cluster.instances) {
      const res = await postJson(`${r.url}/api/v1/pairing/code`, {}, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden_origin');
    }
  });
});
