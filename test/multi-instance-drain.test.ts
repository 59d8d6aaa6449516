import { expect, it, vi } from 'vitest';
import type { DeviceRecord } from '../src/devices/types.ts';
import { keys } from '../src/store/keys.ts';
import { useClusters } from './helpers/cluster.ts';
import { connectDevice, eventually, type FakeDevice } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectDashboard, connectKiosk, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const DEVICES = 300;
const recordPrefix = keys.deviceRecord('home-1', '');

describeWith('an instance stopping with hundreds of devices (issue 16)', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  it('marks its devices offline in one batch everywhere, leaves a device that moved online, and closes within seconds', async () => {
    const cluster = await clusters.start(2, { MAX_DEVICES_PER_HOME: '1000' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const { token } = await pair(b, { kiosk: await connectKiosk(b) });
    const ids = Array.from({ length: DEVICES }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
    const onA: FakeDevice[] = [];
    for (let i = 0; i < ids.length; i += 50) onA.push(...(await Promise.all(ids.slice(i, i + 50).map((deviceId) => connectDevice(a, { deviceId })))));
    // "mover" was on A and has reconnected to B: its record names B's socket, whatever A still holds.
    await connectDevice(a, { deviceId: 'mover' });
    const mover = await connectDevice(b, { deviceId: 'mover' });

    const dashboard = await connectDashboard(b, token);
    const offline: string[] = [];
    dashboard.on('device:offline', (device: { id: string }) => offline.push(device.id));
    const log = b.store.openEventLog?.(b.config.resume);
    if (!log) throw new Error('the Redis store has a shared resume log');
    const before = (await log.read('home-1', null)).position;

    // Every store write A makes to a device record while it stops.
    const singles = vi.spyOn(a.store, 'update');
    const batches = vi.spyOn(a.store, 'updateMany');
    const started = Date.now();
    await a.close();
    const closeMs = Date.now() - started;

    await eventually(() => offline.length >= DEVICES, 10_000);
    const records = await Promise.all(ids.map((id) => b.store.get<DeviceRecord>(keys.deviceRecord('home-1', id))));
    expect(records.filter((r) => r?.online === false && r.connectionId === null)).toHaveLength(DEVICES);
    expect([...offline].sort()).toEqual(ids);

    // The device that moved stays online on B, with B's connection.
    const moved = await b.store.get<DeviceRecord>(keys.deviceRecord('home-1', 'mover'));
    expect(moved).toMatchObject({ online: true });
    expect(moved?.connectionId?.endsWith(`/${mover.socket.id}`)).toBe(true);

    // The other instances' resuming sockets can replay what happened while they were away.
    const read = await log.read('home-1', before);
    expect(read.status).toBe('ok');
    const logged = read.status === 'ok' ? read.entries.filter((e) => e.event === 'device:offline').map((e) => (e.payload as { id: string }).id) : [];
    expect(logged.sort()).toEqual(ids);

    // One batched write for all of them, not one per device (the old drain made 300 updates here).
    const recordKeys = (k: unknown) => typeof k === 'string' && k.startsWith(recordPrefix);
    expect(singles.mock.calls.filter(([key]) => recordKeys(key))).toHaveLength(0);
    const sizes = batches.mock.calls.map(([written]) => written.filter(recordKeys).length).filter((n) => n > 0);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(DEVICES);
    // At most the batch and, if A saw the mover's old socket go before it stopped, that one.
    expect(sizes.length).toBeLessThanOrEqual(2);
    // Far inside the 5 s shutdown deadline of src/main.ts.
    expect(closeMs).toBeLessThan(4000);
    expect(offline).not.toContain('mover');
    await eventually(() => onA.every((device) => !device.socket.connected));
  }, 60_000);
});
