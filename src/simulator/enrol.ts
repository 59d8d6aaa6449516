import { io } from 'socket.io-client';

export class EnrolRefused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * Enrols devices as a home's kiosk would: connects to `/kiosk` with the hub key and asks
 * `device:enroll` for each deviceId. The keys come back once; the caller keeps them.
 */
export async function enrolDevices(options: { url: string; serial: string; hubKey: string; deviceIds: readonly string[]; timeoutMs?: number }): Promise<Record<string, string>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const kiosk = io(`${options.url.replace(/\/$/, '')}/kiosk`, {
    auth: { serial: options.serial, hubKey: options.hubKey },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      kiosk.once('connect', () => resolve());
      kiosk.once('connect_error', (err: Error & { data?: { code?: string } }) => reject(new EnrolRefused(err.data?.code ?? err.message)));
    });
    const keys: Record<string, string> = {};
    for (const deviceId of options.deviceIds) {
      const reply = (await kiosk.timeout(timeoutMs).emitWithAck('device:enroll', { deviceId })) as
        | { ok: true; data: { deviceKey: string } }
        | { ok: false; error: { code: string } };
      if (!reply.ok) throw new EnrolRefused(reply.error.code);
      keys[deviceId] = reply.data.deviceKey;
    }
    return keys;
  } finally {
    kiosk.close();
  }
}
