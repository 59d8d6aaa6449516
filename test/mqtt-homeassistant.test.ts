import { afterEach, beforeAll, expect, it } from 'vitest';
import { command, eventually } from './helpers/devices.ts';
import { connectClient, mosquittoBinary, type Mosquitto, useMosquitto } from './helpers/mosquitto.ts';
import { nextMatching, waitForDevice } from './helpers/mqtt/bridged.ts';
import { haLightConfigTopic, startFakeHaLight } from './helpers/mqtt/homeassistant.ts';
import { closeSockets, connectDashboard, getJson, pair, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('MQTT bridge: Home Assistant discovery end to end', mosquittoBinary(), 'mosquitto', (binary) => {
  const brokerOf = useMosquitto(binary);
  let broker: Mosquitto;
  let relay: TestRelay;

  beforeAll(() => {
    broker = brokerOf();
  });
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('follows discovered entities: JSON light with availability, optimistic switch, lock, climate and a sensor', async () => {
    const light = await startFakeHaLight(broker.url, 'kitchen', 'Kitchen ceiling');
    const other = await connectClient(broker.url);
    // A switch with no state topic (optimistic), a lock, a climate and a sensor, in long and short keys.
    await other.publishAsync('homeassistant/switch/fan/config', JSON.stringify({ name: 'Fan', command_topic: 'fan/cmd', payload_on: '1', payload_off: '0' }), { retain: true });
    await other.publishAsync('homeassistant/lock/door/config', JSON.stringify({ name: 'Door', uniq_id: 'door1', cmd_t: 'door/set', stat_t: 'door/state' }), { retain: true });
    await other.publishAsync('homeassistant/climate/trv/config', JSON.stringify({ name: 'TRV', uniq_id: 'trv1', temp_cmd_t: 'trv/target/set', temp_stat_t: 'trv/target', curr_temp_t: 'trv/current' }), { retain: true });
    await other.publishAsync('homeassistant/sensor/outside/temperature/config', JSON.stringify({ name: 'Outside', uniq_id: 'outside_t', stat_t: 'outside/t' }), { retain: true });
    await other.publishAsync('door/state', 'LOCKED', { retain: true });
    await other.publishAsync('trv/target', '19', { retain: true });
    await other.publishAsync('trv/current', '17.5', { retain: true });
    await other.publishAsync('outside/t', '4.5', { retain: true });
    // The lock and the TRV echo their commands as HA devices do.
    other.on('message', (topic, payload) => {
      if (topic === 'door/set') void other.publishAsync('door/state', payload.toString() === 'LOCK' ? 'LOCKED' : 'UNLOCKED', { retain: true });
      if (topic === 'trv/target/set') void other.publishAsync('trv/target', payload.toString(), { retain: true });
    });
    await other.subscribeAsync(['door/set', 'trv/target/set', 'fan/cmd']);
    const fanCommands: string[] = [];
    other.on('message', (topic, payload) => topic === 'fan/cmd' && fanCommands.push(payload.toString()));

    relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'homeassistant', DEVICE_COMMAND_TIMEOUT: '2' } });
    const { token } = await pair(relay);

    expect(await waitForDevice(relay, token, 'homeassistant:kitchen_light', (d) => d.online && d.state.on === false)).toMatchObject({
      name: 'Kitchen ceiling',
      type: 'light',
      actions: ['turn_on', 'turn_off', 'toggle', 'set_brightness'],
      state: { on: false, brightness: 50 },
      bridge: { driver: 'homeassistant', capabilities: ['light'] },
    });
    expect(await waitForDevice(relay, token, 'homeassistant:fan')).toMatchObject({ name: 'Fan', type: 'switch', actions: ['turn_on', 'turn_off', 'toggle'] });
    expect(await waitForDevice(relay, token, 'homeassistant:door1', (d) => d.state.locked === true)).toMatchObject({ type: 'lock', actions: ['lock', 'unlock'] });
    expect(await waitForDevice(relay, token, 'homeassistant:trv1', (d) => d.state.currentC === 17.5)).toMatchObject({ type: 'thermostat', actions: ['set_target'], state: { targetC: 19 } });
    expect(await waitForDevice(relay, token, 'homeassistant:outside_t', (d) => d.state.value === 4.5)).toMatchObject({ type: 'sensor', actions: [] });

    const on = await command(relay, token, 'homeassistant:kitchen_light', { action: 'turn_on' });
    expect(on.status).toBe(200);
    expect(on.body.device.state).toMatchObject({ on: true, brightness: 50 });
    const dim = await command(relay, token, 'homeassistant:kitchen_light', { action: 'set_brightness', params: { brightness: 20 } });
    expect(dim.body.device.state.brightness).toBe(20);
    expect(light.state.brightness).toBe(51);
    expect(light.commands.every((c) => !c.retain)).toBe(true);
    expect((await command(relay, token, 'homeassistant:fan', { action: 'turn_on' })).body.device.state.on).toBe(true);
    expect((await command(relay, token, 'homeassistant:fan', { action: 'toggle' })).body.device.state.on).toBe(false);
    // Optimistic: the 200 comes right after the publish, before the broker delivers it.
    await eventually(() => fanCommands.length === 2);
    expect(fanCommands).toEqual(['1', '0']);
    expect((await command(relay, token, 'homeassistant:door1', { action: 'unlock' })).body.device.state.locked).toBe(false);
    expect((await command(relay, token, 'homeassistant:trv1', { action: 'set_target', params: { target: 21 } })).body.device.state.targetC).toBe(21);

    const dashboard = await connectDashboard(relay, token);
    const flipped = nextMatching(dashboard, 'device:state', (d) => d.id === 'homeassistant:kitchen_light');
    await light.flip();
    expect((await flipped).state.on).toBe(false);
    const offline = nextMatching(dashboard, 'device:offline', (d) => d.id === 'homeassistant:kitchen_light');
    await light.setAvailable(false);
    await offline;
    expect((await command(relay, token, 'homeassistant:kitchen_light', { action: 'turn_on' })).status).toBe(409);

    // An empty retained config removes the entity: it goes offline and stays listed (like a socket device gone).
    await other.publishAsync('homeassistant/sensor/outside/temperature/config', '', { retain: true });
    await waitForDevice(relay, token, 'homeassistant:outside_t', (d) => !d.online);
    expect((await getJson(`${relay.url}/api/v1/devices/homeassistant:outside_t`, token)).body.online).toBe(false);

    for (const t of [haLightConfigTopic('kitchen'), 'homeassistant/switch/fan/config', 'homeassistant/lock/door/config', 'homeassistant/climate/trv/config']) {
      await other.publishAsync(t, '', { retain: true });
    }
    await light.close();
    await other.endAsync();
  }, 30_000);
});
