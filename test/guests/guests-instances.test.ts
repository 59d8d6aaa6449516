import { afterEach, describe, expect, it } from 'vitest';
import type { Socket as ClientSocket } from 'socket.io-client';
import { type FakeClock, systemClock } from '../../src/clock.ts';
import { useClusters } from '../helpers/cluster.ts';
import { command } from '../helpers/devices.ts';
import { type RedisRelay, redisServerBinary, startRedisRelay } from '../helpers/redis.ts';
import { closeSockets, connectDashboard, connectKiosk, emitAck, getJson, HUB_KEY, JWT_SECRET, nextEvent, postJson, startRelay, tempDir, type TestRelay } from '../helpers/relay.ts';
import { describeWith } from '../helpers/requires.ts';
import { claim, HOUR, lampAndLock, lightOnly, ownerAndGuest } from './helpers.ts';

/** When the server cut the socket, and what it said first. */
function watchCut(socket: ClientSocket): Promise<{ at: number; told: unknown; reason: string }> {
  let told: unknown;
  socket.on('grant:expired', (payload: unknown) => (told ??= payload));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the guest socket was not cut within 10 s')), 10_000);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve({ at: Date.now(), told, reason });
    });
  });
}

/** The contract: live sockets are cut within 1 s of notAfter. */
const CUT_BOUND_MS = 1000;

async function expectCutAtNotAfter(relays: TestRelay[], guestToken: string, refreshToken: string, notAfter: number, sockets: ClientSocket[]) {
  const cuts = await Promise.all(sockets.map(watchCut));
  for (const cut of cuts) {
    expect(cut.told).toMatchObject({ notAfter: new Date(notAfter).toISOString() });
    expect(cut.reason).toBe('io server disconnect');
    expect(cut.at).toBeGreaterThanOrEqual(notAfter);
    expect(cut.at - notAfter).toBeLessThanOrEqual(CUT_BOUND_MS);
  }
  for (const relay of relays) {
    const res = await getJson(`${relay.url}/api/v1/devices`, guestToken);
    expect(res.status).toBe(401);
  }
  expect((await postJson(`${relays[0]!.url}/api/v1/tokens/refresh`, { refreshToken })).status).toBe(401);
  await expect(connectDashboard(relays[0]!, guestToken)).rejects.toMatchObject({ message: 'invalid_token' });
}

