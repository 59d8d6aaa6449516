import { expect, it } from 'vitest';
import { Dashboard, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

// One wrong code burns it, one burned code locks the home.
describeInBrowser('pairing lock-out shown in words', { env: { PAIRING_MAX_ATTEMPTS: '1', PAIRING_LOCK_AFTER: '1' } }, (suite) => {

  it('warns on the kiosk, explains it on the dashboard, and the kiosk can unlock it', async () => {
    suite.watch.expectStatus(429, 423);
    const kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
    const dash = await Dashboard.open(suite.browser, suite.relay.url, suite.watch, 'guesser');
    await dash.requestCode('Guesser');
    const code = await kiosk.readCode();
    await dash.typeCode(code === '000000' ? '999999' : '000000');
    await textOf(dash.page.locator('#claim-status'), /Too many wrong codes: that code is cancelled/);

    await textOf(kiosk.page.locator('#pairing-lock'), /Pairing is locked until \d\d?:\d\d.* after too many wrong codes/);
    expect(await kiosk.page.locator('#pairing-code').isVisible()).toBe(false);

    await dash.page.getByRole('button', { name: 'Show code on my intercom' }).click();
    await textOf(dash.page.locator('#request-status'), /Pairing is locked until \d\d?:\d\d/);

    // The household, at the screen, lifts the lock; the dashboard can ask again at once.
    await kiosk.page.getByRole('button', { name: 'Unlock pairing' }).click();
    await textOf(kiosk.page.locator('#pairing-message'), /Pairing unlocked/);
    expect(await kiosk.page.locator('#pairing-lock').isVisible()).toBe(false);
    await dash.requestCode('Owner');
    await dash.typeCode(await kiosk.readCode());
    await dash.expectSignedIn();
    expect(suite.watch.problems).toEqual([]);
  });
});
