import { connectionIdOf } from '../devices/link.ts';
import type { DeviceConnection } from '../devices/registry.ts';
import type { DeviceService } from '../devices/service.ts';
import { deviceCredentials, deviceDescriptorSchema, stateMessage } from '../devices/schemas.ts';
import type { DeviceDescriptor } from '../devices/types.ts';
import { type DeviceKeyService, presented } from '../credentials/device-keys.ts';
import type { HandshakeGuard } from '../credentials/handshake-guard.ts';
import { AppError } from '../errors.ts';
import { valueTooDeep } from '../json-depth.ts';
import type { Logger } from '../logger.ts';
import type { RequestOrigin } from '../ports.ts';
import { onAck, refusal } from './ack.ts';
import type { DeviceNamespace, DeviceSocket } from './events.ts';
import { guardedHandshake } from './handshake.ts';
import { rooms } from './rooms.ts';

export interface DeviceNamespaceDeps {
  devices: DeviceService;
  deviceKeys: DeviceKeyService;
  handshakes: HandshakeGuard;
  /** Who is on the other end, as Express would say for a request (TRUST_PROXY). */
  originOf: (socket: DeviceSocket) => RequestOrigin;
  logger: Logger;
  /** This relay instance: device connection ids name it (see devices/liveness.ts). */
  instanceId: string;
}

/**
 * `/device`: device agents. The key (hub key, or the device's own) is checked before the rest of
 * the handshake is read, so a stranger learns nothing about what a valid description looks like.
 */
export interface DeviceSockets {
  /**
   * This instance is stopping: from now on a device socket that closes leaves its device to the
   * caller, and an arriving one is cut. Resolves, once every registration in flight has landed,
   * with the connections held here, for `DeviceService.departed` to take offline in one batch.
   */
  drain(): Promise<DeviceConnection[]>;
}

export function attachDevices(nsp: DeviceNamespace, { devices, deviceKeys, handshakes, originOf, logger, instanceId }: DeviceNamespaceDeps): DeviceSockets {
  // Every device socket held here, with its registration (a departure must come after it).
  const held = new Map<string, { connection: DeviceConnection; ready: Promise<void> }>();
  let draining = false;

  nsp.use(async (socket, next) => {
    // Nesting is checked before zod (or the state size check's JSON.stringify) walks the description.
    if (valueTooDeep(socket.handshake.auth)) return next(refusal('invalid_request'));
    const credentials = deviceCredentials.safeParse(socket.handshake.auth);
    if (!credentials.success) return next(refusal('invalid_request'));
    const { serial, deviceId, hubKey, deviceKey } = credentials.data;
    const credential = deviceKey !== undefined ? presented('device-key', deviceKey) : presented('hub-key', hubKey ?? '');
    const refused = await guardedHandshake(handshakes, logger, { namespace: '/device', ip: originOf(socket).ip, serial }, () =>
      deviceKeys.authorize(serial, deviceId, credential),
    );
    if (refused) return next(refused);
    // Kept (as a hash) so a rotation, a new key or `--device-auth keys` can find this socket again.
    socket.data.credential = credential;
    const described = deviceDescriptorSchema.safeParse(socket.handshake.auth);
    if (!described.success) return next(refusal('invalid_request'));
    const { deviceId: id, ...rest } = described.data;
    // A new id past MAX_DEVICES_PER_HOME is refused here; registering checks again atomically.
    if (!(await devices.hasRoomFor(serial, id).catch(() => true))) return next(refusal('too_many_devices'));
    socket.data.serial = serial;
    socket.data.device = { id, ...rest } satisfies DeviceDescriptor;
    next();
  });

  nsp.on('connection', (socket) => {
    if (draining) return void socket.disconnect(true);
    const { serial, device } = socket.data;
    const room = rooms.device(serial, device.id);
    const connectionId = connectionIdOf(instanceId, socket.id);

    // Join, then register, then evict: a command sent the moment `device:online` goes out already
    // finds this socket, and once this socket is the registry's current connection, the replaced
    // one's disconnect is recognised as stale and the device stays online.
    const ready = Promise.resolve(socket.join(room))
      .then(() => devices.connected(serial, device, connectionId))
      .then(() => nsp.in(room).except(socket.id).disconnectSockets())
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'too_many_devices') logger.warn({ serial, deviceId: device.id }, 'device refused: home is full');
        else logger.error({ err, serial, deviceId: device.id }, 'device registration failed');
        socket.disconnect(true);
      });

    onAck(socket, logger, 'state', stateMessage, async ({ state }) => {
      await ready;
      await devices.reportState(serial, device.id, state);
      return {};
    });

    held.set(socket.id, { connection: { serial, deviceId: device.id, connectionId }, ready });

    socket.on('disconnect', (reason) => {
      logger.debug({ serial, deviceId: device.id, reason }, 'device socket closed');
      // Stopping: drain() has this connection, and one write for all of them beats one per socket.
      if (draining) return;
      held.delete(socket.id);
      void ready
        .then(() => devices.disconnected(serial, device.id, connectionId))
        .catch((err: unknown) => logger.error({ err, serial, deviceId: device.id }, 'device disconnect handling failed'));
    });
  });

  return {
    async drain() {
      draining = true;
      const departing = [...held.values()];
      held.clear();
      await Promise.all(departing.map((h) => h.ready));
      return departing.map((h) => h.connection);
    },
  };
}

/**
 * Registers every device socket this instance holds again (after other instances took it for
 * dead and marked its devices offline); each comes back online with its current connection.
 */
export async function reannounceDevices(nsp: DeviceNamespace, devices: DeviceService, instanceId: string): Promise<void> {
  for (const socket of nsp.sockets.values()) {
    const { serial, device } = socket.data;
    if (serial && device) await devices.connected(serial, device, connectionIdOf(instanceId, socket.id));
  }
}
