import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeSettingsStore } from '../../src/bridges/mqtt/settings.ts';
import { mosquittoBinary, type Mosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { type FakeZ2m, startFakeZ2m, z2mExposes } from '../helpers/mqtt/zigbee2mqtt.ts';
import { describeWith } from '../helpers/requires.ts';
import { publishScreenshot, screenshot } from './harness.ts';
import { Dashboard, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

describeWith('browser: a bridged MQTT light', mosquittoBinary(), 'mosquitto', (binary) => {
  describeInBrowser('dashboard shows and switches a zigbee2mqtt light', {}, (suite) => {
    let broker: Mosquitto;
    let z2m: FakeZ2m;
    let dash: Dashboard;

    beforeAll(async () => {
      broker = await startMosquitto(binary);
      z2m = await startFakeZ2m(broker.url, [{ friendly: 'Garden lantern', exposes: z2mExposes.light, state: { state: 'OFF', brightness: 127 } }]);
      // As `relay bridges add home-1 <url> --drivers zigbee2mqtt` would: the running relay follows the store.
      await new BridgeSettingsStore({ store: suite.relay.store, clock: suite.relay.clock, config: suite.relay.config }).put('home-1', {
        url: broker.url,
        drivers: ['zigbee2mqtt'],
      });
      const kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
      dash = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Garden tablet', 'dashboard');
    });
    afterAll(async () => {
      await z2m?.close();
      await broker?.kill();
    });

    it('lists the bridged light with its state and toggles it by clicking', async () => {
      const lantern = dash.device('Garden lantern');
      await textOf(lantern, /Off/, 15_000);
      const power = lantern.getByRole('switch', { name: 'Garden lantern power' });
      await power.click();
      await textOf(lantern, /On · 50% bright/);
      expect(await power.getAttribute('aria-checked')).toBe('true');
      expect(z2m.sets.at(-1)).toMatchObject({ friendly: 'Garden lantern', payload: { state: 'ON' }, retain: false });
      // A wall switch turning it off reaches the page.
      await z2m.physical('Garden lantern', { state: 'OFF' });
      await textOf(lantern, /Off/);
      publishScreenshot(await screenshot(dash.page, 'dashboard-mqtt-light'), 'dashboard-mqtt.png');
      expect(suite.watch.problems).toEqual([]);
    });
  });
});
