import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { useClusters } from './helpers/cluster.ts';
import { connectDevice, sleep } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { closeSockets, connectKiosk, emitAck, HUB_KEY, logSink, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

const WRONG = 'wrong-hub-key-guess-000000000';

/** Tries wrong keys on alternating namespaces (and instances) until the budget of 20 is spent. */
async function spendBudget(relays: TestRelay[]): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const relay = relays[i % relays.length]!;
    const attempt = i % 2 === 0 ? connectKiosk(relay, 'home-1', `${WRONG}${i}`) : connectDevice(relay, { deviceId: 'guess', hubKey: `${WRONG}${i}` });
    await expect(attempt).rejects.toMatchObject({ message: 'invalid_hub_key' });
  }
}

describe('handshake failures per IP', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });

  it('refuses rate_limited after 20 failures a minute, the right keys included, until the window passes; logs the IP, never a key', async () => {
    const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
    const logs = logSink();
    relay = await startRelay({ clock, env: { STORE: 'sqlite', LOG_LEVEL: 'info' }, logTo: logs.stream });
    const kiosk = await connectKiosk(relay);
    const deviceKey = (await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).data.deviceKey as string;
    kiosk.close();

    await spendBudget([relay]);
    await expect(connectKiosk(relay)).rejects.toMatchObject({ message: 'rate_limited', data: { code: 'rate_limited' } });
    await expect(connectDevice(relay, { deviceId: 'front-door', deviceKey })).rejects.toMatchObject({ message: 'rate_limited' });
    await expect(connectKiosk(relay, 'no-such-home')).rejects.toMatchObject({ message: 'rate_limited' });

    clock.advance(60_000);
    await expect(connectKiosk(relay)).resolves.toBeTruthy();
    await expect(connectDevice(relay, { deviceId: 'front-door', deviceKey })).resolves.toBeTruthy();

    await sleep(50);
    const refusals = logs
      .text()
      .split('\n')
      .filter((line) => line.includes('socket handshake refused') && line.includes('invalid_hub_key'))
      .map((line) => JSON.parse(line) as { level: number; ip: string; namespace: string });
    expect(refusals).toHaveLength(20);
    for (const entry of refusals) expect(entry).toMatchObject({ level: 30, ip: '127.0.0.1' });
    expect(new Set(refusals.map((r) => r.namespace))).toEqual(new Set(['/kiosk', '/device']));
    for (const secret of [WRONG, HUB_KEY, deviceKey]) expect(logs.text()).not.toContain(secret);
  });

  it('is off with RATE_LIMITS=off, like the other per-IP limits', async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off' } });
    await spendBudget([relay]);
    await expect(connectKiosk(relay)).resolves.toBeTruthy();
  });
});

describeWith('handshake failures per IP across two instances on Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  it('shares the count: failures on A and B together use up one budget', async () => {
    const cluster = await clusters.start(2);
    await spendBudget(cluster.instances);
    for (const relay of cluster.instances) await expect(connectKiosk(relay)).rejects.toMatchObject({ message: 'rate_limited' });
    cluster.clock.advance(60_000);
    for (const relay of cluster.instances) await expect(connectKiosk(relay)).resolves.toBeTruthy();
  });
});
