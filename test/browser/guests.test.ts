import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { HUB_KEY } from '../helpers/relay.ts';
import { audit } from './a11y.ts';
import { screenshot } from './harness.ts';
import { Dashboard, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

describeInBrowser('guests: invite, claim in another browser, activity on the kiosk', {}, (suite) => {
  let devices: Simulator;
  let kiosk: Kiosk;
  let owner: Dashboard;

  beforeAll(async () => {
    devices = startSimulator({ url: suite.relay.url, serial: 'home-1', hubKey: HUB_KEY, tickMs: 3_600_000 });
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
    owner = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Anna’s phone', 'owner');
    await textOf(owner.device('Front door lock'), /Locked/);
  });

  afterAll(() => devices?.stop());

  it('the owner invites a guest for the light; the guest joins from the link, toggles it, never sees the lock; the kiosk shows it', async () => {
    const page = owner.page;
    await page.getByRole('button', { name: 'Reload devices' }).click();
    await page.getByLabel('Guest’s name').fill('Sam the sitter');
    await page.getByRole('checkbox', { name: 'Living room light', exact: true }).check();
    await page.getByRole('button', { name: 'Create invite' }).click();
    await textOf(page.locator('#invite-status'), /Invite for Sam the sitter created/);
    const code = (await page.locator('#invite-code').textContent()) ?? '';
    expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{10}$/);
    expect(await page.locator('#invite-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    const link = (await page.locator('#invite-url').getAttribute('href')) ?? '';
    expect(link).toContain(`/guest#code=${code}`);
    expect(await audit(page)).toEqual([]);
    await screenshot(page, 'dashboard-invite');

    // A second browser context: the guest's own phone, opening the link.
    const context = await suite.browser.newContext({ viewport: { width: 420, height: 860 } });
    const guest = suite.watch.watch(await context.newPage(), 'guest');
    await guest.goto(link.replace(/^http:\/\/localhost:\d+/, suite.relay.url));
    expect(guest.url()).not.toContain(code); // the code left the address bar
    expect(await guest.getByLabel('Invite code').inputValue()).toBe(code);
    await guest.getByLabel(/Your name/).fill('Sam');
    await guest.getByRole('button', { name: 'Join' }).click();
    await textOf(guest.locator('#live-status'), /^Live$/);
    const light = guest.locator('#device-list li', { hasText: 'Living room light' });
    await textOf(light, /Off/);
    expect(await guest.locator('#device-list li').count()).toBe(1);
    expect(await guest.locator('#device-list').textContent()).not.toMatch(/Front door/);
    await textOf(guest.locator('#guest-until'), /Access until/);

    await light.getByRole('switch', { name: 'Living room light power' }).click();
    await textOf(light, /On/);
    await textOf(owner.device('Living room light'), /On/);
    await textOf(kiosk.page.locator('#activity-list li').first(), /Sam turned on Living room light · \d\d:\d\d/);
    expect(await audit(guest)).toEqual([]);
    await screenshot(guest, 'guest-page');

    // The owner sees the guest with its terms among the paired clients, and can end it.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await textOf(page.locator('#grant-list li', { hasText: 'Sam' }), /Guest · living-room-light|Guest · .*light/);
    await textOf(kiosk.grant('Sam'), /ends in/);
    await screenshot(kiosk.page, 'kiosk-activity');
    await kiosk.grant('Sam').getByRole('button', { name: 'Revoke Sam' }).click();
    await kiosk.grant('Sam').getByRole('button', { name: /Confirm revoke/ }).click();
    await textOf(guest.locator('#notice'), /owner ended your guest access/);
    await context.close();
    expect(suite.watch.problems).toEqual([]);
  });
});
