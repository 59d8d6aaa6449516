import { beforeAll, expect, it } from 'vitest';
import { audit } from './a11y.ts';
import { publishScreenshot, screenshot } from './harness.ts';
import { Dashboard, eventually, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

describeInBrowser('dashboard: QR login approved from a paired browser', { env: { ALLOWED_HOSTS: '127.0.0.1' } }, (suite) => {
  let kiosk: Kiosk;
  let phone: Dashboard;

  beforeAll(async () => {
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
    phone = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Anna’s phone', 'phone');
  });

  /** A logged-out browser asks to be let in; resolves with its page and the approve link. */
  async function newBrowserAsks(label: string): Promise<{ laptop: Dashboard; approveUrl: string; sent: Record<string, any>; fingerprint: string }> {
    const laptop = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, label);
    await laptop.page.getByLabel('Name for this browser').fill('Office laptop');
    const created = laptop.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/qr/sessions'));
    await laptop.page.getByRole('button', { name: 'Show a QR code' }).click();
    const sent = (await created).postDataJSON();
    const image = laptop.page.getByRole('img', { name: /QR code for logging in/ });
    await image.waitFor();
    await eventually(async () => String(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)), /^[1-9]\d*$/);
    const approveUrl = await textOf(laptop.page.locator('#qr-url'), /\/\?approve=[\w-]+$/);
    const fingerprint = await textOf(laptop.page.locator('#qr-fingerprint'), /^[\w-]{8}$/);
    return { laptop, approveUrl, sent, fingerprint };
  }

  it('logs a new browser in when the paired phone approves, and out when it is revoked', async () => {
    const { laptop, approveUrl, sent, fingerprint } = await newBrowserAsks('laptop');
    // The page sent only the public half of a fresh P-256 key: the result comes sealed to it.
    expect(Object.keys(sent.publicKey).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(sent.publicKey).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(await audit(laptop.page)).toEqual([]);
    await screenshot(laptop.page, 'dashboard-qr-login');

    await phone.page.goto(approveUrl); // what scanning the QR code does
    await textOf(phone.page.locator('#approve-details'), /Office laptop/);
    await textOf(phone.page.locator('#approve-details'), /127\.0\.0\.1/);
    await textOf(phone.page.locator('#approve-details'), /HeadlessChrome|Chrome/);
    // The phone shows the same key check as the laptop, before the Approve button is pressed.
    expect(await textOf(phone.page.locator('#approve-fingerprint'), /^[\w-]{8}$/)).toBe(fingerprint);
    await textOf(laptop.page.locator('#qr-status'), /Scanned by “Anna’s phone”/);
    expect(await audit(phone.page)).toEqual([]);
    publishScreenshot(await screenshot(phone.page, 'dashboard-approve'), 'dashboard-approve.png');

    await phone.page.getByRole('button', { name: 'Approve' }).click();
    await textOf(phone.page.locator('#approve-status'), /Approved/);
    expect(phone.page.url()).toBe(`${suite.relay.url}/`);
    await laptop.expectSignedIn();
    await textOf(laptop.page.locator('#grant-list li', { hasText: 'This browser' }), /Office laptop.*logged in by QR/s);

    await phone.page.getByRole('button', { name: 'Refresh' }).click();
    const revoke = phone.page.getByRole('button', { name: 'Revoke Office laptop' });
    await revoke.click();
    await revoke.click();
    await laptop.expectSignedOut(/access was revoked/);
    await laptop.page.context().close();
  });

  it('tells the new browser when the phone denies it', async () => {
    const { laptop, approveUrl } = await newBrowserAsks('laptop-denied');
    await phone.page.goto(approveUrl);
    await phone.page.getByRole('button', { name: 'Deny' }).click();
    await textOf(phone.page.locator('#approve-status'), /Denied/);
    await textOf(laptop.page.locator('#qr-status'), /denied on the phone/);
    await laptop.page.context().close();
  });

  it('logged no console errors', () => {
    expect(suite.watch.problems).toEqual([]);
  });
});

describeInBrowser('dashboard: the QR code is redrawn when its scan id rotates', { env: { ALLOWED_HOSTS: '127.0.0.1', QR_SCAN_ROTATION: '1' } }, (suite) => {
  it('shows the new code and link', async () => {
    const laptop = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, 'laptop-rotation');
    await laptop.page.getByRole('button', { name: 'Show a QR code' }).click();
    const first = await textOf(laptop.page.locator('#qr-url'), /\/\?approve=[\w-]+$/);
    const firstSrc = await laptop.page.locator('#qr-image').getAttribute('src');
    const second = await textOf(laptop.page.locator('#qr-url'), new RegExp(`/\\?approve=(?!${new URL(first).searchParams.get('approve')}$)[\\w-]+$`), 8000);
    expect(second).not.toBe(first);
    expect(await laptop.page.locator('#qr-image').getAttribute('src')).not.toBe(firstSrc);
    await eventually(async () => String(await laptop.page.locator('#qr-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)), /^[1-9]\d*$/);
    await laptop.page.context().close();
  });

  it('logged no console errors', () => {
    expect(suite.watch.problems).toEqual([]);
  });
});
