import { describe, expect, it } from 'vitest';
import { command, eventually } from '../helpers/devices.ts';
import { connectDashboard, connectKiosk, emitAck, getJson, nextEvent, postJson, useRelay } from '../helpers/relay.ts';
import { claim, HOUR, invite, lampAndLock, lightOnly, ownerAndGuest } from './helpers.ts';

const del = (url: string, token: string) => fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

describe('guest invites and scoped grants (memory store)', () => {
  const relay = useRelay();
  const soon = () => relay().clock.now() + 2 * HOUR;

  it('a full grant invites: a single-use 10-letter code from the RFC 8628 alphabet and a link that pre-fills it', async () => {
    await lampAndLock(relay());
    const { invited, guest } = await ownerAndGuest(relay(), lightOnly(soon()));
    expect(invited.code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{10}$/);
    expect(invited.inviteId).toEqual(expect.any(String));
    // The code rides in the fragment: never sent to a server, never in an access log.
    expect(invited.inviteUrl).toMatch(new RegExp(`/guest#code=${invited.code}&serial=home-1$`));
    expect(Date.parse(invited.expiresAt)).toBeLessThanOrEqual(relay().clock.now() + 24 * HOUR);
    expect(guest).toMatchObject({ success: true, tokenType: 'Bearer', scope: lightOnly(0).scope, notAfter: new Date(soon()).toISOString() });
    // The access token ends no later than the grant.
    expect(guest.expiresIn).toBeLessThanOrEqual(2 * 3600);
    const claims = JSON.parse(Buffer.from(guest.token.split('.')[1], 'base64url').toString());
    expect(claims.exp * 1000).toBeLessThanOrEqual(soon());

    // Single use: the same code again is spent; lower case with a dash is the same code.
    const again = await claim(relay(), `${invited.code.slice(0, 5).toLowerCase()}-${invited.code.slice(5)}`);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('code_expired');
    expect((await claim(relay(), 'BCDFGHJKLM')).body.error.code).toBe('invalid_code');
    expect((await claim(relay(), 'AEIOU12345')).body.error.code).toBe('invalid_request');
  });

  it('a guest sees only its devices (others 404, absent from lists) and may run only its actions (403 insufficient_scope)', async () => {
    await lampAndLock(relay());
    const { guest, owner } = await ownerAndGuest(relay(), lightOnly(soon()));
    const listed = await getJson(`${relay().url}/api/v1/devices`, guest.token);
    expect(listed.body.devices.map((d: { id: string }) => d.id)).toEqual(['hall-light']);
    expect((await getJson(`${relay().url}/api/v1/devices/front-door`, guest.token)).body.error.code).toBe('device_not_found');
    expect((await getJson(`${relay().url}/api/v1/devices/hall-light`, guest.token)).status).toBe(200);

    const unlock = await command(relay(), guest.token, 'front-door', { action: 'unlock' });
    expect(unlock.status).toBe(404);
    expect(unlock.body.error.code).toBe('device_not_found');
    expect((await command(relay(), guest.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    const off = await command(relay(), guest.token, 'hall-light', { action: 'turn_off' });
    expect(off.status).toBe(403);
    expect(off.body.error.code).toBe('insufficient_scope');
    // The owner still sees and runs everything.
    expect((await command(relay(), owner.token, 'front-door', { action: 'unlock' })).status).toBe(200);

    const { body } = await getJson(`${relay().url}/api/v1/audit`, owner.token);
    const commands = body.entries.filter((e: { event: string }) => e.event === 'device.command');
    expect(commands.map((e: { actor: { clientName?: string }; target: string; outcome: string }) => [e.actor.clientName ?? 'kiosk', e.target, e.outcome])).toEqual([
      ['Cleaner phone', 'front-door', 'denied'],
      ['Cleaner phone', 'hall-light', 'ok'],
      ['Cleaner phone', 'hall-light', 'denied'],
      ['Owner phone', 'front-door', 'ok'],
    ]);
    expect(body.entries.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['guest.invited', 'guest.claimed']));
  });

  it('read-only scope lists but commands nothing; maxUses caps the commands', async () => {
    await lampAndLock(relay());
    const { guest: reader } = await ownerAndGuest(relay(), { ...lightOnly(soon()), scope: { devices: '*', actions: 'read' } });
    expect((await getJson(`${relay().url}/api/v1/devices`, reader.token)).body.devices).toHaveLength(2);
    expect((await command(relay(), reader.token, 'hall-light', { action: 'turn_on' })).body.error.code).toBe('insufficient_scope');

    const { guest: limited } = await ownerAndGuest(relay(), lightOnly(soon(), { maxUses: 2 }));
    expect((await command(relay(), limited.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    expect((await command(relay(), limited.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    const third = await command(relay(), limited.token, 'hall-light', { action: 'turn_on' });
    expect(third.status).toBe(403);
    expect(third.body.error.code).toBe('insufficient_scope');
  });

  it('an Idempotency-Key repeat spends no use; uses counts the commands sent (refused and undelivered ones not), with or without maxUses', async () => {
    const { lamp } = await lampAndLock(relay());
    const { guest: limited, owner } = await ownerAndGuest(relay(), lightOnly(soon(), { maxUses: 2 }));
    const once = { 'idempotency-key': 'guest-retry-1' };
    const first = await command(relay(), limited.token, 'hall-light', { action: 'turn_on' }, once);
    expect(first.status).toBe(200);
    // The guest's network retries: the first result again, not 403, and the device got it once.
    const retried = await command(relay(), limited.token, 'hall-light', { action: 'turn_on' }, once);
    expect(retried.status).toBe(200);
    expect(retried.body.commandId).toBe(first.body.commandId);
    expect(lamp.commands).toHaveLength(1);
    // So its second use is still there; a third command is refused and spends nothing.
    expect((await command(relay(), limited.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    expect((await command(relay(), limited.token, 'hall-light', { action: 'turn_on' })).status).toBe(403);

    const { guest: unlimited } = await ownerAndGuest(relay(), { ...lightOnly(soon()), clientName: 'Unlimited' });
    for (let i = 0; i < 3; i++) expect((await command(relay(), unlimited.token, 'hall-light', { action: 'turn_on' })).status).toBe(200);
    expect((await command(relay(), unlimited.token, 'hall-light', { action: 'turn_off' })).status).toBe(403);
    lamp.socket.disconnect();
    await eventually(async () => (await getJson(`${relay().url}/api/v1/devices/hall-light`, owner.token)).body.online === false, 3000);
    expect((await command(relay(), unlimited.token, 'hall-light', { action: 'turn_on' })).status).toBe(409);

    const grants = (await getJson(`${relay().url}/api/v1/grants`, owner.token)).body.grants as { clientName: string; uses?: number; maxUses?: number }[];
    expect(grants.find((g) => g.clientName === 'Cleaner phone' && g.maxUses === 2)?.uses).toBe(2);
    expect(grants.find((g) => g.maxUses === undefined && g.uses !== undefined)?.uses).toBe(3);
  });

  it('a device the scope names but the home lacks is 404 device_not_found, whatever the action', async () => {
    await lampAndLock(relay());
    const { guest } = await ownerAndGuest(relay(), { ...lightOnly(soon()), scope: { devices: ['ghost', 'hall-light'], actions: 'read' } });
    const res = await command(relay(), guest.token, 'ghost', { action: 'turn_on' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('device_not_found');
    expect((await command(relay(), guest.token, 'hall-light', { action: 'turn_on' })).body.error.code).toBe('insufficient_scope');
  });

  it('a guest cannot list or revoke grants, invite, approve a QR login or read the audit log', async () => {
    const { guest, owner } = await ownerAndGuest(relay(), { ...lightOnly(soon()), scope: { devices: '*', actions: { '*': '*' } } });
    const auth = { authorization: `Bearer ${guest.token}` };
    expect((await getJson(`${relay().url}/api/v1/grants`, guest.token)).body.error.code).toBe('insufficient_scope');
    expect((await del(`${relay().url}/api/v1/grants/${owner.grantId}`, guest.token)).status).toBe(403);
    expect((await invite(relay(), guest.token, lightOnly(soon()))).body.error.code).toBe('insufficient_scope');
    expect((await getJson(`${relay().url}/api/v1/audit`, guest.token)).status).toBe(403);
    // Even a guest allowed every action on every device cannot forget one.
    await lampAndLock(relay());
    const removal = await del(`${relay().url}/api/v1/devices/hall-light`, guest.token);
    expect(removal.status).toBe(403);
    expect(((await removal.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
    expect((await getJson(`${relay().url}/api/v1/devices/hall-light`, owner.token)).status).toBe(200);
    const session = await postJson(`${relay().url}/api/v1/qr/sessions`, {});
    const approve = await postJson(`${relay().url}/api/v1/qr/sessions/${session.body.scanId}/approve`, {}, auth);
    expect(approve.status).toBe(403);
    expect(approve.body.error.code).toBe('insufficient_scope');
    const dashboard = await connectDashboard(relay(), guest.token);
    expect(await emitAck(dashboard, 'qr:approve', { scanId: session.body.scanId })).toMatchObject({ ok: false, error: { code: 'insufficient_scope' } });
    // The owner's grant still works: nothing the guest tried touched it.
    expect((await getJson(`${relay().url}/api/v1/grants`, owner.token)).status).toBe(200);
  });

  it('refuses terms past 90 days, in the past, or with actions for devices outside the scope', async () => {
    const { guest: _g, owner } = await ownerAndGuest(relay(), lightOnly(soon()));
    const now = relay().clock.now();
    for (const body of [
      lightOnly(now + 91 * 24 * HOUR),
      lightOnly(now - 1000),
      lightOnly(soon(), { notBefore: new Date(soon() + 1000).toISOString() }),
      { ...lightOnly(soon()), scope: { devices: ['hall-light'], actions: { 'front-door': ['unlock'] } } },
      { ...lightOnly(soon()), extra: true },
    ]) {
      const res = await invite(relay(), owner.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('guest dashboards receive events only for their devices and list only those over the socket', async () => {
    const { lamp, lock } = await lampAndLock(relay());
    const kiosk = await connectKiosk(relay());
    const { guest, owner } = await ownerAndGuest(relay(), lightOnly(soon()), kiosk);
    const guestSocket = await connectDashboard(relay(), guest.token);
    const ownerSocket = await connectDashboard(relay(), owner.token);
    const seenByGuest: string[] = [];
    guestSocket.on('device:state', (d: { id: string }) => seenByGuest.push(d.id));

    const lockSeenByOwner = nextEvent(ownerSocket, 'device:state');
    lock.socket.emit('state', { state: { locked: false } });
    expect(await lockSeenByOwner).toMatchObject({ id: 'front-door' });
    const lampSeenByGuest = nextEvent(guestSocket, 'device:state');
    lamp.socket.emit('state', { state: { on: true } });
    expect(await lampSeenByGuest).toMatchObject({ id: 'hall-light' });
    expect(seenByGuest).toEqual(['hall-light']);

    const listed = await emitAck(guestSocket, 'devices:list');
    expect(listed.data.devices.map((d: { id: string }) => d.id)).toEqual(['hall-light']);
    expect(await emitAck(guestSocket, 'device:command', { deviceId: 'front-door', action: 'unlock' })).toMatchObject({
      ok: false,
      error: { code: 'device_not_found' },
    });
    expect(await emitAck(guestSocket, 'device:command', { deviceId: 'hall-light', action: 'turn_on' })).toMatchObject({ ok: true });
  });

  it('kiosks invite with guest:create and see guests with scope, end and uses in grants:list; revoking cuts the guest', async () => {
    await lampAndLock(relay());
    const kiosk = await connectKiosk(relay());
    const created = await emitAck(kiosk, 'guest:create', lightOnly(soon(), { maxUses: 5 }));
    expect(created).toMatchObject({ ok: true, data: { code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{10}$/) } });
    const claimed = await claim(relay(), created.data.code);
    expect(claimed.status).toBe(201);
    await command(relay(), claimed.body.token, 'hall-light', { action: 'turn_on' });
    const { data } = await emitAck(kiosk, 'grants:list');
    expect(data.grants).toEqual([
      expect.objectContaining({ id: claimed.body.grantId, clientName: 'Cleaner', scope: lightOnly(0).scope, notAfter: new Date(soon()).toISOString(), maxUses: 5, uses: 1 }),
    ]);
    const dashboard = await connectDashboard(relay(), claimed.body.token);
    const revoked = nextEvent(dashboard, 'grant:revoked');
    expect(await emitAck(kiosk, 'grant:revoke', { grantId: claimed.body.grantId })).toMatchObject({ ok: true });
    await revoked;
    expect((await getJson(`${relay().url}/api/v1/devices`, claimed.body.token)).body.error.code).toBe('token_revoked');
    await eventually(() => dashboard.disconnected);
  });
});