describe('guest grants end at notAfter (one relay, real clock)', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('tells and cuts live sockets within 1 s, and its tokens and refresh tokens stop working', async () => {
    relay = await startRelay({ clock: systemClock });
    await lampAndLock(relay);
    const notAfter = Date.now() + 3000;
    const { guest } = await ownerAndGuest(relay, lightOnly(notAfter));
    const claims = JSON.parse(Buffer.from(guest.token.split('.')[1], 'base64url').toString());
    expect(claims.exp * 1000).toBeLessThanOrEqual(notAfter);
    const socket = await connectDashboard(relay, guest.token);
    await expectCutAtNotAfter([relay], guest.token, guest.refreshToken, notAfter, [socket]);
  });

  it('before notBefore a guest sees no device and hears no event; from then on it does (the clock moves, nothing sleeps)', async () => {
    relay = await startRelay();
    const clock = relay.clock as FakeClock;
    const { lamp } = await lampAndLock(relay);
    const notBefore = clock.now() + 2000;
    const { guest, owner } = await ownerAndGuest(relay, lightOnly(clock.now() + HOUR, { notBefore: new Date(notBefore).toISOString() }));
    const socket = await connectDashboard(relay, guest.token);
    const ownerSocket = await connectDashboard(relay, owner.token);
    const heard: string[] = [];
    socket.on('device:state', (d: { id: string }) => heard.push(d.id));
    expect((await getJson(`${relay.url}/api/v1/devices`, guest.token)).body.devices).toEqual([]);
    expect((await command(relay, guest.token, 'hall-light', { action: 'turn_on' })).status).toBe(404);
    // The owner hearing the state means the room broadcast is done; a round trip on the guest's own
    // socket then comes back behind anything that broadcast sent it.
    clock.advance(1999);
    const ownerHeard = nextEvent(ownerSocket, 'device:state');
    lamp.socket.emit('state', { state: { on: true } });
    await ownerHeard;
    expect((await emitAck(socket, 'devices:list')).data.devices).toEqual([]);
    expect(heard).toEqual([]);
    clock.advance(1);
    expect((await getJson(`${relay.url}/api/v1/devices`, guest.token)).body.devices.map((d: { id: string }) => d.id)).toEqual(['hall-light']);
    const state = nextEvent(socket, 'device:state');
    expect((await command(relay, guest.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    await state;
  });

  it('a guest grant survives a restart on SQLite with its scope', async () => {
    const env = { STORE: 'sqlite', DATA_DIR: tempDir(), HUB_KEY, JWT_SECRET };
    relay = await startRelay({ env, clock: systemClock });
    await lampAndLock(relay);
    const { guest } = await ownerAndGuest(relay, lightOnly(Date.now() + HOUR));
    closeSockets();
    await relay.close();
    relay = await startRelay({ env, clock: systemClock });
    await lampAndLock(relay);
    expect((await getJson(`${relay.url}/api/v1/devices`, guest.token)).body.devices.map((d: { id: string }) => d.id)).toEqual(['hall-light']);
    expect((await command(relay, guest.token, 'front-door', { action: 'unlock' })).status).toBe(404);
    const refreshed = await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: guest.refreshToken });
    expect(refreshed.body).toMatchObject({ scope: lightOnly(0).scope, notAfter: guest.notAfter });
  });
});

describeWith('guests across instances on one Redis', redisServerBinary(), 'redis-server', (binary) => {
  const clusters = useClusters(binary);
  const started: RedisRelay[] = [];
  afterEach(async () => {
    closeSockets();
    await Promise.allSettled(started.splice(0).map((r) => r.close()));
  });

  it('an invite made on A is claimed on B; scope holds on both; device events for others never reach the guest', async () => {
    const cluster = await clusters.start(2);
    const [a, b] = [cluster.at(0), cluster.at(1)];
    const { lock, lamp } = await lampAndLock(b);
    const { guest, invited } = await ownerAndGuest(a, lightOnly(cluster.clock.now() + HOUR), await connectKiosk(b), b);
    const onA = await connectDashboard(a, guest.token);
    const seen: string[] = [];
    onA.on('device:state', (d: { id: string }) => seen.push(d.id));
    expect((await command(b, guest.token, 'front-door', { action: 'unlock' })).status).toBe(404);
    expect((await command(a, guest.token, 'hall-light', { action: 'turn_off' })).status).toBe(403);
    lock.socket.emit('state', { state: { locked: false } });
    const lampState = nextEvent(onA, 'device:state');
    expect((await command(a, guest.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    await lampState;
    lamp.socket.emit('state', { state: { on: false } });
    await nextEvent(onA, 'device:state');
    expect(seen).toEqual(['hall-light', 'hall-light']);
    // Claimed once on B: spent on A too.
    expect((await claim(a, invited.code)).body.error.code).toBe('code_expired');
  });

  it('at notAfter the guest sockets on both instances are told and cut within 1 s', async () => {
    const keyPrefix = `guests-${process.pid}-${Date.now()}:`;
    for (let i = 0; i < 2; i++) started.push(await startRedisRelay(clusters.redis.target, { clock: systemClock, keyPrefix }));
    const [a, b] = started as [RedisRelay, RedisRelay];
    await lampAndLock(b);
    const notAfter = Date.now() + 3000;
    const { guest } = await ownerAndGuest(a, lightOnly(notAfter), await connectKiosk(b));
    const sockets = [await connectDashboard(a, guest.token), await connectDashboard(b, guest.token)];
    await expectCutAtNotAfter([a, b], guest.token, guest.refreshToken, notAfter, sockets);
  });
});
