import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { command, connectDevice, deviceAuth, eventually, sleep } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, emitAck, getJson, nextEvent, pair, startRelay, type TestRelay } from './helpers/relay.ts';

const device = {
  id: 'lamp-1',
  name: 'Desk lamp',
  type: 'light',
  actions: ['turn_on', 'turn_off'],
  online: true,
  state: { on: false },
  updatedAt: expect.any(String),
  source: 'socket',
};

describe('device registry and REST', () => {
  let relay: TestRelay;
  let token: string;
  beforeEach(async () => {
    relay = await startRelay();
    token = (await pair(relay)).token;
  });
  afterEach(async () => {
    closeSockets();
    await relay.close();
  });

  it('refuses device handshakes with the contract codes', async () => {
    const refused = async (auth: Record<string, unknown>) => {
      const err = await connectSocket(`${relay.url}/device`, auth).then(
        () => null,
        (e: Error & { data?: unknown }) => e,
      );
      return err && { message: err.message, data: err.data };
    };
    expect(await refused(deviceAuth({ serial: 'nope' }))).toEqual({ message: 'home_not_found', data: { code: 'home_not_found' } });
    expect(await refused(deviceAuth({ hubKey: 'wrong-key-wrong-key' }))).toEqual({ message: 'invalid_hub_key', data: { code: 'invalid_hub_key' } });
    expect(await refused({ serial: 'home-1' })).toEqual({ message: 'invalid_request', data: { code: 'invalid_request' } });
    for (const bad of [{ deviceId: '' }, { deviceId: 'a b' }, { actions: 'turn_on' }, { actions: ['x', 'x'] }, { name: '' }, { state: 'on' }, { type: 42 }]) {
      expect((await refused({ ...deviceAuth(), ...bad }))?.message).toBe('invalid_request');
    }
    // A wrong key with a malformed description still reads as a wrong key: nothing is learnt without it.
    expect((await refused({ ...deviceAuth({ hubKey: 'wrong-key-wrong-key' }), actions: 7 }))?.message).toBe('invalid_hub_key');
  });

  it('lists devices and shows one, with the contract device object', async () => {
    await connectDevice(relay);
    await connectDevice(relay, { deviceId: 'plug-1', name: 'Kettle plug', type: 'plug', actions: ['toggle'], state: { on: true, powerW: 0 } });
    const list = await getJson(`${relay.url}/api/v1/devices`, token);
    expect(list.status).toBe(200);
    expect(list.body.devices).toEqual([
      device,
      { ...device, id: 'plug-1', name: 'Kettle plug', type: 'plug', actions: ['toggle'], state: { on: true, powerW: 0 } },
    ]);
    expect(Number.isNaN(Date.parse(list.body.devices[0].updatedAt))).toBe(false);
    const one = await getJson(`${relay.url}/api/v1/devices/lamp-1`, token);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(device);
    const missing = await getJson(`${relay.url}/api/v1/devices/nope`, token);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('device_not_found');
    expect((await getJson(`${relay.url}/api/v1/devices`)).status).toBe(401);
  });

  it('relays a command and returns the device with its new state', async () => {
    const lamp = await connectDevice(relay);
    const res = await command(relay, token, 'lamp-1', { action: 'turn_on', params: { fade: 2 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ commandId: expect.any(String), device: { ...device, state: { on: true } } });
    expect(lamp.commands).toEqual([{ commandId: res.body.commandId, action: 'turn_on', params: { fade: 2 } }]);
    expect((await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).body.state).toEqual({ on: true });
  });

  it('answers every command error with its code', async () => {
    await connectDevice(relay, {
      onCommand: (c) => (c.action === 'turn_on' ? { ok: false, error: { code: 'overheated', message: 'The bulb is too hot.' } } : { ok: true }),
    });
    const cases: [unknown, number, string][] = [
      [{ action: 'explode' }, 400, 'unsupported_action'],
      [{}, 400, 'invalid_request'],
      [{ action: 'turn_on', extra: 1 }, 400, 'invalid_request'],
      [{ action: 'turn_on', params: 'bright' }, 400, 'invalid_request'],
      ['{"action":', 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await command(relay, token, 'lamp-1', body);
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status, code });
    }
    const rejected = await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({ code: 'command_rejected', message: 'The bulb is too hot.' });
    const missing = await command(relay, token, 'nope', { action: 'turn_on' });
    expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 404, code: 'device_not_found' });
    const unauthenticated = await fetch(`${relay.url}/api/v1/devices/lamp-1/commands`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);
  });

  it('reports an offline device with 409 and never queues for it', async () => {
    const lamp = await connectDevice(relay);
    const kiosk = await connectKiosk(relay);
    const offline = nextEvent(kiosk, 'device:offline');
    lamp.socket.close();
    expect(await offline).toEqual({ ...device, online: false });
    const res = await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('device_offline');
    expect((await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).body.online).toBe(false);

    const again = await connectDevice(relay);
    await sleep(200);
    expect(again.commands).toEqual([]);
  });

  it('replaces an earlier connection with the same deviceId and stays online', async () => {
    const kiosk = await connectKiosk(relay);
    const firstOnline = nextEvent(kiosk, 'device:online');
    const first = await connectDevice(relay);
    await firstOnline;
    const seen: string[] = [];
    // Device events only: the audit log's entries reach kiosks on their own 10 ms group-commit timer.
    kiosk.onAny((event) => event !== 'audit:entry' && seen.push(event));
    const firstGone = nextEvent(first.socket, 'disconnect');
    const second = await connectDevice(relay, { name: 'Desk lamp v2' });
    expect(await firstGone).toBe('io server disconnect');
    await sleep(200);
    expect(seen).toEqual(['device:online']);
    const shown = await getJson(`${relay.url}/api/v1/devices/lamp-1`, token);
    expect(shown.body).toMatchObject({ online: true, name: 'Desk lamp v2' });
    const res = await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(res.status).toBe(200);
    expect(second.commands).toHaveLength(1);
    expect(first.commands).toHaveLength(0);
  });

  it('accepts a command sent the instant device:online arrives', async () => {
    const dashboard = await connectDashboard(relay, token);
    const answered = new Promise((resolve) =>
      dashboard.once('device:online', () => resolve(emitAck(dashboard, 'device:command', { deviceId: 'lamp-1', action: 'turn_on' }))),
    );
    await connectDevice(relay);
    expect(await answered).toMatchObject({ ok: true, data: { device: { online: true, state: { on: true } } } });
  });

  it('fans device state out to the home’s kiosks and dashboards, and no other home', async () => {
    const key2 = await relay.server.services.homes.add('home-2');
    const kiosk = await connectKiosk(relay);
    const dashboard = await connectDashboard(relay, token);
    const otherKiosk = await connectKiosk(relay, 'home-2', key2);
    const otherDashboard = await connectDashboard(relay, (await pair(relay, { serial: 'home-2', hubKey: key2 })).token);
    const leaked: string[] = [];
    // Device events only: home-2's kiosk may still get the audit entry of its own pairing just above.
    for (const s of [otherKiosk, otherDashboard]) s.onAny((event: string) => event.startsWith('device:') && leaked.push(event));

    const online = [nextEvent(kiosk, 'device:online'), nextEvent(dashboard, 'device:online')];
    const lamp = await connectDevice(relay);
    expect(await Promise.all(online)).toEqual([device, device]);

    const states = [nextEvent(kiosk, 'device:state'), nextEvent(dashboard, 'device:state')];
    const reply = await lamp.socket.timeout(3000).emitWithAck('state', { state: { on: true, brightness: 40 } });
    expect(reply).toEqual({ ok: true, data: {} });
    for (const state of await Promise.all(states)) expect(state).toEqual({ ...device, state: { on: true, brightness: 40 } });

    const viaCommand = nextEvent(dashboard, 'device:state');
    await command(relay, token, 'lamp-1', { action: 'turn_off' });
    expect((await viaCommand).state).toEqual({ on: false });

    expect(await lamp.socket.timeout(3000).emitWithAck('state', { on: true })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    // One round trip on each other-home socket: whatever a home's fan-out sent them arrives before the answer.
    await emitAck(otherKiosk, 'grants:list');
    await emitAck(otherDashboard, 'devices:list');
    expect(leaked).toEqual([]);
  });

  it('keeps homes apart: another home’s token neither sees nor commands the device', async () => {
    const key2 = await relay.server.services.homes.add('home-2');
    const lamp = await connectDevice(relay);
    await connectDevice(relay, { serial: 'home-2', hubKey: key2, deviceId: 'lamp-1', name: 'Their lamp' });
    const theirs = (await pair(relay, { serial: 'home-2', hubKey: key2 })).token;

    expect((await getJson(`${relay.url}/api/v1/devices`, theirs)).body.devices.map((d: { name: string }) => d.name)).toEqual(['Their lamp']);
    const res = await command(relay, theirs, 'lamp-1', { action: 'turn_on' });
    expect(res.status).toBe(200);
    expect(res.body.device.name).toBe('Their lamp');
    expect(lamp.commands).toEqual([]);

    const dashboard = await connectDashboard(relay, theirs);
    const listed = await dashboard.timeout(3000).emitWithAck('devices:list', {});
    expect(listed.data.devices.map((d: { name: string }) => d.name)).toEqual(['Their lamp']);
    await eventually(() => lamp.commands.length === 0);
  });
});
