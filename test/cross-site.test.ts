import { describe, expect, it } from 'vitest';
import { closeSockets, connectKiosk, getJson, nextEvent, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

type Kiosk = Awaited<ReturnType<typeof connectKiosk>>;

const EVIL = 'https://evil.example';
/** What a browser adds to a request a page on another site makes it send. */
const crossSite = { 'sec-fetch-site': 'cross-site', origin: EVIL };

/** True when a code reached the kiosk within a short while (it is pushed at once when made). */
async function codeShown(kiosk: Kiosk): Promise<boolean> {
  return nextEvent(kiosk, 'pairing:code', 500).then(
    () => true,
    () => false,
  );
}

async function withRelay(env: Record<string, string>, body: (relay: TestRelay, kiosk: Kiosk) => Promise<void>): Promise<void> {
  const relay = await startRelay({ env: { STORE: 'sqlite', ...env } });
  try {
    await body(relay, await connectKiosk(relay));
  } finally {
    closeSockets();
    await relay.close();
  }
}

describe('browser cross-site requests that change state', () => {
  it('refuses a code request, a claim and a revoke sent from another site with 403 forbidden_origin', () =>
    withRelay({}, async (relay, kiosk) => {
      const shown = codeShown(kiosk);
      const asked = await postJson(`${relay.url}/api/v1/pairing/code`, {}, crossSite);
      expect(asked.status).toBe(403);
      expect(asked.body.error.code).toBe('forbidden_origin');
      expect(await shown).toBe(false);

      const claimed = await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' }, crossSite);
      expect(claimed.body.error.code).toBe('forbidden_origin');
      // An Origin that is not ours is enough, even from a browser that sends no Sec-Fetch-Site.
      const refreshed = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: 'x'.repeat(43) }, { origin: EVIL });
      expect(refreshed.body.error.code).toBe('forbidden_origin');
      const { token, grantId } = await pair(relay, { kiosk });
      const revoked = await fetch(`${relay.url}/api/v1/grants/${grantId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, ...crossSite } });
      expect(revoked.status).toBe(403);
      expect((await getJson(`${relay.url}/api/v1/me`, token)).status).toBe(200);
    }));

  it('refuses the seed\'s GET /auth/code from another site, as an <img> tag would send it', () =>
    withRelay({}, async (relay, kiosk) => {
      const shown = codeShown(kiosk);
      const res = await fetch(`${relay.url}/auth/code`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' } });
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden_origin');
      expect(await shown).toBe(false);
      const nullOrigin = await fetch(`${relay.url}/auth/code`, { headers: { origin: 'null' } });
      expect(nullOrigin.status).toBe(403);
    }));

  it('lets through its own pages, listed origins, and clients that are not browsers', () =>
    withRelay({ CORS_ORIGINS: 'https://app.example.org' }, async (relay, kiosk) => {
      const ok = async (headers: Record<string, string>) => {
        const shown = codeShown(kiosk);
        const res = await postJson(`${relay.url}/api/v1/pairing/code`, {}, headers);
        expect(res.status, JSON.stringify(headers)).toBe(202);
        expect(await shown).toBe(true);
      };
      await ok({ 'sec-fetch-site': 'same-origin', origin: relay.url });
      await ok({ origin: relay.url });
      await ok({ 'sec-fetch-site': 'cross-site', origin: 'https://app.example.org' });
      await ok({});
      expect((await fetch(`${relay.url}/auth/code`, { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
      // Reading is not changing: a cross-site GET of the API gets its usual answer.
      expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${relay.url}/api/v1/me`, { headers: crossSite })).status).toBe(401);
    }));

  it('treats the PUBLIC_URL origin as its own behind a proxy that rewrites Host', () =>
    withRelay({ PUBLIC_URL: 'https://relay.example.org' }, async (relay) => {
      const res = await postJson(`${relay.url}/api/v1/pairing/code`, {}, { origin: 'https://relay.example.org' });
      expect(res.status).toBe(202);
      const sibling = await postJson(`${relay.url}/api/v1/pairing/code`, {}, { origin: 'https://other.example.org', 'sec-fetch-site': 'same-site' });
      expect(sibling.body.error.code).toBe('forbidden_origin');
    }));
});
