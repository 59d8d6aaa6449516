import { afterEach, describe, expect, it } from 'vitest';
import { HomeService } from '../src/homes/service.ts';
import { command, connectDevice } from './helpers/devices.ts';
import { closeSockets, connectKiosk, connectSocket, getJson, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

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
});
