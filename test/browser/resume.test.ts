import { beforeAll, it } from 'vitest';
import { connectDevice, type FakeDevice } from '../helpers/devices.ts';
import { Dashboard, Kiosk, textOf } from './pages.ts';
import { describeInBrowser } from './suite.ts';

/**
 * The pages load the device list once; after a drop they must catch up from the relay's replay
 * (`auth.since`), because nothing else tells them what changed while they were away.
 */
describeInBrowser('kiosk and dashboard pages resume after a drop', {}, (suite) => {
  let lamp: FakeDevice;
  let kiosk: Kiosk;
  let dash: Dashboard;

  beforeAll(async () => {
    lamp = await connectDevice(suite.relay, { deviceId: 'desk-lamp', name: 'Desk lamp', actions: ['turn_on', 'turn_off', 'set_brightness'] });
    kiosk = await Kiosk.open(suite.browser, suite.relay.url, suite.watch);
    dash = await Dashboard.paired(suite.browser, suite.relay.url, suite.watch, kiosk, 'Anna’s laptop', 'dashboard');
    for (const page of [kiosk, dash]) await textOf(page.device('Desk lamp'), /Off/);
  });

  it('shows on the dashboard a change made while its socket was cut', async () => {
    // A server-side cut: the page reconnects by itself 1.5 s later, with its position.
    suite.relay.server.io.of('/').disconnectSockets();
    await lamp.socket.emitWithAck('state', { state: { on: true, brightness: 30 } });
    await textOf(dash.device('Desk lamp'), /On · 30% bright/);
  });

  it('shows on the kiosk a change made while its socket was cut', async () => {
    suite.relay.server.io.of('/kiosk').disconnectSockets();
    await lamp.socket.emitWithAck('state', { state: { on: false } });
    await textOf(kiosk.device('Desk lamp'), /Off/);
    await textOf(dash.device('Desk lamp'), /Off/);
  });
});
