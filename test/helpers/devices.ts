import type { Socket as ClientSocket } from 'socket.io-client';
import type { DeviceRecord } from '../../src/devices/types.ts';
import { keys } from '../../src/store/keys.ts';
import { connectSocket, HUB_KEY, type TestRelay } from './relay.ts';

export interface Command {
  commandId: string;
  action: string;
  params: Record<string, unknown>;
}

export type Reply = { ok: true; state?: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };

export interface FakeDevice {
  socket: ClientSocket;
  /** Every command received, in order. */
  commands: Command[];
}

export interface FakeDeviceOptions {
  deviceId?: string;
  name?: string;
  type?: string;
  actions?: string[];
  state?: Record<string, unknown>;
  serial?: string;
  hubKey?: string;
  /** The device's own key (enrolled): sent instead of the hub key. */
  deviceKey?: string;
  /** What to answer; `null` never answers (a hung device). Default: on/off like a light. */
  onCommand?: (command: Command) => Reply | null | Promise<Reply | null>;
}

const lightLike = (command: Command): Reply =>
  command.action === 'turn_on' ? { ok: true, state: { on: true } } : command.action === 'turn_off' ? { ok: true, state: { on: false } } : { ok: true };

export const deviceAuth = (o: FakeDeviceOptions = {}) => ({
  serial: o.serial ?? 'home-1',
  ...(o.deviceKey ? { deviceKey: o.deviceKey } : { hubKey: o.hubKey ?? HUB_KEY }),
  deviceId: o.deviceId ?? 'lamp-1',
  name: o.name ?? 'Desk lamp',
  type: o.type ?? 'light',
  actions: o.actions ?? ['turn_on', 'turn_off'],
  state: o.state ?? { on: false },
});

/** A device agent over a real socket.io-client; resolves once the relay has registered it. */
export async function connectDevice(relay: TestRelay, options: FakeDeviceOptions = {}): Promise<FakeDevice> {
  const auth = deviceAuth(options);
  const socket = await connectSocket(`${relay.url}/device`, auth);
  const commands: Command[] = [];
  const answer = options.onCommand ?? lightLike;
  socket.on('command', async (command: Command, ack: (reply: Reply) => void) => {
    commands.push(command);
    const reply = await answer(command);
    if (reply !== null) ack(reply);
  });
  await registered(relay, auth.serial, auth.deviceId, socket);
  return { socket, commands };
}

/** The registry is written just after the handshake: wait until it names this socket. */
async function registered(relay: TestRelay, serial: string, deviceId: string, socket: ClientSocket): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const record = await relay.store.get<DeviceRecord>(keys.deviceRecord(serial, deviceId));
    if (record?.online && record.connectionId?.endsWith(`/${socket.id}`)) return;
    await sleep(10);
  }
  throw new Error(`device ${deviceId} was not registered`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

export async function command(relay: Pick<TestRelay, 'url'>, token: string, deviceId: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${relay.url}/api/v1/devices/${encodeURIComponent(deviceId)}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
