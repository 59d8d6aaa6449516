import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { command, connectDevice, eventually, type FakeDevice, sleep } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, emitAck, getJson, nextEvent, pair, startRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay;
afterEach(async () => {
  closeSockets();
  await relay?.close();
});

describe('commands that do not come back', () => {
  it('gives 504 device_timeout when the device never answers, once the clock reaches the timeout', async () => {
    relay = await startRelay({ env: { DEVICE_COMMAND_TIMEOUT: '20' } });
    const clock = relay.clock as FakeClock;
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay, { onCommand: () => null });
    let settled = false;
    const pending = command(relay, token, 'lamp-1', { action: 'turn_on' }).finally(() => (settled = true));
    await eventually(() => lamp.commands.length === 1);
    clock.advance(19_999);
    // A full request through the relay as a barrier: a timeout fired early would have answered by now.
    expect((await getJson(`${relay.url}/api/v1/devices`, token)).status).toBe(200);
    expect(settled).toBe(false);
    clock.advance(1);
    const res = await pending;
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('device_timeout');
    expect(lamp.commands).toHaveLength(1);
  });

  it('fails at once, not at the timeout, when the device disconnects mid-command', async () => {
    relay = await startRelay({ env: { DEVICE_COMMAND_TIMEOUT: '20' } });
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay, {
      onCommand: () => {
        setTimeout(() => lamp.socket.close(), 100);
        return null;
      },
    });
    const started = Date.now();
    const res = await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'device_offline', message: 'The device disconnected before answering.' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails a command caught by a replacement connection, and the device stays online', async () => {
    relay = await startRelay({ env: { DEVICE_COMMAND_TIMEOUT: '20' } });
    const { token } = await pair(relay);
    const first = await connectDevice(relay, { onCommand: () => null });
    const pending = command(relay, token, 'lamp-1', { action: 'turn_on' });
    await eventually(() => first.commands.length === 1);
    const replacement = await connectDevice(relay);
    const res = await pending;
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('device_offline');
    const retry = await command(relay, token, 'lamp-1', { action: 'turn_on' });
    expect(retry.status).toBe(200);
    expect(replacement.commands).toHaveLength(1);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first result without sending again', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay);
    const first = await command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'k-1' });
    const second = await command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(lamp.commands).toHaveLength(1);
    // Same key, other command: refused rather than silently answered with the wrong result.
    const other = await command(relay, token, 'lamp-1', { action: 'turn_off' }, { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('invalid_request');
    // Another grant has its own keys.
    const theirs = (await pair(relay)).token;
    expect((await command(relay, theirs, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'k-1' })).body.commandId).not.toBe(first.body.commandId);
    expect(lamp.commands).toHaveLength(2);
    // After 24 h (the 30 h token still valid) the key is free again.
    (relay.clock as FakeClock).advance(24 * 3600_000 + 1000);
    const later = await command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'k-1' });
    expect(later.status).toBe(200);
    expect(later.body.commandId).not.toBe(first.body.commandId);
    expect(lamp.commands).toHaveLength(3);
  });

  it('sends once when duplicates arrive together', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay, { onCommand: async () => {
      await sleep(300);
      return { ok: true, state: { on: true } };
    } });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'together' })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.commandId)).size).toBe(1);
    expect(lamp.commands).toHaveLength(1);
  });

  it('replays a rejection, but not a refusal that never reached the device', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    const lock = await connectDevice(relay, {
      deviceId: 'lock-1',
      actions: ['lock'],
      onCommand: () => ({ ok: false, error: { code: 'jammed', message: 'The bolt is jammed.' } }),
    });
    const key = { 'idempotency-key': 'jam' };
    const first = await command(relay, token, 'lock-1', { action: 'lock' }, key);
    const again = await command(relay, token, 'lock-1', { action: 'lock' }, key);
    expect([first.status, again.status]).toEqual([422, 422]);
    expect(again.body).toEqual(first.body);
    expect(lock.commands).toHaveLength(1);

    lock.socket.close();
    await eventually(async () => (await getJson(`${relay.url}/api/v1/devices/lock-1`, token)).body.online === false);
    const offline = await command(relay, token, 'lock-1', { action: 'lock' }, { 'idempotency-key': 'later' });
    expect(offline.status).toBe(409);
    const back = await connectDevice(relay, { deviceId: 'lock-1', actions: ['lock'], onCommand: () => ({ ok: true, state: { locked: true } }) });
    const retried = await command(relay, token, 'lock-1', { action: 'lock' }, { 'idempotency-key': 'later' });
    expect(retried.status).toBe(200);
    expect(back.commands).toHaveLength(1);
  });

  // The header tells a client it is looking at the first attempt's result: as true of a kept failure as of a success.
  it.each([
    { code: 'command_rejected', status: 422, onCommand: () => ({ ok: false as const, error: { code: 'jammed', message: 'The bolt is jammed.' } }) },
    // Never answers: the first attempt ends when the fake clock reaches DEVICE_COMMAND_TIMEOUT.
    { code: 'device_timeout', status: 504, onCommand: () => null, timesOut: true },
    // Vanishes mid-command: the command reached it, so the 409 is kept.
    {
      code: 'device_offline',
      status: 409,
      onCommand: (lamp: () => FakeDevice) => {
        setTimeout(() => lamp().socket.close(), 50);
        return null;
      },
    },
  ])('marks a replayed $code as replayed, with the first status and body', async ({ code, status, onCommand, timesOut }) => {
    relay = await startRelay({ env: { DEVICE_COMMAND_TIMEOUT: '20' } });
    const { token } = await pair(relay);
    const lamp: FakeDevice = await connectDevice(relay, { onCommand: () => onCommand(() => lamp) });
    const key = { 'idempotency-key': `kept-${code}` };
    const pending = command(relay, token, 'lamp-1', { action: 'turn_on' }, key);
    await eventually(() => lamp.commands.length === 1);
    if (timesOut) (relay.clock as FakeClock).advance(20_000);
    const first = await pending;
    const again = await command(relay, token, 'lamp-1', { action: 'turn_on' }, key);
    expect([first.status, again.status]).toEqual([status, status]);
    expect(first.body.error.code).toBe(code);
    expect(again.body).toEqual(first.body);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(lamp.commands).toHaveLength(1);
  });

  it('rejects a malformed key', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    await connectDevice(relay);
    const res = await command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'x'.repeat(300) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('devices over dashboard and kiosk sockets', () => {
  it('lists and commands from a dashboard with the REST rules', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay);
    const dashboard = await connectDashboard(relay, token);
    const listed = await emitAck(dashboard, 'devices:list');
    expect(listed).toEqual({ ok: true, data: { devices: [expect.objectContaining({ id: 'lamp-1', online: true })] } });
    const done = await emitAck(dashboard, 'device:command', { deviceId: 'lamp-1', action: 'turn_on' });
    expect(done).toEqual({ ok: true, data: { commandId: expect.any(String), device: expect.objectContaining({ state: { on: true } }) } });
    const codes = async (payload: unknown) => (await emitAck(dashboard, 'device:command', payload)).error?.code;
    expect(await codes({ deviceId: 'lamp-1', action: 'fly' })).toBe('unsupported_action');
    expect(await codes({ deviceId: 'nope', action: 'turn_on' })).toBe('device_not_found');
    expect(await codes({ deviceId: 'lamp-1' })).toBe('invalid_request');
    expect(await codes({ deviceId: 'lamp-1', action: 'turn_on', bogus: true })).toBe('invalid_request');
    const keyed = { deviceId: 'lamp-1', action: 'turn_off', idempotencyKey: 'sock-1' };
    const a = await emitAck(dashboard, 'device:command', keyed);
    const b = await emitAck(dashboard, 'device:command', keyed);
    expect(b).toEqual(a);
    expect(lamp.commands).toHaveLength(2);
    lamp.socket.close();
    await eventually(async () => (await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).body.online === false);
    expect(await codes({ deviceId: 'lamp-1', action: 'turn_on' })).toBe('device_offline');
  });

  it('lists and commands from the kiosk', async () => {
    relay = await startRelay();
    await connectDevice(relay);
    const kiosk = await connectKiosk(relay);
    expect((await emitAck(kiosk, 'devices:list')).data.devices).toHaveLength(1);
    const done = await emitAck(kiosk, 'device:command', { deviceId: 'lamp-1', action: 'turn_on', params: {} });
    expect(done.data.device.state).toEqual({ on: true });
  });

  it('stops a revoked grant: its socket is told and dropped, its token refused', async () => {
    relay = await startRelay();
    const mine = await pair(relay);
    const other = await pair(relay, { clientName: 'other' });
    await connectDevice(relay);
    const dashboard = await connectDashboard(relay, mine.token);
    const revoked = nextEvent(dashboard, 'grant:revoked');
    const dropped = nextEvent(dashboard, 'disconnect');
    const res = await fetch(`${relay.url}/api/v1/grants/${mine.grantId}`, { method: 'DELETE', headers: { authorization: `Bearer ${other.token}` } });
    expect(res.status).toBe(204);
    expect(await revoked).toEqual({ grantId: mine.grantId });
    expect(await dropped).toBe('io server disconnect');
    const refused = await command(relay, mine.token, 'lamp-1', { action: 'turn_on' });
    expect([refused.status, refused.body.error.code]).toEqual([401, 'token_revoked']);
  });

  it('stops an expired token: device events are refused and the socket is dropped', async () => {
    relay = await startRelay({ env: { ACCESS_TOKEN_TTL: '2s' } });
    const { token } = await pair(relay);
    await connectDevice(relay);
    const dashboard = await connectDashboard(relay, token);
    const told = nextEvent(dashboard, 'token:expired', 5000);
    const dropped = nextEvent(dashboard, 'disconnect', 5000);
    // The fake clock fires the socket's expiry timer as it passes the token's exp.
    (relay.clock as FakeClock).advance(3000);
    await told;
    expect(await dropped).toBe('io server disconnect');
    // The expired token opens nothing again: no socket, no command over REST.
    await expect(connectDashboard(relay, token)).rejects.toMatchObject({ message: expect.stringMatching(/invalid_token|expired/i) });
    expect((await command(relay, token, 'lamp-1', { action: 'turn_on' })).status).toBe(401);
  });
});
