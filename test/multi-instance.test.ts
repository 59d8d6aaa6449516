import { expect, it } from 'vitest';
import { useClusters } from './helpers/cluster.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectDashboard, connectKiosk, getJson, nextEvent, postJson, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;

/** A code requested through `via`, read off `kiosk` (which may sit on any instance). */
async function codeOnKiosk(via: TestRelay, kiosk: Kiosk): Promise<string> {
  const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  const res = await postJson(`${via.url}/api/v1/pairing/code`, { clientName: 'phone' });
  expect(res.status).toBe(202);
  return (await arrives).code;
}

const wrongFor = (code: string) => (code === '999999' ? '999998' : '999999');

describeWith('three instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  const start = clusters.three;

  it('shows a code requested via B on the kiosk on A, and C accepts it', async () => {
    const [a, b, c] = await start();
    const kiosk = await connectKiosk(a);
    const code = await codeOnKiosk(b, kiosk);
    const claimedOnKiosk = nextEvent(kiosk, 'pairing:claimed');
    const claim = await postJson(`${c.url}/api/v1/pairing/claim`, { code, clientName: 'phone' });
    expect(claim.status).toBe(201);
    expect(await claimedOnKiosk).toEqual({ grantId: claim.body.grantId, clientName: 'phone' });
    for (const r of [a, b, c]) expect((await getJson(`${r.url}/api/v1/me`, claim.body.token)).status).toBe(200);
    // The refresh token rotates on any instance, once.
    const refreshed = await postJson(`${a.url}/api/v1/tokens/refresh`, { refreshToken: claim.body.refreshToken });
    expect(refreshed.status).toBe(200);
    const replayed = await postJson(`${b.url}/api/v1/tokens/refresh`, { refreshToken: claim.body.refreshToken });
    expect(replayed.body.error.code).toBe('token_revoked');
  });

  it('lets exactly one of concurrent claims on different instances win', async () => {
    const [a, b, c] = await start({ RATE_LIMITS: 'off' });
    const kiosk = await connectKiosk(c);
    const code = await codeOnKiosk(a, kiosk);
    const results = await Promise.all(
      [a, b, c, a, b, c, a, b].map((r) => postJson(`${r.url}/api/v1/pairing/claim`, { code })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 && r.body.error.code === 'code_expired')).toHaveLength(7);
  });

  it('counts wrong attempts across instances and burns the code once', async () => {
    const [a, b, c] = await start({ RATE_LIMITS: 'off' });
    const kiosk = await connectKiosk(a);
    const code = await codeOnKiosk(b, kiosk);
    const wrong = wrongFor(code);
    const order = [a, b, c, a];
    for (const [i, r] of order.entries()) {
      const res = await postJson(`${r.url}/api/v1/pairing/claim`, { code: wrong });
      expect(res.body.error).toMatchObject({ code: 'invalid_code', details: { attemptsLeft: 4 - i } });
    }
    const burned = nextEvent(kiosk, 'pairing:burned');
    const last = await postJson(`${b.url}/api/v1/pairing/claim`, { code: wrong });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('too_many_attempts');
    await burned;
    expect((await postJson(`${c.url}/api/v1/pairing/claim`, { code })).body.error.code).toBe('code_expired');
  });

  it('shares per-IP rate limits between instances', async () => {
    const [a, b, c] = await start({ RATE_LIMIT_CODE_PER_MINUTE: '4' });
    await connectKiosk(a);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof postJson>> | undefined;
    for (const r of [a, b, c, a, b, c]) {
      const res = await postJson(`${r.url}/api/v1/pairing/code`, {});
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    expect(limited?.body.error.code).toBe('rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('revokes on C: dashboards on A and B hear grant:revoked and drop within 1 s; the token dies everywhere', async () => {
    const [a, b, c] = await start();
    const kiosk = await connectKiosk(b);
    const victim = await postJson(`${c.url}/api/v1/pairing/claim`, { code: await codeOnKiosk(a, kiosk), clientName: 'lost phone' });
    const admin = await postJson(`${a.url}/api/v1/pairing/claim`, { code: await codeOnKiosk(c, kiosk), clientName: 'admin' });
    expect([victim.status, admin.status]).toEqual([201, 201]);
    const onA = await connectDashboard(a, victim.body.token);
    const onB = await connectDashboard(b, victim.body.token);
    const bystander = await connectDashboard(a, admin.body.token);
    const bystanderEvents: string[] = [];
    bystander.onAny((event) => bystanderEvents.push(event));
    const heard = [onA, onB].map((s) =>
      Promise.all([nextEvent(s, 'grant:revoked', 1000), nextEvent<string>(s, 'disconnect', 1000)]),
    );
    const kioskHears = nextEvent(kiosk, 'grant:revoked');

    const revoked = await fetch(`${c.url}/api/v1/grants/${victim.body.grantId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.body.token}` },
    });
    expect(revoked.status).toBe(204);
    for (const [payload, reason] of await Promise.all(heard)) {
      expect(payload).toEqual({ grantId: victim.body.grantId });
      expect(reason).toBe('io server disconnect');
    }
    expect(await kioskHears).toEqual({ grantId: victim.body.grantId });
    for (const r of [a, b, c]) {
      const me = await getJson(`${r.url}/api/v1/me`, victim.body.token);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('token_revoked');
    }
    await expect(connectDashboard(b, victim.body.token)).rejects.toMatchObject({ message: 'token_revoked' });
    expect(bystander.connected).toBe(true);
    expect(bystanderEvents).toEqual([]);
  });

  it('counts kiosks on every instance, and only live ones', async () => {
    const [a, b, c] = await start({ RATE_LIMITS: 'off' });
    for (const r of [a, b, c]) {
      const res = await postJson(`${r.url}/api/v1/pairing/code`, {});
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('kiosk_offline');
    }
    const kiosk = await connectKiosk(a);
    expect((await postJson(`${c.url}/api/v1/pairing/code`, {})).status).toBe(202);
    kiosk.close();
    await waitFor(async () => (await postJson(`${b.url}/api/v1/pairing/code`, {})).status === 503);
  });

  it('stops waiting for an instance that is gone', async () => {
    const [a, b] = await start();
    await connectKiosk(b);
    await clusters.current.at(2).close(); // C leaves (its Redis subscriptions with it)
    const started = Date.now();
    const res = await postJson(`${a.url}/api/v1/pairing/code`, {});
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(2000); // no adapter request timeout spent waiting for C
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
