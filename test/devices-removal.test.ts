import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { HOUR as GUEST_HOUR, lampAndLock, lightOnly, ownerAndGuest } from './guests/helpers.ts';
import { connectDevice, deviceAuth, eventually } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, emitAck, getJson, nextEvent, pair, startRelay, type TestRelay } from './helpers/relay.ts';

/** Devices a home no longer wants: a cap on ids, removal by a full grant or a kiosk, and retention. */

const HOUR = 3600_000;

describe('device caps, removal and retention', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  const remove = (token: string, id: string) =>
    fetch(`${relay.url}/api/v1/devices/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

  it('refuses a new deviceId past MAX_DEVICES_PER_HOME with too_many_devices; known ids still connect', async () => {
    relay = await startRelay({ env: { MAX_DEVICES_PER_HOME: '3' } });
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const lamps = [];
    for (const id of ['d-1', 'd-2', 'd-3']) lamps.push(await connectDevice(relay, { deviceId: id }));
    const refused = await connectSocket(`${relay.url}/device`, deviceAuth({ deviceId: 'phantom-1' })).then(
      () => null,
      (err: Error & { data?: unknown }) => ({ message: err.message, data: err.data }),
    );
    expect(refused).toEqual({ message: 'too_many_devices', data: { code: 'too_many_devices' } });
    // Racing handshakes of many new ids cannot slip past the cap either.
    await Promise.allSettled(Array.from({ length: 20 }, (_, i) => connectSocket(`${relay.url}/device`, deviceAuth({ deviceId: `phantom-${i + 2}` }))));
    lamps[0]!.socket.close();
    await connectDevice(relay, { deviceId: 'd-1' });
    await eventually(async () => (await getJson(`${relay.url}/api/v1/devices`, token)).body.devices.length === 3);
    expect((await getJson(`${relay.url}/api/v1/devices`, token)).body.devices.map((d: { id: string }) => d.id).sort()).toEqual(['d-1', 'd-2', 'd-3']);

    expect((await remove(token, 'd-2')).status).toBe(204);
    await connectDevice(relay, { deviceId: 'd-4' });
  });

  it('DELETE /api/v1/devices/:id forgets the device and its key, cuts its socket and tells dashboards and kiosks', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const { token } = await pair(relay, { kiosk });
    const enrolled = await emitAck(kiosk, 'device:enroll', { deviceId: 'lamp-1' });
    const lamp = await connectDevice(relay, { deviceKey: enrolled.data.deviceKey });
    const dashboard = await connectDashboard(relay, token);
    const cut = nextEvent<string>(lamp.socket, 'disconnect');
    const told = [nextEvent(dashboard, 'device:removed'), nextEvent(kiosk, 'device:removed')];

    const res = await remove(token, 'lamp-1');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await Promise.all(told)).toEqual([
      { id: 'lamp-1', reason: 'removed' },
      { id: 'lamp-1', reason: 'removed' },
    ]);
    expect(await cut).toBe('io server disconnect');
    expect((await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).status).toBe(404);
    expect((await getJson(`${relay.url}/api/v1/devices`, token)).body.devices).toEqual([]);
    const again = await remove(token, 'lamp-1');
    expect(again.status).toBe(404);
    expect((await again.json()).error.code).toBe('device_not_found');
    // The key went with it: the id can be enrolled again (a replaced device).
    expect((await emitAck(kiosk, 'device:enroll', { deviceId: 'lamp-1' })).ok).toBe(true);
    // Without a token: 401.
    expect((await fetch(`${relay.url}/api/v1/devices/x`, { method: 'DELETE' })).status).toBe(401);
    // The audit log names who removed it.
    const removals = async () => ((await getJson(`${relay.url}/api/v1/audit`, token)).body.entries as { event: string }[]).filter((e) => e.event === 'device.removed');
    await eventually(async () => (await removals()).length === 1, 5000);
    expect((await removals())[0]).toMatchObject({ target: 'lamp-1', outcome: 'ok', channel: 'rest', actor: { kind: 'grant' } });
  });

  it('refuses a guest (scoped grant) removing a device, even one in its scope: 403 insufficient_scope', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    await lampAndLock(relay);
    const { guest } = await ownerAndGuest(relay, lightOnly(relay.clock.now() + 2 * GUEST_HOUR), kiosk);
    const res = await remove(guest.token, 'hall-light');
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('insufficient_scope');
    expect((await emitAck(kiosk, 'devices:list')).data.devices.map((d: { id: string }) => d.id).sort()).toEqual(['front-door', 'hall-light']);
  });

  it('kiosk device:remove forgets a device; an unknown one is device_not_found', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const { token } = await pair(relay, { kiosk });
    await connectDevice(relay);
    const dashboard = await connectDashboard(relay, token);
    const told = nextEvent(dashboard, 'device:removed');
    expect(await emitAck(kiosk, 'device:remove', { deviceId: 'lamp-1' })).toEqual({ ok: true, data: {} });
    expect(await told).toEqual({ id: 'lamp-1', reason: 'removed' });
    expect(await emitAck(kiosk, 'device:remove', { deviceId: 'lamp-1' })).toMatchObject({ ok: false, error: { code: 'device_not_found' } });
    expect(await emitAck(kiosk, 'device:remove', { nope: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('prunes offline devices unseen for DEVICE_RETENTION and tells the home; online and recent ones stay', async () => {
    relay = await startRelay({ env: { DEVICE_RETENTION: '1d', DEVICE_PRUNE_INTERVAL: '200ms' } });
    const clock = relay.clock as FakeClock;
    const kiosk = await connectKiosk(relay);
    const { token } = await pair(relay, { kiosk });
    const old = await connectDevice(relay, { deviceId: 'old-1' });
    const recent = await connectDevice(relay, { deviceId: 'recent-1' });
    await connectDevice(relay, { deviceId: 'online-1' });
    const offline = nextEvent(kiosk, 'device:offline');
    old.socket.close();
    await offline;
    clock.advance(20 * HOUR);
    const offline2 = nextEvent(kiosk, 'device:offline');
    recent.socket.close();
    await offline2;

    const dashboard = await connectDashboard(relay, token);
    const removed: unknown[] = [];
    dashboard.on('device:removed', (d: unknown) => removed.push(d));
    clock.advance(5 * HOUR);
    await eventually(() => removed.length > 0, 5000);
    expect(removed).toEqual([{ id: 'old-1', reason: 'retention' }]);
    const ids = (await getJson(`${relay.url}/api/v1/devices`, token)).body.devices.map((d: { id: string }) => d.id).sort();
    expect(ids).toEqual(['online-1', 'recent-1']);
    // Much later the quiet online device is still kept; the recent one went too. (The kiosk asks: tokens expired.)
    clock.advance(30 * 24 * HOUR);
    const listed = async () => (await emitAck(kiosk, 'devices:list')).data.devices as { id: string; online: boolean }[];
    await eventually(async () => (await listed()).length === 1, 5000);
    expect((await listed())[0]).toMatchObject({ id: 'online-1', online: true });
    const pruned = async () => ((await emitAck(kiosk, 'audit:list', {})).data.entries as { event: string; target: string }[]).filter((e) => e.event === 'device.pruned');
    await eventually(async () => (await pruned()).length === 2, 5000);
    expect((await pruned()).map((e) => e.target)).toEqual(['old-1', 'recent-1']);
  });
});
