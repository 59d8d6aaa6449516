import { beforeAll, expect, it } from 'vitest';
import { HUB_KEY } from '../helpers/relay.ts';
import { audit, tabOrder } from './a11y.ts';
import { publishScreenshot, screenshot } from './harness.ts';
import { Dashboard, eventually, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

describeInBrowser('kiosk and dashboard: pairing in a real browser', {}, (suite) => {
  let kiosk: Kiosk;

  beforeAll(async () => {
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
  });

  it('keeps the hub key out of the address bar and remembers it', async () => {
    expect(kiosk.page.url()).toBe(`${suite.relay.url}/kiosk`);
    const stored = await kiosk.page.evaluate(() => localStorage.getItem('home-relay.kiosk'));
    expect(JSON.parse(stored ?? '{}')).toEqual({ serial: 'home-1', hubKey: HUB_KEY });
    await kiosk.page.reload();
    await textOf(kiosk.status, /^Connected$/);
  });

  it('pairs a browser with the code read off the kiosk', async () => {
    const dash = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, 'dashboard');
    expect(await tabOrder(dash.page, 7)).toEqual([
      'Skip to content',
      'Home serial (leave empty if your relay has one home)',
      'Name for this browser (shown on the intercom)',
      'Show code on my intercom',
      'Code from the intercom',
      'Pair this browser',
      'Show a QR code',
    ]);
    await dash.requestCode('Anna’s laptop');
    expect(await audit(dash.page)).toEqual([]);
    publishScreenshot(await screenshot(dash.page, 'dashboard-signed-out'), 'dashboard-pair.png');

    const code = await kiosk.readCode();
    expect(code).toMatch(/^\d{6}$/);
    await textOf(kiosk.page.locator('#pairing-requester'), /“Anna’s laptop” asked for this code/);
    await textOf(kiosk.page.locator('#pairing-requester'), /127\.0\.0\.1/);
    await textOf(kiosk.page.locator('#pairing-countdown'), /^[23]:\d\d$/);
    await eventually(() => kiosk.page.locator('#pairing-qr').getAttribute('src'), /^data:image\/svg\+xml/);
    expect(await audit(kiosk.page)).toEqual([]);
    await screenshot(kiosk.page, 'kiosk-code');

    await dash.typeCode(code);
    await dash.expectSignedIn();
    await textOf(dash.page.locator('#grant-list li', { hasText: 'This browser' }), /Anna’s laptop/);
    await textOf(dash.page.locator('#account-name'), /Anna’s laptop · home-1/);
    expect(await audit(dash.page)).toEqual([]);
    await screenshot(dash.page, 'dashboard-paired');

    await textOf(kiosk.page.locator('#pairing-message'), /Paired with “Anna’s laptop”/);
    await kiosk.grant('Anna’s laptop').waitFor();
    expect(await kiosk.page.locator('#pairing-code').isVisible()).toBe(false);

    // Reloading keeps the session (tokens in localStorage).
    await dash.page.reload();
    await dash.expectSignedIn();
    await dash.page.context().close();
  });

  it('explains a wrong code in words and fills in the code from the kiosk QR link', async () => {
    suite.watch.expectStatus(401);
    await kiosk.page.getByRole('button', { name: 'Pair a new device' }).click();
    const code = await kiosk.readCode();
    const wrong = code === '000000' ? '111111' : '000000';

    const dash = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, 'dashboard-qr', `/#serial=home-1&code=${wrong}`);
    expect(dash.page.url()).toBe(`${suite.relay.url}/`);
    expect(await dash.page.getByLabel('Code from the intercom').inputValue()).toBe(wrong);
    expect(await dash.page.getByLabel(/Home serial/).inputValue()).toBe('home-1');
    await dash.page.getByRole('button', { name: 'Pair this browser' }).click();
    await textOf(dash.page.locator('#claim-status'), /That code is wrong\. 4 tries left\./);

    // The QR link opened again in the same tab: only the fragment changes, the fields follow.
    await dash.page.evaluate((right) => (location.hash = `serial=home-1&code=${right}`), code);
    await eventually(() => dash.page.getByLabel('Code from the intercom').inputValue(), new RegExp(`^${code}$`));
    expect(dash.page.url()).toBe(`${suite.relay.url}/`);
    await dash.page.getByRole('button', { name: 'Pair this browser' }).click();
    await dash.expectSignedIn();
    await dash.page.context().close();
  });

  it('signs the dashboard out, with the reason, when the kiosk revokes it', async () => {
    const dash = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, 'dashboard-revoked');
    await dash.requestCode('Borrowed tablet');
    await dash.typeCode(await kiosk.readCode());
    await dash.expectSignedIn();

    const revoke = kiosk.grant('Borrowed tablet').getByRole('button', { name: /Revoke Borrowed tablet/ });
    await revoke.click();
    await revoke.click(); // the second press confirms
    await dash.expectSignedOut(/access was revoked/);
    await kiosk.grant('Borrowed tablet').waitFor({ state: 'detached' });
    await dash.page.context().close();
  });

  it('tells the kiosk in words when its hub key or serial is wrong', async () => {
    const context = await suite.browser.newContext({ viewport: { width: 1024, height: 600 } });
    const page = suite.watch.watch(await context.newPage(), 'kiosk-bad-key');
    await page.goto(`${suite.relay.url}/kiosk#serial=home-1&key=wrong-key`);
    await textOf(page.locator('#setup-reason'), /hub key is wrong/);
    await textOf(page.locator('#connection'), /Not connected/);
    expect(await audit(page)).toEqual([]);
    const unknownHome = suite.watch.watch(await context.newPage(), 'kiosk-unknown-home');
    await unknownHome.goto(`${suite.relay.url}/kiosk#serial=flat-9&key=${HUB_KEY}`);
    await textOf(unknownHome.locator('#setup-reason'), /No home with that serial number/);
    expect(await unknownHome.getByLabel('Home serial').inputValue()).toBe('flat-9');
    await context.close();
  });

  it('logged no console errors on any page', () => {
    expect(suite.watch.problems).toEqual([]);
  });
});
