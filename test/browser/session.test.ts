import { beforeAll, expect, it } from 'vitest';
import { getJson } from '../helpers/relay.ts';
import { Dashboard, eventually, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

interface StoredSession {
  token: string;
  refreshToken: string;
  grantId: string;
}

const stored = (dash: Dashboard) =>
  dash.page.evaluate(() => JSON.parse(localStorage.getItem('home-relay.session') ?? 'null') as StoredSession | null);

// Access tokens that expire within the test: the dashboard must refresh (and rotate) on its own.
describeInBrowser('dashboard session: refresh, reconnect, sign out', { env: { ACCESS_TOKEN_TTL: '4s' } }, (suite) => {
  let kiosk: Kiosk;

  beforeAll(async () => {
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
  });

  it('refreshes the access token before it expires and stores the rotated refresh token', async () => {
    const dash = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Night tablet');
    const first = await stored(dash);
    if (!first) throw new Error('no session stored');
    // A fifth of the 4 s lifetime before expiry, the page trades its refresh token for a new pair.
    await eventually(async () => (await stored(dash))?.refreshToken ?? null, (token) => token !== first.refreshToken, 8000);
    // Past the first token's expiry: the old token is dead, the page is still signed in and live.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await getJson(`${suite.relay.url}/api/v1/me`, first.token)).status).toBe(401);
    const now = await stored(dash);
    expect(now?.grantId).toBe(first.grantId);
    await textOf(dash.page.locator('#live-status'), /^Live$/);
    await dash.page.getByRole('button', { name: 'Refresh' }).click();
    await textOf(dash.page.locator('#grant-list'), /Night tablet/);
    expect(await dash.page.locator('#grants-error').textContent()).toBe('');
    await dash.page.context().close();
  });

  it('signs out: revokes its own grant and forgets the tokens', async () => {
    const dash = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Guest phone');
    await kiosk.grant('Guest phone').waitFor();
    await dash.page.getByRole('button', { name: 'Sign out' }).click();
    await dash.expectSignedOut(/You signed out/);
    await kiosk.grant('Guest phone').waitFor({ state: 'detached' });
    await dash.page.context().close();
  });

  it('the kiosk reconnects by itself when the relay drops it', async () => {
    suite.relay.server.io.of('/kiosk').disconnectSockets();
    await textOf(kiosk.status, /^Reconnecting…$/);
    await textOf(kiosk.status, /^Connected$/);
  });

  it('logged no console errors', () => {
    expect(suite.watch.problems).toEqual([]);
  });
});
