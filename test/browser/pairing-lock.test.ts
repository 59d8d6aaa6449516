import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { browserUnavailable, ConsoleWatch, launchChromium, mustRun } from './harness.ts';
import { Dashboard, Kiosk, textOf } from './pages.ts';

const missing = browserUnavailable();

describe.skipIf(missing !== null && !mustRun)('pairing lock-out shown in words', () => {
  let relay: TestRelay;
  let browser: Browser;
  const watch = new ConsoleWatch();

  beforeAll(async () => {
    if (missing) throw new Error(`browser tests must run under CI: ${missing}`);
    // One wrong code burns it, one burned code locks the home.
    relay = await startRelay({ clock: systemClock, env: { PAIRING_MAX_ATTEMPTS: '1', PAIRING_LOCK_AFTER: '1' } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  it('warns on the kiosk and explains it on the dashboard', async () => {
    watch.expectStatus(429, 423);
    const kiosk = await Kiosk.open(browser, relay.url, watch);
    const dash = await Dashboard.open(browser, relay.url, watch, 'guesser');
    await dash.requestCode('Guesser');
    const code = await kiosk.readCode();
    await dash.typeCode(code === '000000' ? '999999' : '000000');
    await textOf(dash.page.locator('#claim-status'), /Too many wrong codes: that code is cancelled/);

    await textOf(kiosk.page.locator('#pairing-lock'), /Pairing is locked until \d\d?:\d\d.* after too many wrong codes/);
    expect(await kiosk.page.locator('#pairing-code').isVisible()).toBe(false);

    await dash.page.getByRole('button', { name: 'Show code on my intercom' }).click();
    await textOf(dash.page.locator('#request-status'), /Pairing is locked until \d\d?:\d\d/);
    expect(watch.problems).toEqual([]);
  });
});
