import { expect, it } from 'vitest';
import { useClusters } from './helpers/cluster.ts';
import { connectDevice, sleep } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectKiosk, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';
import {
  changeStates,
  expectNothingMissed,
  fastStates,
  increasing,
  levelsOf,
  type Position,
  resumingDashboard,
  resumingKiosk,
  settled,
} from './helpers/resume.ts';
import { eventually } from './helpers/devices.ts';

describeWith('resume after a drop across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  it('replays to B, in order and without gaps, what a dashboard cut on A missed from a device on C', async () => {
    const [a, b, c] = await clusters.three(fastStates);
    const { token } = await pair(a);
    const lamp = await connectDevice(c);
    const reference = resumingDashboard(b.url, token);
    const cut = resumingDashboard(a.url, token);
    await Promise.all([reference.ready, cut.ready]);

    const traffic = changeStates(lamp, 0, 60);
    await settled(cut, 15);
    cut.socket.disconnect();
    const since = cut.position() as Position;
    // A device that comes and goes on A while the dashboard is away: presence from another instance.
    const fan = await connectDevice(a, { deviceId: 'fan-1', name: 'Fan', type: 'fan' });
    await sleep(100);
    const resumed = resumingDashboard(b.url, token, since);
    expect(await resumed.ready).toBe('resume');
    await traffic;
    fan.socket.disconnect();
    await settled(reference, 62);
    await eventually(() => resumed.applied.at(-1)?.offset === reference.applied.at(-1)?.offset, 10_000);

    expectNothingMissed(reference.applied, cut.applied, resumed.applied);
    expect(resumed.applied.filter((x) => x.payload.id === 'fan-1').map((x) => x.event)).toEqual(['device:online', 'device:offline']);
    expect(levelsOf(resumed.applied.filter((x) => x.via === 'replay'))).toHaveLength(1);
  });

  it('replays to C the pairing a kiosk cut on A missed, claimed through B', async () => {
    const [a, b, c] = await clusters.three();
    const cut = resumingKiosk(a.url);
    await cut.ready;
    cut.socket.disconnect();
    const since = cut.position() as Position;
    const claimed = await pair(b, { kiosk: await connectKiosk(b), clientName: 'Phone' });
    await sleep(200);
    const resumed = resumingKiosk(c.url, since);
    expect(await resumed.ready).toBe('resume');
    const events = resumed.applied.map((x) => x.event);
    expect(events.indexOf('pairing:claimed')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('grant:created')).toBeGreaterThanOrEqual(0);
    expect(events).not.toContain('pairing:code');
    expect(resumed.applied.find((x) => x.event === 'grant:created')?.payload).toEqual({ grantId: claimed.grantId, clientName: 'Phone' });
    expect(increasing(resumed.applied)).toBe(true);
  });

  it('resyncs on another instance once the gap is older than RESUME_WINDOW or past RESUME_LOG_MAX', async () => {
    const cluster = await clusters.start(2, { ...fastStates, RESUME_WINDOW: '2m', RESUME_LOG_MAX: '10' });
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const { token } = await pair(a);
    const lamp = await connectDevice(a);
    const cut = resumingDashboard(a.url, token);
    await cut.ready;
    cut.socket.disconnect();
    const since = cut.position() as Position;

    await changeStates(lamp, 0, 1);
    cluster.clock.advance(3 * 60_000);
    await changeStates(lamp, 1, 1);
    const old = resumingDashboard(b.url, token, since);
    expect(await old.ready).toBe('resync');
    expect(old.resyncs[0]).toMatchObject({ epoch: since.epoch, reason: 'too_old', devices: [{ id: 'lamp-1', state: { level: 1 } }] });
    const fresh = old.position() as Position;
    old.socket.disconnect();

    await changeStates(lamp, 2, 11, 0);
    const overflowed = resumingDashboard(a.url, token, fresh);
    expect(await overflowed.ready).toBe('resync');
    expect(overflowed.resyncs[0]).toMatchObject({ reason: 'too_old', devices: [{ state: { level: 12 } }] });

    // Within the cap, the same position resumes on either instance.
    const recent = overflowed.position() as Position;
    overflowed.socket.disconnect();
    await changeStates(lamp, 13, 3, 0);
    const resumed = resumingDashboard(b.url, token, recent);
    expect(await resumed.ready).toBe('resume');
    expect(resumed.applied.map((x) => x.payload.state.level)).toEqual([15]);
  });
});
