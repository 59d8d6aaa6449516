import { afterEach, describe, expect, it } from 'vitest';
import { bannerKey } from '../src/bootstrap.ts';
import type { Socket as ClientSocket } from 'socket.io-client';
import { useClusters } from './helpers/cluster.ts';
import { lastLine, relayCli } from './helpers/cli.ts';
import { connectDevice, sleep } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import {
  closeSockets,
  connectDashboard,
  connectKiosk,
  connectSocket,
  emitAck,
  getJson,
  HUB_KEY,
  pair,
  startRelay,
  tempDir,
  type TestRelay,
} from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

/** The contract's bound: a CLI change reaches every live socket within this. */
const BOUND_MS = 2000;

/** When the socket is dropped by the server, and what it was told first. */
function watchEnd(socket: ClientSocket): { ended: Promise<{ at: number; reason: string; told: unknown }> } {
  let told: unknown;
  socket.on('auth:revoked', (payload: unknown) => (told ??= payload));
  socket.on('grant:revoked', (payload: unknown) => (told ??= payload));
  return {
    // Generous, so a loaded machine does not flake; the bound itself is asserted on the time.
    ended: new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket was not dropped within 8 s')), 8000);
      socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve({ at: Date.now(), reason, told });
      });
    }),
  };
}

const enrol = async (kiosk: ClientSocket, deviceId: string): Promise<string> => {
  const reply = await emitAck(kiosk, 'device:enroll', { deviceId });
  expect(reply.ok).toBe(true);
  return reply.data.deviceKey as string;
};

/**
 * The scenario on any store: instances[0] holds the kiosk and dashboards, instances.at(-1) the
 * devices; the CLI is another process on the same store.
 */
