import { eventually } from '../devices.ts';
import type { Socket as ClientSocket } from 'socket.io-client';
import { getJson, type TestRelay } from '../relay.ts';

/** The home's device list as GET /devices shows it. */
export async function listDevices(relay: Pick<TestRelay, 'url'>, token: string): Promise<any[]> {
  const res = await getJson(`${relay.url}/api/v1/devices`, token);
  if (res.status !== 200) throw new Error(`GET /devices: ${res.status}`);
  return res.body.devices;
}

/** Waits until the device with `id` is listed and `check` holds for it; returns it. */
export async function waitForDevice(relay: Pick<TestRelay, 'url'>, token: string, id: string, check: (d: any) => boolean = (d) => d.online, timeoutMs = 10_000): Promise<any> {
  let found: any;
  await eventually(async () => {
    found = (await listDevices(relay, token)).find((d) => d.id === id);
    return found !== undefined && check(found);
  }, timeoutMs);
  return found;
}

/** The next `event` whose payload satisfies `check` (others, such as start-up state reads, are skipped). */
export function nextMatching<T = any>(socket: ClientSocket, event: string, check: (payload: T) => boolean, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no matching "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (payload: T) => {
      if (!check(payload)) return;
      clearTimeout(timer);
      socket.off(event, onEvent);
      resolve(payload);
    };
    socket.on(event, onEvent);
  });
}
