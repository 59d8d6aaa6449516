import { describe, expect, it } from 'vitest';
import { closeSockets, connectKiosk, nextEvent, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;

/**
 * The attack of issue 11, done as the attacker did it: many addresses (behind a trusted proxy
 * here, so each request can come from its own), and a new code asked for after every 4 misses,
 * so that no code ever burns. Before the per-home budget, 240 guesses gave 0 burns and 0 locks.
 */
describe('a home under a code-swapping attack from many addresses', () => {
  let relay: TestRelay | undefined;

  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  /** A fresh address for every request: per-IP limits never see the same one twice. */
  let next = 0;
  const anyIp = () => `198.51.${(next >> 8) & 255}.${next++ & 255}`;

  async function askCode(r: TestRelay, kiosk: Kiosk): Promise<{ status: number; code?: string }> {
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code').catch(() => undefined);
    const res = await postJson(`${r.url}/api/v1/pairing/code`, {}, from(anyIp()));
    if (res.status !== 202) return { status: res.status };
    return { status: res.status, code: (await arrives)?.code };
  }

  it('locks the home after 15 wrong claims although every code was replaced after 4 misses', async () => {
    relay = await startRelay({ env: { TRUST_PROXY: 'loopback' } });
    try {
      const kiosk = await connectKiosk(relay);
      const locked = nextEvent<{ until: string }>(kiosk, 'pairing:locked', 10_000);
      let guesses = 0;
      let refusedLocked = 0;
      for (let round = 0; round < 60 && refusedLocked === 0; round++) {
        const asked = await askCode(relay, kiosk);
        if (asked.status === 423) {
          refusedLocked++;
          break;
        }
        expect(asked.status).toBe(202);
        for (let miss = 0; miss < 4; miss++) {
          const guess = asked.code === '000000' ? '000001' : '000000';
          const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: guess }, from(anyIp()));
          if (res.status === 423) {
            refusedLocked++;
            break;
          }
          expect(res.body.error.code).toBe('invalid_code');
          guesses++;
        }
      }
      // 60 rounds × 4 = 240 guesses were possible before; the home's budget stops it at 15.
      expect(guesses).toBe(15);
      expect(refusedLocked).toBe(1);
      const { until } = await locked;
      expect(Date.parse(until) - relay.clock.now()).toBe(3_600_000);
      const refused = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' }, from(anyIp()));
      expect(refused.status).toBe(423);
      expect(refused.body.error.code).toBe('pairing_locked');
    } finally {
      closeSockets();
      await relay.close();
    }
  });
});
