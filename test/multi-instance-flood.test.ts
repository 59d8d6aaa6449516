import { expect, it } from 'vitest';
import type { DeviceRecord } from '../src/devices/types.ts';
import { useClusters } from './helpers/cluster.ts';
import { connectDevice, eventually } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectDashboard, connectKiosk, emitAck, getJson, nextEvent, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

/** Issue 12 across instances: removal reaches the device's instance, floods stay coalesced on Redis. */
describeWith('device removal and state floods across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  it('DELETE on A forgets the device held by B, cuts its socket, and tells dashboards on C and kiosks on B', async () => {
    const [a, b, c] = await clusters.three();
    const kiosk = await connectKiosk(b);
    const { token } = await pair(a, { kiosk });
    const lamp = await connectDevice(b);
    const onC = await connectDashboard(c, token);
    const cut = nextEvent<string>(lamp.socket, 'disconnect');
    const told = [nextEvent(onC, 'device:removed'), nextEvent(kiosk, 'device:removed')];
    const res = await fetch(`${a.url}/api/v1/devices/lamp-1`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    expect(await cut).toBe('io server disconnect');
    for (const seen of await Promise.all(told)) expect(seen).toEqual({ id: 'lamp-1', reason: 'removed' });
    expect((await getJson(`${c.url}/api/v1/devices/lamp-1`, token)).status).toBe(404);
  });

  it('a flood on B reaches dashboards on A and C coalesced, ending on the final state, and Redis holds it', async () => {
    const [a, b, c] = await clusters.three({ DEVICE_STATE_RATE: '20', DEVICE_STATE_BURST: '10' });
    const { token } = await pair(a, { kiosk: await connectKiosk(c) });
    const lamp = await connectDevice(b);
    const onA = await connectDashboard(a, token);
    const onC = await connectDashboard(c, token);
    const seen = { a: [] as number[], c: [] as number[] };
    onA.on('device:state', (d: { state: { n: number } }) => seen.a.push(d.state.n));
    onC.on('device:state', (d: { state: { n: number } }) => seen.c.push(d.state.n));
    for (let n = 1; n <= 1000; n++) lamp.socket.emit('state', { state: { n } });
    await emitAck(lamp.socket, 'state', { state: { n: 1001 } });
    await eventually(() => seen.a.at(-1) === 1001 && seen.c.at(-1) === 1001, 5000);
    expect(seen.a.length).toBeLessThan(100);
    expect(seen.c.length).toBeLessThan(100);
    await eventually(async () => (await a.store.get<DeviceRecord>('devices:record:home-1:lamp-1'))?.state.n === 1001, 3000);
  });
});
