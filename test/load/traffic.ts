import type { Socket as ClientSocket } from 'socket.io-client';
import { connectDevice, type FakeDevice, sleep } from '../helpers/devices.ts';
import { connectDashboard, connectKiosk, nextEvent, postJson, stallReading, type TestRelay } from '../helpers/relay.ts';
import { openSse } from '../helpers/sse.ts';

/** What the soak saw: every HTTP status by route, and every acknowledged command. */
export class Tally {
  readonly statuses = new Map<string, number>();
  readonly unexpected: string[] = [];
  /** commandIds answered 200 to a client; each must have reached its device. */
  readonly acknowledged = new Map<string, string>();
  /** commandIds each device received, across its reconnections. */
  readonly received = new Map<string, Set<string>>();
  stateEventsSeen = 0;
  qrLogins = 0;

  count(route: string, status: number, body: unknown): void {
    const key = `${route} ${status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    // 503 (kiosk offline) and 504 (device timeout) are contract answers while things drop out.
    if (status >= 500 && status !== 503 && status !== 504) this.unexpected.push(`${key}: ${JSON.stringify(body)}`);
  }

  receivedBy(deviceId: string): Set<string> {
    let set = this.received.get(deviceId);
    if (!set) {
      set = new Set();
      this.received.set(deviceId, set);
    }
    return set;
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

export interface Home {
  relay: TestRelay;
  kiosk: ClientSocket | null;
  devices: Map<string, FakeDevice | null>;
  dashboards: ClientSocket[];
  token: string;
}

export async function connectLight(home: Home, tally: Tally, deviceId: string): Promise<void> {
  const received = tally.receivedBy(deviceId);
  const device = await connectDevice(home.relay, {
    deviceId,
    onCommand: (command) => {
      received.add(command.commandId);
      return { ok: true, state: { on: command.action === 'turn_on' } };
    },
  });
  home.devices.set(deviceId, device);
}

/** Pairing as users do it, in a loop: code → kiosk → claim. */
export async function pairingLoop(home: Home, tally: Tally, until: number): Promise<void> {
  while (Date.now() < until) {
    const kiosk = home.kiosk;
    if (!kiosk?.connected) {
      await sleep(100);
      continue;
    }
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code', 5000).catch(() => null);
    const asked = await postJson(`${home.relay.url}/api/v1/pairing/code`, { clientName: 'soak' });
    tally.count('pairing/code', asked.status, asked.body);
    const pushed = await arrives;
    if (asked.status !== 202 || !pushed) continue;
    const claimed = await postJson(`${home.relay.url}/api/v1/pairing/claim`, { code: pushed.code, clientName: 'soak' });
    tally.count('pairing/claim', claimed.status, claimed.body);
    if (claimed.status === 201 && Math.random() < 0.5) {
      const revoke = await fetch(`${home.relay.url}/api/v1/grants/${claimed.body.grantId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${claimed.body.token}` },
      });
      tally.count('grants/delete', revoke.status, null);
    }
  }
}

/** REST commands to random devices; a 200 means the device got it. */
export async function commandLoop(home: Home, tally: Tally, until: number): Promise<void> {
  const ids = [...home.devices.keys()];
  while (Date.now() < until) {
    const deviceId = pick(ids);
    const res = await fetch(`${home.relay.url}/api/v1/devices/${deviceId}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${home.token}` },
      body: JSON.stringify({ action: Math.random() < 0.5 ? 'turn_on' : 'turn_off' }),
    });
    const body = (await res.json().catch(() => null)) as { commandId?: string } | null;
    tally.count('devices/commands', res.status, body);
    if (res.status === 200 && body?.commandId) tally.acknowledged.set(body.commandId, deviceId);
  }
}

/** Unsolicited state changes, fanned out to the home's dashboards. */
export async function stateLoop(home: Home, until: number): Promise<void> {
  while (Date.now() < until) {
    const device = pick([...home.devices.values()]);
    device?.socket.emit('state', { state: { on: Math.random() < 0.5 } });
    await sleep(20);
  }
}

/** Devices and kiosks drop and come back at random. */
export async function chaosLoop(home: Home, tally: Tally, until: number): Promise<void> {
  while (Date.now() < until) {
    await sleep(300 + Math.random() * 700);
    if (Math.random() < 0.3) {
      home.kiosk?.close();
      home.kiosk = null;
      await sleep(Math.random() * 500);
      home.kiosk = await connectKiosk(home.relay);
    } else {
      const deviceId = pick([...home.devices.keys()]);
      home.devices.get(deviceId)?.socket.close();
      home.devices.set(deviceId, null);
      await sleep(Math.random() * 500);
      await connectLight(home, tally, deviceId);
    }
  }
}

/** One device flooding `state` far above its rate (bursts of `perTick` every 10 ms), across its reconnections. */
export async function floodLoop(home: Home, deviceId: string, until: number, perTick = 10): Promise<number> {
  let n = 0;
  while (Date.now() < until) {
    const device = home.devices.get(deviceId);
    if (device?.socket.connected) for (let i = 0; i < perTick; i++) device.socket.emit('state', { state: { on: n % 2 === 0, n: ++n } });
    await sleep(10);
  }
  return n;
}

/** Dashboards that stop reading their sockets: the relay must cut them, not buffer for them. */
export async function openStalledDashboards(home: Home, count: number): Promise<ClientSocket[]> {
  const stalled: ClientSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await connectDashboard(home.relay, home.token);
    stallReading(socket);
    stalled.push(socket);
  }
  return stalled;
}

export async function openDashboards(home: Home, tally: Tally, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = await connectDashboard(home.relay, home.token);
    socket.on('device:state', () => tally.stateEventsSeen++);
    home.dashboards.push(socket);
  }
}

/** QR logins: a browser streams, the paired phone scans and approves (or now and then denies). */
export async function qrLoop(home: Home, tally: Tally, until: number): Promise<void> {
  const { url } = home.relay;
  const auth = { authorization: `Bearer ${home.token}` };
  while (Date.now() < until) {
    const created = await postJson(`${url}/api/v1/qr/sessions`, { clientName: 'soak browser' });
    tally.count('qr/sessions', created.status, created.body);
    if (created.status !== 201) continue;
    const id = created.body.sessionId as string;
    const scanId = created.body.scanId as string;
    const stream = await openSse(`${url}/api/v1/qr/sessions/${id}/events`);
    const scanned = await fetch(`${url}/api/v1/qr/sessions/${scanId}`, { headers: auth });
    tally.count('qr/get', scanned.status, await scanned.json());
    const approve = Math.random() < 0.9;
    const decided = await fetch(`${url}/api/v1/qr/sessions/${scanId}/${approve ? 'approve' : 'deny'}`, { method: 'POST', headers: auth });
    tally.count(`qr/${approve ? 'approve' : 'deny'}`, decided.status, await decided.json());
    const outcome = await stream.next(approve ? 'COMPLETE' : 'FAIL', 10_000).catch(() => null);
    if (!outcome) tally.unexpected.push(`qr session ${approve ? 'approved' : 'denied'} but the stream never said so`);
    else if (approve) tally.qrLogins++;
    stream.close();
  }
}
