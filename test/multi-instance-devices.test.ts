import { afterEach, expect, it } from 'vitest';
import { useClusters } from './helpers/cluster.ts';
import { command, connectDevice, eventually } from './helpers/devices.ts';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { connectDashboard, connectKiosk, emitAck, getJson, HUB_KEY, JWT_SECRET, nextEvent, pair, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

describeWith('devices across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  const start = clusters.three;
  const processes: MainProcess[] = [];
  afterEach(async () => {
    await stopAll(processes.splice(0));
  });

  it('runs a command on the device on B sent by REST to A and by socket from C, and shows the new state everywhere', async () => {
    const [a, b, c] = await start();
    const { token } = await pair(a, { kiosk: await connectKiosk(c) });
    const lamp = await connectDevice(b);
    const onA = await connectDashboard(a, token);
    const onC = await connectDashboard(c, token);

    const statesOnA = nextEvent(onA, 'device:state');
    const statesOnC = nextEvent(onC, 'device:state');
    const viaRest = await command(a, token, 'lamp-1', { action: 'turn_on' });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.device).toMatchObject({ id: 'lamp-1', online: true, state: { on: true } });
    for (const seen of await Promise.all([statesOnA, statesOnC])) expect(seen).toMatchObject({ id: 'lamp-1', state: { on: true } });

    const offOnA = nextEvent(onA, 'device:state');
    const offOnC = nextEvent(onC, 'device:state');
    const viaSocket = await emitAck(onC, 'device:command', { deviceId: 'lamp-1', action: 'turn_off' });
    expect(viaSocket).toMatchObject({ ok: true, data: { device: { id: 'lamp-1', state: { on: false } } } });
    for (const seen of await Promise.all([offOnA, offOnC])) expect(seen).toMatchObject({ id: 'lamp-1', state: { on: false } });
    expect(lamp.commands.map((cmd) => cmd.action)).toEqual(['turn_on', 'turn_off']);

    // An unsolicited change on B (a wall switch) reaches dashboards on A and C.
    const switchedOnA = nextEvent(onA, 'device:state');
    const switchedOnC = nextEvent(onC, 'device:state');
    expect(await emitAck(lamp.socket, 'state', { state: { on: true } })).toEqual({ ok: true, data: {} });
    for (const seen of await Promise.all([switchedOnA, switchedOnC])) expect(seen).toMatchObject({ id: 'lamp-1', state: { on: true } });
    expect((await getJson(`${c.url}/api/v1/devices/lamp-1`, token)).body.state).toEqual({ on: true });
  });

  it('keeps the error codes across instances: command_rejected, device_timeout, device_offline', async () => {
    const [a, b, c] = await start({ DEVICE_COMMAND_TIMEOUT: '1s' });
    const { token } = await pair(a, { kiosk: await connectKiosk(a) });
    await connectDevice(b, {
      deviceId: 'lock-1',
      actions: ['unlock', 'lock'],
      onCommand: (cmd) => (cmd.action === 'unlock' ? { ok: false, error: { code: 'jammed', message: 'The bolt is jammed.' } } : null),
    });
    const rejected = await command(a, token, 'lock-1', { action: 'unlock' });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error).toMatchObject({ code: 'command_rejected', message: 'The bolt is jammed.', details: { reason: 'jammed' } });

    const dashboard = await connectDashboard(c, token);
    const timedOut = await emitAck(dashboard, 'device:command', { deviceId: 'lock-1', action: 'lock' });
    expect(timedOut).toMatchObject({ ok: false, error: { code: 'device_timeout' } });

    const plug = await connectDevice(c, { deviceId: 'plug-1', actions: ['toggle'] });
    const offlineSeen = nextEvent(dashboard, 'device:offline');
    plug.socket.close();
    expect(await offlineSeen).toMatchObject({ id: 'plug-1', online: false });
    const offline = await command(b, token, 'plug-1', { action: 'toggle' });
    expect(offline.status).toBe(409);
    expect(offline.body.error.code).toBe('device_offline');
  });

  it('marks the devices of an instance that dies offline on the others within seconds, and ends commands waiting on them', async () => {
    const [a, , c] = await start({ DEVICE_COMMAND_TIMEOUT: '30s' });
    // B is a real process, so it can die the hard way: no disconnect handler runs, no goodbye.
    const b = await startMain({ ...clusters.redis.env, REDIS_KEY_PREFIX: clusters.current.keyPrefix, JWT_SECRET, HUB_KEY });
    processes.push(b);
    // Devices connect to B; registration is checked through A's store (the same Redis).
    const viaB: TestRelay = { ...a, url: b.url };
    const { token } = await pair(a, { kiosk: await connectKiosk(c) });
    await connectDevice(viaB);
    const hung = await connectDevice(viaB, { deviceId: 'hung-1', actions: ['ping'], onCommand: () => null });
    const onA = await connectDashboard(a, token);
    const onC = await connectDashboard(c, token);
    expect((await command(c, token, 'lamp-1', { action: 'turn_on' })).status).toBe(200);

    const waiting = command(a, token, 'hung-1', { action: 'ping' });
    await eventually(() => hung.commands.length === 1); // the command is in flight, held by B
    const offlineOnA = collect(onA, 'device:offline');
    const offlineOnC = collect(onC, 'device:offline');
    const killedAt = Date.now();
    b.child.kill('SIGKILL');

    await eventually(() => offlineOnA.length === 2 && offlineOnC.length === 2, 15_000);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(offlineOnA.map((d) => d.id).sort()).toEqual(['hung-1', 'lamp-1']);
    const stuck = await waiting;
    expect(stuck.status).toBe(409);
    expect(stuck.body.error.code).toBe('device_offline');
    expect((await getJson(`${c.url}/api/v1/devices/lamp-1`, token)).body).toMatchObject({ online: false, state: { on: true } });
    expect((await command(a, token, 'lamp-1', { action: 'turn_off' })).body.error.code).toBe('device_offline');
  });
});

function collect(socket: Awaited<ReturnType<typeof connectDashboard>>, event: string): { id: string }[] {
  const seen: { id: string }[] = [];
  socket.on(event, (payload: { id: string }) => seen.push(payload));
  return seen;
}
