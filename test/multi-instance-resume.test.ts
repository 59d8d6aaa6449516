import { expect, it } from 'vitest';
import { useClusters } from './helpers/cluster.ts';
import { connectDevice, sleep } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectKiosk, pair } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';
import { changeStates, cutMidTraffic, fastStates, increasing, type Position, resumingDashboard, resumingKiosk } from './helpers/resume.ts';

describeWith('resume after a drop across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);

  it('replays to B, in order and without gaps, what a dashboard cut on A missed from a device on C', async () => {
    const [a, b, c] = await clusters.three(fastStates);
    const { token } = await pair(a);
    const lamp = await connectDevice(c);
    // The fan comes and goes on A: presence from another instance than the lamp's.
    await cutMidTraffic({ cutOn: a, resumeOn: b, referenceOn: b, fanOn: a }, token, lamp);
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
