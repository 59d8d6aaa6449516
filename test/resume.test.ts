import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { connectDevice, eventually, sleep } from './helpers/devices.ts';
import { closeSockets, connectDashboard, pair, startRelay, type TestRelay } from './helpers/relay.ts';
import { changeStates, cutMidTraffic, fastStates, increasing, type Position, resumingDashboard, resumingKiosk, settled } from './helpers/resume.ts';
import { HomeService } from '../src/homes/service.ts';
import { lampAndLock, lightOnly, ownerAndGuest } from './guests/helpers.ts';

describe.each(['sqlite', 'memory'] as const)('resume after a drop, one instance (%s)', (store) => {
  let relay: TestRelay | undefined;
  const start = async (env: Record<string, string> = {}) => {
    relay = await startRelay({ env: { STORE: store, ...fastStates, ...env } });
    return relay;
  };
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });

  it('replays what a dashboard cut mid-traffic missed, in order, with the latest state per device, then goes live', async () => {
    const r = await start();
    const { token } = await pair(r);
    const lamp = await connectDevice(r);
    await cutMidTraffic({ cutOn: r, resumeOn: r, referenceOn: r, fanOn: r }, token, lamp);
  });

  it('replays grants, pairing and audit events a kiosk missed, never the pairing code', async () => {
    const r = await start();
    const cut = resumingKiosk(r.url);
    await cut.ready;
    cut.socket.disconnect();
    const since = cut.position() as Position;
    // The kiosk that shows the code resumes too: the (never logged) code still reaches it live.
    const other = resumingKiosk(r.url);
    await other.ready;
    const claimed = await pair(r, { kiosk: other.socket, clientName: 'Phone' });
    const resumed = resumingKiosk(r.url, since);
    expect(await resumed.ready).toBe('resume');
    const events = resumed.applied.map((a) => a.event);
    expect(events).toContain('pairing:claimed');
    expect(events).toContain('grant:created');
    expect(events).not.toContain('pairing:code');
    expect(resumed.applied.find((a) => a.event === 'pairing:claimed')?.payload).toEqual({ grantId: claimed.grantId, clientName: 'Phone' });
    // The pairing's audit entries (written after the claim answers: replayed or live).
    const audit = () => resumed.applied.filter((a) => a.event === 'audit:entry').map((a) => a.payload.event);
    await eventually(() => audit().includes('pairing.claimed'));
    expect(increasing(resumed.applied)).toBe(true);
  });

  it('resyncs with a fresh snapshot when the gap is older than RESUME_WINDOW', async () => {
    const r = await start({ RESUME_WINDOW: '2m' });
    const { token } = await pair(r);
    const lamp = await connectDevice(r);
    const cut = resumingDashboard(r.url, token);
    await cut.ready;
    await changeStates(lamp, 0, 2);
    await settled(cut, 2);
    cut.socket.disconnect();
    const since = cut.position() as Position;

    await changeStates(lamp, 2, 1);
    (r.clock as FakeClock).advance(3 * 60_000);
    await changeStates(lamp, 3, 1);
    const resumed = resumingDashboard(r.url, token, since);
    expect(await resumed.ready).toBe('resync');
    const [resync] = resumed.resyncs;
    expect(resync).toMatchObject({ epoch: since.epoch, reason: 'too_old', devices: [{ id: 'lamp-1', state: { level: 3 } }] });
    expect(resync.offset).toBeGreaterThan(since.offset);
    // Live again: the next change carries the offset after the snapshot's.
    await changeStates(lamp, 4, 1);
    await settled(resumed, 1);
    expect(resumed.applied[0]).toMatchObject({ offset: resync.offset + 1, via: 'live' });
  });

  it('resumes a long-quiet dashboard with nothing to replay, and resyncs past RESUME_LOG_MAX', async () => {
    const r = await start({ RESUME_LOG_MAX: '5' });
    const { token } = await pair(r);
    const lamp = await connectDevice(r);
    const cut = resumingDashboard(r.url, token);
    await cut.ready;
    cut.socket.disconnect();
    const since = cut.position() as Position;
    (r.clock as FakeClock).advance(60 * 60_000);
    const quiet = resumingDashboard(r.url, token, since);
    expect(await quiet.ready).toBe('resume');
    expect(quiet.applied).toEqual([]);
    quiet.socket.disconnect();

    await changeStates(lamp, 0, 6, 0);
    const late = resumingDashboard(r.url, token, since);
    expect(await late.ready).toBe('resync');
    expect(late.resyncs[0]).toMatchObject({ reason: 'too_old', devices: [{ id: 'lamp-1', state: { level: 5 } }] });
  });

  it('resyncs a position from another epoch or one it cannot read, and sends a kiosk its grants', async () => {
    const r = await start();
    await pair(r);
    const foreign = resumingKiosk(r.url, { epoch: 'another-run', offset: 3 });
    expect(await foreign.ready).toBe('resync');
    expect(foreign.resyncs[0]).toMatchObject({ reason: 'new_epoch', devices: [], grants: [{ clientName: 'test client' }] });
    const unreadable = resumingKiosk(r.url, { epoch: '', offset: -1 } as Position);
    expect(await unreadable.ready).toBe('resync');
  });

  it('gives a guest only the devices its scope names, live and replayed', async () => {
    const r = await start();
    const { lamp, lock } = await lampAndLock(r);
    const { guest } = await ownerAndGuest(r, lightOnly(r.clock.now() + 3_600_000));
    const cut = resumingDashboard(r.url, guest.token);
    await cut.ready;
    await lock.socket.emitWithAck('state', { state: { locked: false } });
    await lamp.socket.emitWithAck('state', { state: { on: true } });
    await settled(cut, 1);
    cut.socket.disconnect();
    const since = cut.position() as Position;
    await lock.socket.emitWithAck('state', { state: { locked: true } });
    await lamp.socket.emitWithAck('state', { state: { on: false } });
    lock.socket.disconnect();
    await sleep(100);

    const resumed = resumingDashboard(r.url, guest.token, since);
    expect(await resumed.ready).toBe('resume');
    await sleep(100);
    for (const seen of [...cut.applied, ...resumed.applied]) expect(seen.payload.id).toBe('hall-light');
    expect(resumed.applied.map((a) => a.payload.state)).toEqual([{ on: false }]);

    const late = resumingDashboard(r.url, guest.token, { epoch: 'another-run', offset: since.offset });
    await late.ready;
    expect(late.resyncs[0].devices.map((d: { id: string }) => d.id)).toEqual(['hall-light']);
  });

  it('replays nothing to a guest from before its notBefore, even from offset 0', async () => {
    const r = await start();
    const { lamp } = await lampAndLock(r);
    const notBefore = r.clock.now() + 60_000;
    const { owner, guest } = await ownerAndGuest(r, lightOnly(r.clock.now() + 3_600_000, { notBefore: new Date(notBefore).toISOString() }));
    const ownerView = resumingDashboard(r.url, owner.token);
    await ownerView.ready;
    const { epoch } = ownerView.position() as Position;
    await lamp.socket.emitWithAck('state', { state: { on: true } });

    const early = resumingDashboard(r.url, guest.token, { epoch, offset: 0 });
    await eventually(() => early.socket.connected);
    (r.clock as FakeClock).advance(61_000);
    expect(await early.ready).toBe('resume');
    expect(early.applied).toEqual([]);
    await lamp.socket.emitWithAck('state', { state: { on: false } });
    await settled(early, 1);
    expect(early.applied.map((a) => [a.via, a.payload.state])).toEqual([['live', { on: false }]]);
  });

  it('forgets a removed home: its serial added again starts a new epoch and replays nothing of the old home', async () => {
    const r = await start();
    const cut = resumingKiosk(r.url);
    await cut.ready;
    await pair(r, { kiosk: cut.socket, clientName: 'Old owner' });
    await eventually(() => cut.applied.some((a) => a.event === 'pairing:claimed'));
    const since = cut.position() as Position;
    cut.socket.disconnect();
    const homes = new HomeService({ store: r.store, clock: r.clock });
    await homes.remove('home-1');
    const newKey = await homes.add('home-1');
    // The watch forgets the log within its poll; from offset 0 of the old epoch nothing old may come back.
    await eventually(async () => {
      const probe = resumingKiosk(r.url, { epoch: since.epoch, offset: 0 }, 'home-1', newKey);
      const how = await probe.ready;
      probe.socket.disconnect();
      return how === 'resync';
    });
    const resumed = resumingKiosk(r.url, { epoch: since.epoch, offset: 0 }, 'home-1', newKey);
    expect(await resumed.ready).toBe('resync');
    expect(JSON.stringify(resumed.applied)).not.toContain('Old owner');
  });

  it('leaves sockets that did not ask as they were: no second argument, no resume event', async () => {
    const r = await start();
    const { token } = await pair(r);
    const plain = await connectDashboard(r, token);
    const args: unknown[][] = [];
    let resumeEvents = 0;
    plain.on('device:online', (...received: unknown[]) => args.push(received));
    plain.on('resume', () => resumeEvents++);
    plain.on('resync', () => resumeEvents++);
    await connectDevice(r);
    await eventually(() => args.length === 1);
    expect(args[0]).toHaveLength(1);
    expect(resumeEvents).toBe(0);
  });
});
