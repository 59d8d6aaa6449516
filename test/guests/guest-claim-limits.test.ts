import { describe, expect, it } from 'vitest';
import { connectKiosk, nextEvent, pair, postJson, useRelay } from '../helpers/relay.ts';
import { claim, HOUR, invite, lightOnly } from './helpers.ts';

/** Wrong codes in the invite alphabet, none of them the real one (1 in 10^13 to collide). */
const wrong = (i: number) => `BCDFGHJKL${'MNPQRSTVWXZ'[i % 11]}`;

describe('guest claims follow the pairing failure rules', () => {
  describe('per home', () => {
    const relay = useRelay({ env: { PAIRING_LOCK_AFTER_FAILURES: '4', RATE_LIMITS: 'off' } });

    it('wrong guest codes spend the home’s pairing budget: the lock stops guest claims and pairing alike', async () => {
      const kiosk = await connectKiosk(relay());
      const owner = await pair(relay(), { kiosk });
      const invited = await invite(relay(), owner.token, lightOnly(relay().clock.now() + HOUR));
      const locked = nextEvent(kiosk, 'pairing:locked');
      for (let i = 0; i < 3; i++) expect((await claim(relay(), wrong(i))).body.error.code).toBe('invalid_code');
      // One wrong pairing claim is the fourth failure of the same home.
      const code = await postJson(`${relay().url}/api/v1/pairing/code`, {});
      expect(code.status).toBe(202);
      expect((await postJson(`${relay().url}/api/v1/pairing/claim`, { code: '000000' })).status).toBe(401);
      await locked;
      // Now even the right invite code waits for the lock, and so does pairing.
      const refused = await claim(relay(), invited.body.code);
      expect(refused.status).toBe(423);
      expect(refused.body.error.code).toBe('pairing_locked');
      expect((await postJson(`${relay().url}/api/v1/pairing/code`, {})).status).toBe(423);
    });
  });

  describe('per IP', () => {
    const relay = useRelay({ env: { RATE_LIMIT_CLAIM_PER_MINUTE: '4' } });

    it('guest and pairing claims from one address share one per-minute allowance', async () => {
      for (let i = 0; i < 2; i++) expect((await postJson(`${relay().url}/api/v1/pairing/claim`, { code: '123456' })).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await claim(relay(), wrong(i))).status).toBe(401);
      const limited = await claim(relay(), wrong(3));
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await postJson(`${relay().url}/api/v1/pairing/claim`, { code: '123456' })).status).toBe(429);
    });
  });
});
