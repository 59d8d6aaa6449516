import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { RealtimeContext } from './context.ts';
import { onAck, refusal } from './ack.ts';
import { rooms } from './rooms.ts';
import { socketOrigin } from './socket-origin.ts';

const kioskAuth = z.object({ serial: z.string().min(1).max(64), hubKey: z.string().max(256).catch('') });
const empty = z.strictObject({});
const revokeBody = z.strictObject({ grantId: z.string().min(1).max(64) });

/** Extra acknowledged events a feature (devices) adds to the kiosk namespace. */
export type KioskFeature = (socket: Socket, serial: string) => void;

/** `/kiosk`: the intercom screen. Hub-key handshake; each kiosk joins its home's room. */
export function attachKiosk(nsp: Namespace, { services, logger, trustProxy }: RealtimeContext, features: KioskFeature[] = []): void {
  nsp.use(async (socket, next) => {
    const auth = kioskAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(refusal('invalid_request'));
    try {
      const check = await services.homes.checkHubKey(auth.data.serial, auth.data.hubKey);
      if (check !== 'ok') return next(refusal(check));
      socket.data.serial = auth.data.serial;
      next();
    } catch (err) {
      logger.error({ err }, 'kiosk handshake failed');
      next(refusal('unavailable'));
    }
  });

  nsp.on('connection', (socket) => {
    const serial = socket.data.serial as string;
    void socket.join(rooms.home(serial));
    logger.info({ serial, ip: socketOrigin(socket, trustProxy).ip }, 'kiosk connected');

    onAck(socket, logger, 'pairing:open', empty, async () => {
      const issued = await services.pairing.requestCode({ serial, clientName: 'Intercom', origin: socketOrigin(socket, trustProxy) });
      return { expiresAt: issued.expiresAt, ttlSeconds: issued.ttlSeconds };
    });
    onAck(socket, logger, 'pairing:cancel', empty, async () => {
      await services.pairing.cancel(serial);
      return {};
    });
    onAck(socket, logger, 'grants:list', empty, async () => ({ grants: await services.grants.list(serial) }));
    onAck(socket, logger, 'grant:revoke', revokeBody, async ({ grantId }) => {
      await services.grants.revoke(serial, grantId);
      return {};
    });
    for (const feature of features) feature(socket, serial);
    // A kiosk that connects during a lock must show it too, not only kiosks online when it began.
    services.pairing
      .lockedUntil(serial)
      .then((until) => until && socket.emit('pairing:locked', { until }))
      .catch((err: unknown) => logger.warn({ err, serial }, 'could not read the pairing lock'));

    socket.on('disconnect', (reason) => logger.info({ serial, reason }, 'kiosk disconnected'));
  });
}
