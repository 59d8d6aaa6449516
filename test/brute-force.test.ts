import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { closeSockets, connectKiosk, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

/**
 * A scripted attack on pairing under the default limits: the attacker (many IPs, so per-IP limits
 * do not help us) requests codes for a home whose kiosk is online and guesses as fast as it is
 * allowed, for a simulated day. The relay's per-code attempts and escalating per-home locks must cap the guesses.
 */
describe('brute force on a pairing code', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay.close();
  });

  it('allows at most 15 guesses per lock, locks doubling: at most 75 guesses (0.0075 %) on the first day', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off' } });
    const clock = relay.clock as FakeClock;
    await connectKiosk(relay);
    const dayEnd = clock.now() + 86_400_000;
    let guesses = 0;
    let lockedAnswers = 0;
    let next = 0;
    while (clock.now() < dayEnd) {
      const asked = await postJson(`${relay.url}/api/v1/pairing/code`, {});
      if (asked.status === 423) {
        lockedAnswers++;
        clock.advance(Number(asked.headers.get('retry-after')) * 1000);
        continue;
      }
      expect(asked.status).toBe(202);
      // Guess until the code burns; the attacker cannot see the code, so it walks the space.
      for (;;) {
        const guess = String(next++ % 1_000_000).padStart(6, '0');
        const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: guess });
        if (res.status === 201) throw new Error('the attack guessed the code (possible, 5 in a million per code, but not expected here)');
        if (res.status === 423) break;
        guesses++;
        if (res.body.error.code === 'too_many_attempts') break;
        expect(res.body.error.code).toBe('invalid_code');
      }
      clock.advance(1000);
    }
    // 15 guesses, then locks of 1, 2, 4, 8 and 16 h: five locks begin within the day (at 0, 1, 3, 7 and 15 h).
    expect(lockedAnswers).toBeGreaterThan(0);
    expect(guesses).toBe(75);
    expect(guesses / 1_000_000).toBeLessThan(0.0001);
  });
});
