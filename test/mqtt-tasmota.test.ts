import { afterEach, beforeAll, expect, it } from 'vitest';
import { command } from './helpers/devices.ts';
import { connectClient, mosquittoBinary, type Mosquitto, useMosquitto } from './helpers/mosquitto.ts';
import { nextMatching, waitForDevice } from './helpers/mqtt/bridged.ts';
import { type FakeTasmota, startFakeTasmota } from './helpers/mqtt/tasmota.ts';
import { closeSockets, connectDashboard, pair, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('MQTT bridge: Tasmota end to end', mosquittoBinary(), 'mosquitto', (binary) => {
  const brokerOf = useMosquitto(binary);
  let broker: Mosquitto;
  let relay: TestRelay;
  const fakes: FakeTasmota[] = [];

  beforeAll(() => {
    broker = brokerOf();
  });
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    for (const fake of fakes.splice(0)) await fake.close().catch(() => undefined);
  });

  it('discovers plugs and dimmers, toggles them through POWER/RESULT, follows the wall button and the LWT', async () => {
    const plug = await startFakeTasmota(broker.url, { topic: 'kitchen_plug', name: 'Kitchen plug', mac: 'AA0000000001' });
    const dimmer = await startFakeTasmota(broker.url, { topic: 'hall_dimmer', name: 'Hall dimmer', dimmer: true, mac: 'AA0000000002' });
    const legacy = await startFakeTasmota(broker.url, { topic: 'old_socket', discovery: false });
    fakes.push(plug, dimmer, legacy);
    relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'tasmota', DEVICE_COMMAND_TIMEOUT: '2' } });
    const { token } = await pair(relay);

    expect(await waitForDevice(relay, token, 'tasmota:kitchen_plug', (d) => d.online && d.state.on === false)).toMatchObject({
      name: 'Kitchen plug',
      type: 'plug',
      actions: ['turn_on', 'turn_off', 'toggle'],
      source: 'mqtt',
      bridge: { driver: 'tasmota', name: 'kitchen_plug' },
    });
    expect(await waitForDevice(relay, token, 'tasmota:hall_dimmer', (d) => d.online && d.state.brightness === 60)).toMatchObject({
      type: 'light',
      actions: ['turn_on', 'turn_off', 'toggle', 'set_brightness'],
    });
    // Without discovery its first LWT introduces it.
    expect(await waitForDevice(relay, token, 'tasmota:old_socket')).toMatchObject({ name: 'old_socket', type: 'plug' });

    const on = await command(relay, token, 'tasmota:kitchen_plug', { action: 'turn_on' });
    expect(on.status).toBe(200);
    expect(on.body.device.state.on).toBe(true);
    expect(plug.state.power).toBe(true);
    const dim = await command(relay, token, 'tasmota:hall_dimmer', { action: 'set_brightness', params: { brightness: 35 } });
    expect(dim.body.device.state).toMatchObject({ on: true, brightness: 35 });
    expect((await command(relay, token, 'tasmota:old_socket', { action: 'toggle' })).body.device.state.on).toBe(true);
    // cmnd topics are never retained.
    expect([...plug.commands, ...dimmer.commands, ...legacy.commands].every(([, , retained]) => !retained)).toBe(true);
    expect(plug.commands.filter(([c, v]) => c === 'POWER' && v !== '')).toEqual([['POWER', 'ON', false]]);

    const dashboard = await connectDashboard(relay, token);
    const pressed = nextMatching(dashboard, 'device:state', (d) => d.id === 'tasmota:kitchen_plug');
    await plug.press();
    expect((await pressed).state.on).toBe(false);

    const offline = nextMatching(dashboard, 'device:offline', (d) => d.id === 'tasmota:kitchen_plug', 10_000);
    await plug.crash();
    expect((await offline).online).toBe(false);
    const refused = await command(relay, token, 'tasmota:kitchen_plug', { action: 'turn_on' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('device_offline');
  }, 30_000);

  it('a command Tasmota does not know gives 422', async () => {
    // A firmware without a dimmer answers Dimmer with {"Command":"Unknown"}: announce it as a dimmer anyway.
    const client = await connectClient(broker.url);
    const topic = 'fake_dimmer';
    client.on('message', () => void client.publishAsync(`stat/${topic}/RESULT`, JSON.stringify({ Command: 'Unknown' })));
    await client.subscribeAsync(`cmnd/${topic}/Dimmer`);
    await client.publishAsync('tasmota/discovery/BB0000000001/config', JSON.stringify({ t: topic, dn: 'Odd', lt_st: 1, rl: [2] }), { retain: true });
    await client.publishAsync(`tele/${topic}/LWT`, 'Online', { retain: true });
    relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'tasmota', DEVICE_COMMAND_TIMEOUT: '2' } });
    const { token } = await pair(relay);
    await waitForDevice(relay, token, `tasmota:${topic}`);
    const res = await command(relay, token, `tasmota:${topic}`, { action: 'set_brightness', params: { brightness: 10 } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'command_rejected' });
    expect(res.body.error.message).toContain('Unknown');
    // Removing the discovery config removes the device from the bridge (it goes offline).
    await client.publishAsync('tasmota/discovery/BB0000000001/config', '', { retain: true });
    await waitForDevice(relay, token, `tasmota:${topic}`, (d) => !d.online);
    await client.publishAsync(`tele/${topic}/LWT`, '', { retain: true });
    await client.endAsync();
  }, 30_000);
});
