import { afterAll, beforeAll, expect, it } from 'vitest';
import { Plug } from '../../src/simulator/models/plug.ts';
import { startSimulator, type Simulator } from '../../src/simulator/index.ts';
import { connectKiosk, HUB_KEY, pair } from '../helpers/relay.ts';
import { audit } from './a11y.ts';
import { publishScreenshot, screenshot } from './harness.ts';
import { Dashboard, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

describeInBrowser('kiosk and dashboard: devices in a real browser', {}, (suite) => {
  let devices: Simulator;
  let kiosk: Kiosk;
  let dash: Dashboard;

  beforeAll(async () => {
    // The simulated light, door lock, thermostat and plug: real /device clients of the relay.
    devices = startSimulator({ url: suite.relay.url, serial: 'home-1', hubKey: HUB_KEY, tickMs: 3_600_000 });
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
    dash = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Anna’s laptop', 'dashboard');
  });

  afterAll(async () => {
    devices?.stop();
  });

  it('lists the home’s devices with their state on both screens', async () => {
    for (const page of [kiosk, dash]) {
      await textOf(page.device('Living room light'), /Off/);
      await textOf(page.device('Front door lock'), /Locked/);
      await textOf(page.device('Hall thermostat'), /19\u00a0°C now · target 21\u00a0°C/);
      await textOf(page.device('Kitchen plug'), /Off/);
    }
  });

  it('switches the light from the dashboard and the kiosk follows', async () => {
    const power = dash.device('Living room light').getByRole('switch', { name: 'Living room light power' });
    await power.click();
    await textOf(dash.device('Living room light'), /On · 80% bright/);
    expect(await power.getAttribute('aria-checked')).toBe('true');
    await textOf(kiosk.device('Living room light'), /On · 80% bright/);
    expect(await kiosk.device('Living room light').getByRole('switch').getAttribute('aria-checked')).toBe('true');
  });

  it('dims the light on the kiosk and the dashboard follows', async () => {
    await kiosk.device('Living room light').getByLabel(/Brightness/).fill('40');
    await textOf(dash.device('Living room light'), /On · 40% bright/);
    expect(await dash.device('Living room light').getByLabel(/Brightness/).inputValue()).toBe('40');
  });

  it('unlocks the door and raises the thermostat', async () => {
    await dash.page.getByRole('button', { name: 'Unlock Front door lock' }).click();
    await textOf(kiosk.device('Front door lock'), /Unlocked/);
    await dash.page.getByRole('button', { name: 'Raise target temperature of Hall thermostat' }).click();
    await textOf(kiosk.device('Hall thermostat'), /target 21\.5\u00a0°C/);
  });

  it('says in words when the device refuses a command', async () => {
    const lock = dash.device('Front door lock');
    await lock.getByRole('button', { name: 'Jam: Front door lock', exact: true }).click();
    await textOf(lock, /jammed/);
    await lock.getByRole('button', { name: 'Lock Front door lock' }).click();
    await textOf(lock.locator('.device-error'), /The device refused the command\. It said: “The bolt is jammed/);
    await lock.getByRole('button', { name: 'Unjam: Front door lock', exact: true }).click();
    await textOf(lock.locator('.device-error'), /^$/);
  });

  it('shows a device going offline and explains a command sent to it', async () => {
    const porch = startSimulator({ url: suite.relay.url, serial: 'home-1', hubKey: HUB_KEY, devices: [new Plug('porch-plug', 'Porch plug')] });
    await textOf(dash.device('Porch plug'), /Online/);
    porch.stop();
    await textOf(kiosk.device('Porch plug'), /Offline/);
    await textOf(dash.device('Porch plug'), /Offline/);
    await dash.device('Porch plug').getByRole('switch', { name: 'Porch plug power' }).click();
    await textOf(dash.device('Porch plug').locator('.device-error'), /The device is offline\./);
  });

  it('drops a removed device from both screens', async () => {
    // A second paired client removes it (pairing through a kiosk socket of its own, not the page's).
    const kioskSocket = await connectKiosk(suite.relay);
    const { token } = await pair(suite.relay, { kiosk: kioskSocket });
    kioskSocket.close();
    const res = await fetch(`${suite.relay.url}/api/v1/devices/porch-plug`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    await expect.poll(() => dash.device('Porch plug').count(), { timeout: 5000 }).toBe(0);
    await expect.poll(() => kiosk.device('Porch plug').count(), { timeout: 5000 }).toBe(0);
  });

  it('looks right: screenshots, contrast and labels, no console errors', async () => {
    expect(await audit(dash.page)).toEqual([]);
    publishScreenshot(await screenshot(dash.page, 'dashboard-devices'), 'dashboard.png');
    await kiosk.page.getByRole('button', { name: 'Pair a new device' }).click();
    await kiosk.readCode();
    await kiosk.page.locator('#devices').evaluate((el) => el.scrollTo(0, 0));
    expect(await audit(kiosk.page)).toEqual([]);
    publishScreenshot(await screenshot(kiosk.page, 'kiosk-devices'), 'kiosk.png');
    // Chromium logs the 409 of the command to the offline plug only for REST; these went over the socket.
    expect(suite.watch.problems).toEqual([]);
  });
});
