import { afterEach, beforeAll, expect, it } from 'vitest';
import { command } from './helpers/devices.ts';
import { mosquittoBinary, type Mosquitto, useMosquitto } from './helpers/mosquitto.ts';
import { nextMatching, waitForDevice } from './helpers/mqtt/bridged.ts';
import { type FakeShelly, startFakeShelly } from './helpers/mqtt/shelly.ts';
import { closeSockets, connectDashboard, pair, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('MQTT bridge: Shelly Gen2 RPC end to end', mosquittoBinary(), 'mosquitto', (binary) => {
  const brokerOf = useMosquitto(binary);
  let broker: Mosquitto;
  let relay: TestRelay;
  const fakes: FakeShelly[] = [];

  beforeAll(() => {
    broker = brokerOf();
  });
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    for (const fake of fakes.splice(0)) await fake.close().catch(() => undefined);
  });

  it('learns devices by GetStatus, commands by JSON-RPC with our src, refusals are 422, NotifyStatus and online follow', async () => {
    const relayBox = await startFakeShelly(broker.url, { id: 'shellyplus1pm-a8032ab12345', name: 'Boiler' });
    const dimmer = await startFakeShelly(broker.url, { id: 'shellyplusdimmer-b1', kind: 'light' });
    fakes.push(relayBox, dimmer);
    relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'shelly', DEVICE_COMMAND_TIMEOUT: '2' } });
    const { token } = await pair(relay);

    const boiler = await waitForDevice(relay, token, 'shelly:shellyplus1pm-a8032ab12345', (d) => d.online && d.name === 'Boiler');
    expect(boiler).toMatchObject({
      type: 'switch',
      actions: ['turn_on', 'turn_off', 'toggle'],
      state: { on: false, powerW: 0 },
      bridge: { driver: 'shelly', capabilities: ['switch:0', 'input:0'] },
    });
    expect(await waitForDevice(relay, token, 'shelly:shellyplusdimmer-b1')).toMatchObject({ type: 'light', name: 'shellyplusdimmer-b1', state: { on: false, brightness: 40 } });

    const on = await command(relay, token, 'shelly:shellyplus1pm-a8032ab12345', { action: 'turn_on' });
    expect(on.status).toBe(200);
    expect(on.body.device.state.on).toBe(true);
    const toggled = await command(relay, token, 'shelly:shellyplus1pm-a8032ab12345', { action: 'toggle' });
    expect(toggled.body.device.state.on).toBe(false);
    const dim = await command(relay, token, 'shelly:shellyplusdimmer-b1', { action: 'set_brightness', params: { brightness: 75 } });
    expect(dim.body.device.state).toMatchObject({ on: true, brightness: 75 });
    const setCalls = relayBox.calls.filter((c) => !c.method.startsWith('Shelly.'));
    expect(setCalls.map((c) => [c.method, c.params])).toEqual([
      ['Switch.Set', { id: 0, on: true }],
      ['Switch.Toggle', { id: 0 }],
    ]);
    // Replies come back on our own prefix, the same for every call of this bridge session.
    expect(new Set(relayBox.calls.map((c) => c.src)).size).toBe(1);
    expect(relayBox.calls[0]!.src).toMatch(/^home-relay-/);

    relayBox.failNext(-103, 'Overtemperature protection');
    const refused = await command(relay, token, 'shelly:shellyplus1pm-a8032ab12345', { action: 'turn_on' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'command_rejected', message: 'Overtemperature protection', details: { reason: 'rpc_-103' } });

    const dashboard = await connectDashboard(relay, token);
    const pressed = nextMatching(dashboard, 'device:state', (d) => d.id === 'shelly:shellyplus1pm-a8032ab12345');
    await relayBox.press();
    expect((await pressed).state.on).toBe(true);
    const offline = nextMatching(dashboard, 'device:offline', (d) => d.id === 'shelly:shellyplus1pm-a8032ab12345');
    await relayBox.setOnline(false);
    await offline;
    expect((await command(relay, token, 'shelly:shellyplus1pm-a8032ab12345', { action: 'turn_off' })).status).toBe(409);
    const back = nextMatching(dashboard, 'device:online', (d) => d.id === 'shelly:shellyplus1pm-a8032ab12345');
    await relayBox.setOnline(true);
    await back;
    expect((await command(relay, token, 'shelly:shellyplus1pm-a8032ab12345', { action: 'turn_off' })).status).toBe(200);
  }, 30_000);
});
