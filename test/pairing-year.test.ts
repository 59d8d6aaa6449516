import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { closeSockets, connectKiosk, postJson, startRelay, tempDir, type TestRelay } from './helpers/relay.ts';

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

/**
 * docs/security.md's bound: under the defaults every wrong claim is recorded against the home,
 * each 15 of them buy one lock, locks double from 1 h to 7 d and do not reset without a pairing,
 * so a year holds at most 8 + 51 = 59 locks and 59 × 15 + 14 = 899 wrong claims (+1 winning one).
 */
const GUESS_BOUND = 59 * 15 + 14;

type Strategy = 'fast' | 'slow';

/**
 * A scripted attacker against a real relay (HTTP, SQLite store, a kiosk online to receive codes)
 * for a simulated year on the relay's fake clock. It has unlimited addresses, modelled by
 * RATE_LIMITS=off (no per-IP limit ever applies; the per-home rules stay). It asks for a code,
 * guesses, asks for a fresh code before the old one burns, and waits out every lock and every 429
 * exactly as long as Retry-After says. It is never lucky (the test reads the kiosk and steers its
 * guesses past the real code), the worst case for the count: a lucky attacker stops early.
 * `slow` keeps under 15 wrong claims an hour, hoping an hourly window forgets them.
 */
async function attack(relay: TestRelay, strategy: Strategy, durationMs = YEAR): Promise<{ guesses: number; locks: number }> {
  const clock = relay.clock as FakeClock;
  const kiosk = await connectKiosk(relay);
  let shown = '';
  kiosk.on('pairing:code', (event: { code: string }) => (shown = event.code));
  const end = clock.now() + durationMs;
  let guesses = 0;
  let locks = 0;
  let candidate = 0;
  const nextGuess = () => {
    let guess: string;
    do guess = String(candidate++ % 1_000_000).padStart(6, '0');
    while (guess === shown);
    return guess;
  };
  const waitOut = (res: { headers: Headers }) => clock.advance(Number(res.headers.get('retry-after')) * 1000);
  const codeArrives = async (before: string) => {
    for (let i = 0; i < 200 && shown === before; i++) await new Promise((r) => setTimeout(r, 2));
  };

  while (clock.now() < end) {
    const before = shown;
    const asked = await postJson(`${relay.url}/api/v1/pairing/code`, {});
    if (asked.status === 423 || asked.status === 429) {
      if (asked.status === 423) locks++;
      waitOut(asked);
      continue;
    }
    expect(asked.status).toBe(202);
    await codeArrives(before);
    for (let miss = 0; miss < 4; miss++) {
      const res = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: nextGuess() });
      if (res.status === 423) break;
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body.error.code).toBe('invalid_code');
      guesses++;
      if (strategy === 'slow' && guesses % 14 === 0) {
        // The code expires while it waits: the next round asks for another.
        clock.advance(HOUR + 1000);
        break;
      }
    }
    clock.advance(1000);
  }
  kiosk.close();
  return { guesses, locks };
}

/** A relay with `env` for one attack, closed after it (with the test's sockets). */
async function attackRelay(env: Record<string, string>, strategy: Strategy, durationMs?: number) {
  const relay = await startRelay({ clock: new FakeClock(Date.parse('2026-01-01T00:00:00Z')), env: { RATE_LIMITS: 'off', ...env } });
  try {
    return await attack(relay, strategy, durationMs);
  } finally {
    closeSockets();
    await relay.close();
  }
}

describe('a year of continuous attack on one home', () => {
  for (const strategy of ['fast', 'slow'] as const) {
    it(`${strategy}: the attacker gets at most ${GUESS_BOUND} guesses, a chance below 1 in 1,000`, async () => {
      const { guesses, locks } = await attackRelay({ STORE: 'sqlite', DATA_DIR: tempDir() }, strategy);
      const chance = (guesses + 1) / (1_000_000 - 4);
      console.log(`[pairing-year] ${strategy} attacker: ${guesses} wrong guesses and ${locks} locks in a simulated year → chance ≤ ${chance.toExponential(2)}`);
      expect(guesses).toBeLessThanOrEqual(GUESS_BOUND);
      expect(chance).toBeLessThan(1e-3);
      // Not a vacuous pass: the attacker really kept at it all year.
      expect(guesses).toBeGreaterThan(GUESS_BOUND - 30);
    }, 120_000);
  }

  it('why misses are remembered past the hour: with PAIRING_FAILURE_MEMORY=1h the slow attacker is never locked', async () => {
    const { guesses, locks } = await attackRelay({ PAIRING_FAILURE_MEMORY: '1h' }, 'slow', 2 * 24 * HOUR);
    console.log(`[pairing-year] slow attacker, hourly window only: ${guesses} guesses and ${locks} locks in 2 simulated days (≈ ${Math.round((guesses * 365) / 2000)}k a year)`);
    expect(locks).toBe(0);
    expect(guesses).toBe(14 * 48);
  }, 120_000);
});
