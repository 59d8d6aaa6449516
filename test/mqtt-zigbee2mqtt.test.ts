import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { command, eventually } from './helpers/devices.ts';
import { connectClient, mosquittoBinary, type Mosquitto, useMosquitto } from './helpers/mosquitto.ts';
import { listDevices, nextMatching, waitForDevice } from './helpers/mqtt/bridged.ts';
import { type FakeZ2m, startFakeZ2m, z2mExposes } from './helpers/mqtt/zigbee2mqtt.ts';
import { closeSockets, connectDashboard, emitAck, getJson, nextEvent, pair, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('MQTT bridge: zigbee2mqtt end to end', mosquittoBinary(), 'mosquitto', (binary) => {
  const brokerOf = useMosquitto(binary);
  let broker: Mosquitto;
  let relay: TestRelay;
  let z2m: FakeZ2m;
  let token: string;

  beforeAll(() => {
    broker = brokerOf();
  });
  beforeEach(async () => {
    z2m = await startFakeZ2m(broker.url, [
      { friendly: 'living_lamp', exposes: z2mExposes.light, state: { state: 'OFF', brightness: 254 } },
      { friendly: 'kettle_plug', exposes: z2mExposes.switch, state: { state: 'OFF', power: 0 } },
      { friendly: 'front_door', exposes: z2mExposes.lock, state: { state: 'LOCK' } },
      { friendly: 'hall_trv', exposes: z2mExposes.climate, state: { occupied_heating_setpoint: 20, local_temperature: 18.5 } },
      { friendly: 'bathroom_sensor', exposes: z2mExposes.sensor, state: { temperature: 21.5, humidity: 60 } },
    ]);
    relay = await startRelay({ env: { MQTT_URL: broker.url, MQTT_DRIVERS: 'zigbee2mqtt', DEVICE_COMMAND_TIMEOUT: '2' } });
    token = (await pair(relay)).token;
    // Every device online with the state its start-up read returned.
    await eventually(async () => {
      const devices = await listDevices(relay, token);
      return devices.length === 5 && devices.every((d) => d.online && typeof d.state.linkquality === 'number');
    }, 10_000);
  });
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    await z2m?.close();
    // Retained inventory from one test must not leak into the next.
    const cleaner = await connectClient(broker.url);
    for (const topic of ['zigbee2mqtt/bridge/devices', ...[...z2m.devices.keys()].flatMap((f) => [`zigbee2mqtt/${f}/availability`, `zigbee2mqtt/${f}`])]) {
      await cleaner.publishAsync(topic, '', { retain: true });
    }
    await cleaner.endAsync();
  });

  it('lists zigbee2mqtt devices with mapped actions, state and capabilities', async () => {
    const lamp = await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp', (d) => d.online && d.state.brightness === 100);
    expect(lamp).toMatchObject({
      name: 'living_lamp',
      type: 'light',
      actions: ['turn_on', 'turn_off', 'toggle', 'set_brightness'],
      online: true,
      source: 'mqtt',
      bridge: { driver: 'zigbee2mqtt', name: 'living_lamp', capabilities: ['light', 'linkquality'] },
      state: { on: false, brightness: 100, linkquality: 120 },
    });
    expect(await waitForDevice(relay, token, 'zigbee2mqtt:kettle_plug')).toMatchObject({ type: 'switch', actions: ['turn_on', 'turn_off', 'toggle'] });
    expect(await waitForDevice(relay, token, 'zigbee2mqtt:front_door', (d) => d.online && 'locked' in d.state)).toMatchObject({
      type: 'lock',
      actions: ['lock', 'unlock'],
      state: { locked: true },
    });
    expect(await waitForDevice(relay, token, 'zigbee2mqtt:hall_trv', (d) => d.online && 'targetC' in d.state)).toMatchObject({
      type: 'thermostat',
      actions: ['set_target'],
      state: { targetC: 20, currentC: 18.5 },
    });
    // Unknown capabilities are listed, not offered.
    expect(await waitForDevice(relay, token, 'zigbee2mqtt:bathroom_sensor', (d) => d.online && 'humidity' in d.state)).toMatchObject({
      type: 'sensor',
      actions: [],
      bridge: { capabilities: ['temperature', 'humidity'] },
      state: { temperature: 21.5, humidity: 60 },
    });
    // The coordinator is not a device.
    expect((await getJson(`${relay.url}/api/v1/devices/zigbee2mqtt:Coordinator`, token)).status).toBe(404);
  });

  it('a REST command publishes /set (never retained) and the 200 carries the echoed state', async () => {
    await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp');
    const dashboard = await connectDashboard(relay, token);
    const pushed = nextMatching(dashboard, 'device:state', (d) => d.state.on === true);
    const on = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_on' });
    expect(on.status).toBe(200);
    expect(on.body.device).toMatchObject({ id: 'zigbee2mqtt:living_lamp', online: true, state: { on: true, brightness: 100 } });
    expect((await pushed).state.on).toBe(true);
    const dim = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'set_brightness', params: { brightness: 50 } });
    expect(dim.status).toBe(200);
    expect(dim.body.device.state).toMatchObject({ on: true, brightness: 50 });
    const toggled = await command(relay, token, 'zigbee2mqtt:kettle_plug', { action: 'toggle' });
    expect(toggled.body.device.state.on).toBe(true);
    expect((await command(relay, token, 'zigbee2mqtt:front_door', { action: 'unlock' })).body.device.state.locked).toBe(false);
    expect((await command(relay, token, 'zigbee2mqtt:hall_trv', { action: 'set_target', params: { target: 22.5 } })).body.device.state.targetC).toBe(22.5);
    expect(z2m.sets.map((s) => [s.friendly, s.payload])).toEqual([
      ['living_lamp', { state: 'ON' }],
      ['living_lamp', { brightness: 127, state: 'ON' }],
      ['kettle_plug', { state: 'TOGGLE' }],
      ['front_door', { state: 'UNLOCK' }],
      ['hall_trv', { occupied_heating_setpoint: 22.5 }],
    ]);
    expect(z2m.sets.every((s) => !s.retain)).toBe(true);
    // The dashboard socket takes the same path.
    const ack = await emitAck(dashboard, 'device:command', { deviceId: 'zigbee2mqtt:living_lamp', action: 'turn_off' });
    expect(ack).toMatchObject({ ok: true, data: { device: { state: { on: false } } } });
  });

  it('answers with the device errors of the contract', async () => {
    await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp');
    await waitForDevice(relay, token, 'zigbee2mqtt:bathroom_sensor');
    const unsupported = await command(relay, token, 'zigbee2mqtt:bathroom_sensor', { action: 'turn_on' });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.error.code).toBe('unsupported_action');
    const badParams = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'set_brightness', params: { brightness: 900 } });
    expect(badParams.status).toBe(422);
    z2m.failNext('living_lamp', 'error');
    const rejected = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_on' });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.code).toBe('command_rejected');
    expect(rejected.body.error.message).toContain('MAC no ack');
    z2m.failNext('living_lamp', 'silent');
    const started = Date.now();
    const timedOut = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_on' });
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1800);
    // An idempotency key sends once.
    const before = z2m.sets.length;
    const first = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_off' }, { 'idempotency-key': 'z-1' });
    const again = await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_off' }, { 'idempotency-key': 'z-1' });
    expect(again.body).toEqual(first.body);
    expect(z2m.sets.length).toBe(before + 1);
    // Bridged commands land in the home's audit log like socket ones, with their outcomes.
    const outcomes = async () =>
      ((await getJson(`${relay.url}/api/v1/audit?limit=500`, token)).body.entries as any[])
        .filter((e) => e.event === 'device.command' && String(e.target).startsWith('zigbee2mqtt:'))
        .map((e) => e.outcome);
    await eventually(async () => (await outcomes()).length >= 6, 5000);
    expect(new Set(await outcomes())).toEqual(new Set(['unsupported_action', 'rejected', 'timeout', 'ok', 'replayed']));
  });

  it('availability offline pushes device:offline and commands get 409; a wall switch reaches dashboards', async () => {
    await waitForDevice(relay, token, 'zigbee2mqtt:kettle_plug');
    const dashboard = await connectDashboard(relay, token);
    const changed = nextMatching(dashboard, 'device:state', (d) => d.id === 'zigbee2mqtt:kettle_plug');
    await z2m.physical('kettle_plug', { state: 'ON', power: 1800 });
    expect(await changed).toMatchObject({ id: 'zigbee2mqtt:kettle_plug', state: { on: true, power: 1800 } });
    const offline = nextMatching(dashboard, 'device:offline', (d) => d.id === 'zigbee2mqtt:kettle_plug');
    await z2m.setAvailability('kettle_plug', false);
    expect(await offline).toMatchObject({ id: 'zigbee2mqtt:kettle_plug', online: false });
    const refused = await command(relay, token, 'zigbee2mqtt:kettle_plug', { action: 'turn_off' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('device_offline');
    const online = nextMatching(dashboard, 'device:online', (d) => d.id === 'zigbee2mqtt:kettle_plug');
    await z2m.setAvailability('kettle_plug', true);
    expect(await online).toMatchObject({ id: 'zigbee2mqtt:kettle_plug', online: true, state: { on: true } });
    expect((await command(relay, token, 'zigbee2mqtt:kettle_plug', { action: 'turn_off' })).status).toBe(200);
  });

  it('caps what a hostile publisher on the broker can make the relay store and relay', async () => {
    const attacker = await connectClient(broker.url);
    // A state of 5,000 properties with long strings: the socket path refuses more than 8 KiB of state.
    const huge = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, 'x'.repeat(100)]));
    await attacker.publishAsync('zigbee2mqtt/kettle_plug', JSON.stringify({ ...huge, state: 'ON' }));
    const plug = await waitForDevice(relay, token, 'zigbee2mqtt:kettle_plug', (d) => d.state.on === true);
    expect(JSON.stringify(plug.state).length).toBeLessThanOrEqual(8 * 1024);
    // Wildcards in a friendly name must not become subscriptions; a flood of inventory entries is capped.
    const flood = Array.from({ length: 400 }, (_, i) => ({ friendly_name: `fake_${i}`, type: 'Router', definition: { exposes: z2mExposes.switch } }));
    await attacker.publishAsync(
      'zigbee2mqtt/bridge/devices',
      JSON.stringify([...flood, { friendly_name: '#', type: 'Router', definition: { exposes: z2mExposes.switch } }]),
    );
    await eventually(async () => (await listDevices(relay, token)).some((d) => d.id === 'zigbee2mqtt:fake_0'), 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const listed = await listDevices(relay, token);
    expect(listed.filter((d) => d.online).length).toBeLessThanOrEqual(256);
    expect(listed.some((d) => d.id === 'zigbee2mqtt:#')).toBe(false);
    await attacker.endAsync();
  }, 30_000);

  it('survives the broker going away: devices offline, /readyz 200, metrics say so, and all comes back', async () => {
    await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp');
    expect((await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_on' })).status).toBe(200);
    const dashboard = await connectDashboard(relay, token);
    const offline = nextEvent(dashboard, 'device:offline', 10_000);
    await broker.stop();
    expect((await offline).id).toMatch(/^zigbee2mqtt:/);
    await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp', (d) => !d.online);
    expect((await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_off' })).status).toBe(409);
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(200);
    await eventually(async () => (await (await fetch(`${relay.url}/metrics`)).text()).includes('relay_mqtt_bridge_state{serial="home-1",state="disconnected"} 1'), 5000);
    await broker.start();
    // The fake bridge re-publishes its retained inventory; the relay re-subscribes with backoff.
    const lamp = await waitForDevice(relay, token, 'zigbee2mqtt:living_lamp', (d) => d.online, 20_000);
    // Nothing lost: the state the relay knew before the outage is still there.
    expect(lamp.state.on).toBe(true);
    expect((await command(relay, token, 'zigbee2mqtt:living_lamp', { action: 'turn_off' })).body.device.state.on).toBe(false);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toContain('relay_mqtt_bridge_state{serial="home-1",state="connected"} 1');
    expect(metrics).toMatch(/relay_mqtt_bridge_devices\{serial="home-1"\} 5/);
  }, 40_000);
});
