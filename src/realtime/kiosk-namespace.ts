import { z } from 'zod';
import { kioskOrigin } from '../audit/types.ts';
import { hubKeyMatches, presented } from '../credentials/device-keys.ts';
import type { RealtimeContext } from './context.ts';
import type { KioskNamespace, KioskSocket } from './events.ts';
import { onAck, refusal } from './ack.ts';
import { guardedHandshake } from './handshake.ts';
import { rooms } from './rooms.ts';
import { joinHomeRooms, kioskRoomsOf, mergedSnapshot } from './resume.ts';
import { socketOrigin } from './socket-origin.ts';

const kioskAuth = z.object({ serial: z.string().min(1).max(64), hubKey: z.string().max(256).catch('') });
const empty = z.strictObject({});
const revokeBody = z.strictObject({ grantId: z.string().min(1).max(64) });
const enrollBody = z.strictObject({ deviceId: z.string().min(1).max(128) });

/** Extra acknowledged events a feature (devices) adds to the kiosk namespace. */
export type KioskFeature = (socket: KioskSocket, serial: string) => void;
/** A feature's part of the snapshot a resuming kiosk gets with `resync`. */
export type KioskSnapshot = (serial: string) => Promise<Record<string, unknown>>;

/** `/kiosk`: the intercom screen. Hub-key handshake; each kiosk joins its home's room. */
export function attachKiosk(
  nsp: KioskNamespace,
  { services, logger, trustProxy, eventLog }: RealtimeContext,
  features: KioskFeature[] = [],
  snapshots: KioskSnapshot[] = [],
): void {
  nsp.use(async (socket, next) => {
    const auth = kioskAuth.safeParse(socket.handshake.auth);
    if (!auth.success) return next(refusal('invalid_request'));
    const { serial } = auth.data;
    // Only the hub key opens /kiosk: a device key (in any field) is just a wrong hub key here.
    const credential = presented('hub-key', auth.data.hubKey);
    const refused = await guardedHandshake(
      services.handshakes,
      logger,
      { namespace: '/kiosk', ip: socketOrigin(socket, trustProxy).ip, serial },
      async () => {
        const home = await services.homes.get(serial);
        if (!home) return 'home_not_found';
        if (!hubKeyMatches(home, credential.hash)) return 'invalid_hub_key';
        socket.data.serial = serial;
        // Kept (as a hash) so a key rotation can find the kiosks still on the old key.
        socket.data.credential = credential;
        return 'ok';
      },
    );
    next(refused);
  });

  nsp.on('connection', (socket) => {
    const { serial } = socket.data;
    const snapshot = mergedSnapshot([async () => ({ grants: await services.grants.list(serial) }), ...snapshots.map((part) => () => part(serial))]);
    joinHomeRooms(socket, { log: eventLog, logger, serial, homeRooms: [rooms.home(serial)], roomsOf: kioskRoomsOf(serial), snapshot }).catch((err: unknown) =>
      logger.warn({ err, serial }, 'kiosk could not join its home'),
    );
    logger.info({ serial, ip: socketOrigin(socket, trustProxy).ip }, 'kiosk connected');

    onAck(socket, logger, 'pairing:open', empty, async () => {
      const issued = await services.pairing.requestCode({ serial, clientName: 'Intercom', origin: socketOrigin(socket, trustProxy), fromKiosk: true });
      return { expiresAt: issued.expiresAt, ttlSeconds: issued.ttlSeconds };
    });
    onAck(socket, logger, 'pairing:cancel', empty, async () => {
      await services.pairing.cancel(serial);
      return {};
    });
    onAck(socket, logger, 'pairing:unlock', empty, async () => {
      await services.pairing.unlock(serial);
      return {};
    });
    onAck(socket, logger, 'grants:list', empty, async () => ({ grants: await services.grants.list(serial) }));
    onAck(socket, logger, 'grant:revoke', revokeBody, async ({ grantId }) => {
      await services.grants.revoke(serial, grantId, kioskOrigin);
      return {};
    });
    // A device key bound to one deviceId, shown once here; from now on that deviceId needs it.
    // A kiosk never replaces a key: that would hand an enrolled device to whoever holds the hub key.
    onAck(socket, logger, 'device:enroll', enrollBody, async ({ deviceId }) => {
      const deviceKey = await services.deviceKeys.issue(serial, deviceId, { replace: false });
      services.audit.record(serial, { ...kioskOrigin, event: 'device.enrolled', target: deviceId, outcome: 'ok' });
      return { deviceId, deviceKey };
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
