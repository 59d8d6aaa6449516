import { expect } from 'vitest';
import type { Socket as ClientSocket } from 'socket.io-client';
import { connectDevice } from '../helpers/devices.ts';
import { emitAck, pair, postJson, type TestRelay } from '../helpers/relay.ts';

export const HOUR = 3600_000;

/** A light the guest may toggle and a lock it must never see. */
export async function lampAndLock(relay: TestRelay) {
  const lamp = await connectDevice(relay, { deviceId: 'hall-light', name: 'Hall light', type: 'light' });
  const lock = await connectDevice(relay, { deviceId: 'front-door', name: 'Front door', type: 'lock', actions: ['lock', 'unlock'], state: { locked: true } });
  return { lamp, lock };
}

export const lightOnly = (notAfter: number, extra: Record<string, unknown> = {}) => ({
  clientName: 'Cleaner',
  scope: { devices: ['hall-light'], actions: { 'hall-light': ['turn_on'] } },
  notAfter: new Date(notAfter).toISOString(),
  ...extra,
});

export async function invite(relay: Pick<TestRelay, 'url'>, ownerToken: string, body: unknown) {
  return postJson(`${relay.url}/api/v1/guests`, body, { authorization: `Bearer ${ownerToken}` });
}

export async function claim(relay: Pick<TestRelay, 'url'>, code: string, extra: Record<string, unknown> = {}) {
  return postJson(`${relay.url}/api/v1/guests/claim`, { code, ...extra });
}

/** An owner (full grant) and a guest holding the invite's grant. */
export async function ownerAndGuest(relay: TestRelay, body: unknown, kiosk?: ClientSocket, claimVia: Pick<TestRelay, 'url'> = relay) {
  const owner = await pair(relay, { ...(kiosk ? { kiosk } : {}), clientName: 'Owner phone' });
  const invited = await invite(relay, owner.token, body);
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  const claimed = await claim(claimVia, invited.body.code, { clientName: 'Cleaner phone' });
  expect(claimed.status, JSON.stringify(claimed.body)).toBe(201);
  return { owner, guest: claimed.body, invited: invited.body };
}

export const ackOf = (socket: ClientSocket, event: string, payload?: unknown) => emitAck(socket, event, payload);
