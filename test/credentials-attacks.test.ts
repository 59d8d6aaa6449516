import { afterEach, describe, expect, it } from 'vitest';
import { HomeService } from '../src/homes/service.ts';
import type { Store } from '../src/store/types.ts';
import { useClusters } from './helpers/cluster.ts';
import { command, connectDevice, eventually } from './helpers/devices.ts';
import { redisServerBinary } from './helpers/redis.ts';
import { closeSockets, connectKiosk, connectSocket, emitAck, getJson, HUB_KEY, nextEvent, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';
import { describeWith } from './helpers/requires.ts';

/**
 * The attacks of issue 11, part 2 and 3, as an attacker runs them. Written before the fix: against
 * the old code the fake lock took over `front-door` and an old token worked in a re-added home.
 */
describe.each(['memory', 'sqlite'] as const)('credential attacks (%s)', (storeKind) => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });
  const start = async () => (relay = await startRelay({ env: { STORE: storeKind } }));

  it('a device holding the hub key cannot take over an enrolled deviceId', async () => {
    const r = await start();
    const kiosk = await connectKiosk(r);
    const enrolled = await kiosk.timeout(3000).emitWithAck('device:enroll', { deviceId: 'front-door' });
    expect(enrolled.ok).toBe(true);
    const { deviceKey } = enrolled.data as { deviceKey: string };
    const realLock = await connectDevice(r, { deviceId: 'front-door', type: 'lock', actions: ['lock', 'unlock'], deviceKey });
    const { token } = await pair(r, { kiosk });

    // The attacker: a compromised plug that was given the hub key connects as front-door.
    const takeover = connectSocket(`${r.url}/device`, {
      serial: 'home-1',
      hubKey: 'test-hub-key-0123456789abcdef',
      deviceId: 'front-door',
      name: 'Front door',
      type: 'lock',
      actions: ['lock', 'unlock'],
    });
    await expect(takeover).rejects.toMatchObject({ message: 'invalid_device_key', data: { code: 'invalid_device_key' } });
    expect(realLock.socket.connected).toBe(true);
    const locked = await command(r, token, 'front-door', { action: 'lock' });
    expect(locked.status).toBe(200);
    expect(realLock.commands.map((c) => c.action)).toEqual(['lock']);
  });

  it('an old token does not work after the home is removed and its serial added again', async () => {
    const r = await start();
    const old = await pair(r);
    const homes = new HomeService({ store: r.store, clock: r.clock });
    await homes.remove('home-1');
    const newKey = await homes.add('home-1');
    // The new owner pairs: the old grant must not show up, and the old tokens are dead.
    const fresh = await pair(r, { hubKey: newKey });
    for (const path of ['/api/v1/me', '/api/v1/devices', '/api/v1/grants']) {
      const res = await getJson(`${r.url}${path}`, old.token);
      expect(res.status, path).toBe(401);
    }
    const refreshed = await postJson(`${r.url}/api/v1/tokens/refresh`, { refreshToken: old.refreshToken });
    expect(refreshed.status).toBe(401);
    const grants = await getJson(`${r.url}/api/v1/grants`, fresh.token);
    expect(grants.body.grants.map((g: { id: string }) => g.id)).toEqual([fresh.grantId]);
    await expect(connectSocket(r.url, { token: old.token })).rejects.toMatchObject({ message: expect.stringMatching(/token_revoked|invalid_token/) });
  });

  it('remove forgets the devices, device keys, idempotency records and QR sessions of the home, and only of it', async () => {
    const r = await start();
    const homes = r.server.services.homes;
    const otherKey = await homes.add('home-2');
    const kiosk = await connectKiosk(r);
    const deviceKey = (await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).data.deviceKey as string;
    await connectDevice(r, { deviceId: 'front-door', deviceKey });
    await connectDevice(r, { deviceId: 'lamp-2', serial: 'home-2', hubKey: otherKey });
    const { token } = await pair(r, { kiosk });
    expect((await command(r, token, 'front-door', { action: 'turn_on' }, { 'Idempotency-Key': 'k-1' })).status).toBe(200);
    const session = await postJson(`${r.url}/api/v1/qr/sessions`, {});
    expect((await getJson(`${r.url}/api/v1/qr/sessions/${session.body.scanId ?? session.body.sessionId}`, token)).status).toBe(200);
    // QR sessions are in the ephemeral space (in memory beside SQLite): look in both.
    const allKeys = async () => [...(await r.store.keysWithPrefix('')), ...(await (r.store.ephemeral as unknown as Store).keysWithPrefix(''))];
    const before = await allKeys();
    expect(before.some((k) => k.startsWith('devices:idem:'))).toBe(true);
    expect(before.some((k) => k.startsWith('qr:session:'))).toBe(true);

    expect(await homes.remove('home-1')).toMatchObject({ grants: 1, devices: 1, deviceKeys: 1 });
    const after = await allKeys();
    expect(after.filter((k) => k.includes('home-1') || k.startsWith('devices:idem:') || k.startsWith('qr:session:'))).toEqual([]);
    expect(after).toContain('devices:record:home-2:lamp-2');
    expect(await r.store.getDeviceKey('home-1', 'front-door')).toBeNull();
  });

  it('enrolling a key cuts a hub-key socket already connected as that deviceId (kiosk or CLI): the takeover ends at once', async () => {
    const r = await start();
    const kiosk = await connectKiosk(r);
    const { token } = await pair(r, { kiosk });
    // The attacker got in first: a hub-key socket answering as front-door before it had a key.
    const squatter = await connectDevice(r, { deviceId: 'front-door', type: 'lock', actions: ['lock', 'unlock'] });
    const squatterTold = nextEvent(squatter.socket, 'auth:revoked');
    expect((await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).ok).toBe(true);
    expect(await squatterTold).toEqual({ code: 'invalid_device_key' });
    await eventually(() => !squatter.socket.connected, 2000);
    expect((await command(r, token, 'front-door', { action: 'unlock' })).status).toBe(409);
    expect(squatter.commands).toEqual([]);

    // The same through the operator's issue (relay devices add) for a device that had no key yet.
    const plug = await connectDevice(r, { deviceId: 'plug-9', type: 'plug', actions: ['turn_on'] });
    const plugTold = nextEvent(plug.socket, 'auth:revoked');
    await r.server.services.deviceKeys.issue('home-1', 'plug-9');
    expect(await plugTold).toEqual({ code: 'invalid_device_key' });
  });

  it('a hub-key holder cannot re-enrol an enrolled device through /kiosk; the operator can, which drops the old key', async () => {
    const relay = await start();
    const kiosk = await connectKiosk(relay);
    const first = (await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).data.deviceKey as string;
    const lock = await connectDevice(relay, { deviceId: 'front-door', deviceKey: first });
    // The attacker with the hub key opens a kiosk and asks for a new key for the front door.
    expect(await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).toMatchObject({ ok: false, error: { code: 'device_enrolled' } });
    expect(lock.socket.connected).toBe(true);
    // The operator (CLI: relay devices add) replaces it.
    const told = nextEvent(lock.socket, 'auth:revoked');
    const second = await relay.server.services.deviceKeys.issue('home-1', 'front-door');
    expect(second).not.toBe(first);
    expect(await told).toEqual({ code: 'invalid_device_key' });
    await expect(connectDevice(relay, { deviceId: 'front-door', deviceKey: first })).rejects.toMatchObject({ message: 'invalid_device_key' });
    await expect(connectDevice(relay, { deviceId: 'front-door', deviceKey: second })).resolves.toBeTruthy();
    // Stored hashed: the key itself appears nowhere in the store.
    expect(await relay.store.getDeviceKey('home-1', 'front-door')).toMatchObject({ keyHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('validates device:enroll and the handshake: one credential, a sane deviceId', async () => {
    const relay = await start();
    const kiosk = await connectKiosk(relay);
    expect(await emitAck(kiosk, 'device:enroll', { deviceId: 'bad id!' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await emitAck(kiosk, 'device:enroll', { deviceId: 'x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const key = (await emitAck(kiosk, 'device:enroll', { deviceId: 'garage' })).data.deviceKey as string;
    const both = connectSocket(`${relay.url}/device`, { serial: 'home-1', hubKey: HUB_KEY, deviceKey: key, deviceId: 'garage', name: 'G', type: 'door', actions: [] });
    await expect(both).rejects.toMatchObject({ message: 'invalid_request' });
    await expect(connectDevice(relay, { serial: 'home-2', deviceId: 'garage', deviceKey: key })).rejects.toMatchObject({ message: 'home_not_found' });
  });
});

describeWith('device keys across two instances on Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  it('a key enrolled on A pins the deviceId on B: the hub-key takeover is refused on either', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const kiosk = await connectKiosk(a);
    const deviceKey = (await emitAck(kiosk, 'device:enroll', { deviceId: 'front-door' })).data.deviceKey as string;
    const lock = await connectDevice(b, { deviceId: 'front-door', type: 'lock', actions: ['lock', 'unlock'], deviceKey });
    const { token } = await pair(a, { kiosk });
    for (const relay of [a, b]) {
      await expect(connectDevice(relay, { deviceId: 'front-door', type: 'lock', actions: ['lock', 'unlock'] })).rejects.toMatchObject({ message: 'invalid_device_key' });
    }
    expect((await command(a, token, 'front-door', { action: 'unlock' })).status).toBe(200);
    expect(lock.commands.map((c) => c.action)).toEqual(['unlock']);
  });
});
