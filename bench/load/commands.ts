import type { Target } from '../lib/servers.ts';
import type { SequentialSample } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { expectStatus, HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { timeSequential } from './sequential.ts';
import { connectSocket } from './sockets.ts';

export interface CommandParams {
  target: Target;
  /** Where the device connects, when not `target` (another relay instance on the same Redis). */
  deviceTarget?: Target;
  warmupMs: number;
  durationMs: number;
}

const DEVICE_ID = 'bench-lamp';

/** Sequential REST command → device ack → 200, with a device agent that answers at once. */
export async function commandClient(raw: unknown, ctx: LoadContext): Promise<SequentialSample> {
  const { target, warmupMs, durationMs, deviceTarget } = raw as CommandParams;
  const dialect = dialects[target.kind];
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  const device = await connectSocket(dialect.device(deviceTarget ?? target, DEVICE_ID));
  let on = false;
  device.on('command', (_command: unknown, ack?: (reply: unknown) => void) => {
    on = !on;
    ack?.({ ok: true, state: { on, level: 0 } });
  });
  try {
    const token = await pairOnce(dialect, http, kiosk, target.kind === 'relay' ? target.serial : undefined);
    const headers = { authorization: `Bearer ${token}` };
    const path = dialect.commandPath(DEVICE_ID);
    const once = async () => expectStatus(await http.send('POST', path, { body: { action: 'toggle' }, headers }), 200, 'command');
    return await timeSequential(once, ctx, warmupMs, durationMs);
  } finally {
    device.close();
    kiosk.close();
    http.close();
  }
}