function lifecycleScenarios(setup: () => Promise<{ instances: TestRelay[]; cliEnv: Record<string, string> }>) {
  it('rotate-key: kiosks and devices on the old hub key are dropped within 2 s on every instance; devices on their own keys stay', async () => {
    const { instances, cliEnv } = await setup();
    const front = instances[0]!;
    const back = instances.at(-1)!;
    const kiosk = await connectKiosk(front);
    const kioskOnBack = await connectKiosk(back);
    const lockKey = await enrol(kiosk, 'front-door');
    const lock = await connectDevice(back, { deviceId: 'front-door', deviceKey: lockKey });
    const lamp = await connectDevice(back, { deviceId: 'lamp-1' });
    const ends = [watchEnd(kiosk), watchEnd(kioskOnBack), watchEnd(lamp.socket)];

    const rotated = await relayCli(['homes', 'rotate-key', 'home-1'], cliEnv);
    expect(rotated.status, rotated.stderr).toBe(0);
    const newKey = lastLine(rotated.stdout);
    const results = await Promise.all(ends.map((e) => e.ended));
    for (const r of results) {
      expect(r.at - rotated.exitedAt).toBeLessThan(BOUND_MS);
      expect(r.reason).toBe('io server disconnect');
    }
    expect(results[0]?.told).toEqual({ code: 'invalid_hub_key' });
    console.info(`rotate-key → sockets dropped ${results.map((r) => r.at - rotated.exitedAt).join(', ')} ms after the CLI exited`);
    await sleep(500);
    expect(lock.socket.connected).toBe(true);

    await expect(connectKiosk(front)).rejects.toMatchObject({ message: 'invalid_hub_key' });
    const fresh = await connectKiosk(back, 'home-1', newKey);
    await sleep(1200); // a poll later: the kiosk on the new key is left alone
    expect(fresh.connected).toBe(true);
  });

  it('homes set --device-auth keys: devices on the hub key are dropped, enrolled ones stay, the hub key no longer opens /device', async () => {
    const { instances, cliEnv } = await setup();
    const back = instances.at(-1)!;
    const kiosk = await connectKiosk(instances[0]!);
    const lock = await connectDevice(back, { deviceId: 'front-door', deviceKey: await enrol(kiosk, 'front-door') });
    const lamp = await connectDevice(back, { deviceId: 'lamp-1' });
    const end = watchEnd(lamp.socket);
    const set = await relayCli(['homes', 'set', 'home-1', '--device-auth', 'keys'], cliEnv);
    expect(set.status, set.stderr).toBe(0);
    const dropped = await end.ended;
    expect(dropped.at - set.exitedAt).toBeLessThan(BOUND_MS);
    expect(dropped.told).toEqual({ code: 'invalid_device_key' });
    await expect(connectDevice(back, { deviceId: 'lamp-2' })).rejects.toMatchObject({ message: 'invalid_device_key' });
    expect(lock.socket.connected).toBe(true);
    expect(kiosk.connected).toBe(true);
  });

  it('remove: everything of the home is dropped within 2 s; re-added, the home is empty and no old credential works', async () => {
    const { instances, cliEnv } = await setup();
    const front = instances[0]!;
    const back = instances.at(-1)!;
    const kiosk = await connectKiosk(front);
    const old = await pair(front, { kiosk });
    const lockKey = await enrol(kiosk, 'front-door');
    const lock = await connectDevice(back, { deviceId: 'front-door', deviceKey: lockKey });
    const lamp = await connectDevice(front, { deviceId: 'lamp-1' });
    const dashboards = [await connectDashboard(front, old.token), await connectDashboard(back, old.token)];
    const ends = [kiosk, lock.socket, lamp.socket, ...dashboards].map(watchEnd);

    const removed = await relayCli(['homes', 'remove', 'home-1'], cliEnv);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/1 grant\(s\) revoked, 2 device\(s\) and 1 device key\(s\) forgotten/);
    const results = await Promise.all(ends.map((e) => e.ended));
    for (const r of results) expect(r.at - removed.exitedAt).toBeLessThan(BOUND_MS);
    expect(results[0]?.told).toEqual({ code: 'home_not_found' });
    expect(results[3]?.told).toEqual({ grantId: old.grantId });
    console.info(`remove → sockets dropped ${results.map((r) => r.at - removed.exitedAt).join(', ')} ms after the CLI exited`);

    const added = await relayCli(['homes', 'add', 'home-1'], cliEnv);
    expect(added.status, added.stderr).toBe(0);
    const newKey = lastLine(added.stdout);
    const fresh = await pair(back, { hubKey: newKey });
    expect((await getJson(`${front.url}/api/v1/devices`, fresh.token)).body.devices).toEqual([]);
    expect((await getJson(`${front.url}/api/v1/grants`, fresh.token)).body.grants.map((g: { id: string }) => g.id)).toEqual([fresh.grantId]);
    for (const relay of instances) {
      expect((await getJson(`${relay.url}/api/v1/me`, old.token)).status).toBe(401);
      await expect(connectDashboard(relay, old.token)).rejects.toMatchObject({ message: 'token_revoked' });
    }
    const refreshed = await fetch(`${back.url}/api/v1/tokens/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: old.refreshToken }),
    });
    expect(refreshed.status).toBe(401);
    await expect(connectKiosk(front, 'home-1', HUB_KEY)).rejects.toMatchObject({ message: 'invalid_hub_key' });
    // The old device key is forgotten; the hub key of the new home works for a device that has none.
    await expect(connectDevice(back, { deviceId: 'front-door', deviceKey: lockKey })).rejects.toMatchObject({ message: 'invalid_device_key' });
    await expect(connectDevice(back, { deviceId: 'front-door', hubKey: newKey })).resolves.toBeTruthy();
  });
}

describe('home lifecycle from the CLI, another process, on SQLite', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });
  lifecycleScenarios(async () => {
    const dataDir = tempDir();
    relay = await startRelay({ env: { STORE: 'sqlite', DATA_DIR: dataDir } });
    return { instances: [relay], cliEnv: { STORE: 'sqlite', DATA_DIR: dataDir } };
  });

  it('devices add issues a key bound to one deviceId; the key never opens /kiosk', async () => {
    const dataDir = tempDir();
    relay = await startRelay({ env: { STORE: 'sqlite', DATA_DIR: dataDir } });
    const added = await relayCli(['devices', 'add', 'home-1', 'garage'], { STORE: 'sqlite', DATA_DIR: dataDir });
    expect(added.status, added.stderr).toBe(0);
    const key = lastLine(added.stdout);
    expect(Buffer.from(key, 'base64url').length).toBeGreaterThanOrEqual(24);
    await expect(connectDevice(relay, { deviceId: 'garage', deviceKey: key })).resolves.toBeTruthy();
    await expect(connectDevice(relay, { deviceId: 'lamp-1', deviceKey: key })).rejects.toMatchObject({ message: 'invalid_device_key' });
    await expect(connectKiosk(relay, 'home-1', key)).rejects.toMatchObject({ message: 'invalid_hub_key' });
    await expect(connectSocket(`${relay.url}/kiosk`, { serial: 'home-1', deviceKey: key })).rejects.toMatchObject({ message: 'invalid_hub_key' });
    const unknown = await relayCli(['devices', 'add', 'nowhere', 'garage'], { STORE: 'sqlite', DATA_DIR: dataDir });
    expect(unknown.status).toBe(1);
  });
});

describe('relay homes show-key and the start-up banner', () => {
  it('shows the default home key kept in DATA_DIR while it is the home key; explains otherwise', async () => {
    const env = { STORE: 'sqlite', DATA_DIR: tempDir() };
    const added = await relayCli(['homes', 'add', 'home-1'], env);
    const key = lastLine(added.stdout);
    const shown = await relayCli(['homes', 'show-key', 'home-1'], env);
    expect([shown.status, lastLine(shown.stdout)]).toEqual([0, key]);
    await relayCli(['homes', 'add', 'flat-2'], env);
    const other = await relayCli(['homes', 'show-key', 'flat-2'], env);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/only its hash is stored[\s\S]*relay homes rotate-key flat-2/);
    expect((await relayCli(['homes', 'show-key', 'nowhere'], env)).status).toBe(1);
  });

  it('prints the key only when just generated or on a terminal', () => {
    const kept = { serial: 'home-1', printableKey: 'k'.repeat(32) };
    expect(bannerKey({ ...kept, generated: true }, false)).toEqual({ key: kept.printableKey });
    expect(bannerKey({ ...kept, generated: false }, true)).toEqual({ key: kept.printableKey });
    expect(bannerKey({ ...kept, generated: false }, false)).toEqual({ key: undefined, hint: expect.stringContaining('relay homes show-key home-1') });
    expect(bannerKey({ serial: 'home-1', printableKey: undefined, generated: false }, true)).toEqual({ key: undefined });
  });
});

describeWith('home lifecycle from the CLI, another process, on Redis with two instances', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  lifecycleScenarios(async () => {
    const cluster = await clusters.start(2);
    return {
      instances: cluster.instances,
      cliEnv: { STORE: 'redis', ...clusters.redis.env, REDIS_KEY_PREFIX: cluster.keyPrefix, DATA_DIR: tempDir() },
    };
  });
});
