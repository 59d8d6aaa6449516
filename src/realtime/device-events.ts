import { z } from 'zod';
import { kioskOrigin } from '../audit/types.ts';
import { grantCommander, kioskCommander } from '../devices/actor.ts';
import type { DeviceService } from '../devices/service.ts';
import { commandPayload } from '../devices/schemas.ts';
import type { CommandActor } from '../devices/types.ts';
import type { GrantService } from '../grants/service.ts';
import type { Logger } from '../logger.ts';
import { onAck } from './ack.ts';
import type { DashboardSocket, KioskSocket } from './events.ts';
import type { DashboardFeature } from './dashboard-namespace.ts';
import type { KioskFeature } from './kiosk-namespace.ts';

const empty = z.strictObject({});

/** `devices:list` and `device:command` on a socket whose home (and idempotency scope) is known. */
function deviceAcks(socket: KioskSocket | DashboardSocket, logger: Logger, devices: DeviceService, who: () => Promise<CommandActor>): void {
  onAck(socket, logger, 'devices:list', empty, async () => {
    const actor = await who();
    return { devices: await devices.list(actor.serial, actor.access) };
  });
  onAck(socket, logger, 'device:command', commandPayload, async (payload) => {
    const { result } = await devices.command(await who(), payload);
    return result;
  });
}

const removeBody = z.strictObject({ deviceId: z.string().min(1).max(128) });

export function kioskDeviceEvents(devices: DeviceService, logger: Logger): KioskFeature {
  return (socket, serial) => {
    deviceAcks(socket, logger, devices, async () => kioskCommander(serial));
    onAck(socket, logger, 'device:remove', removeBody, async ({ deviceId }) => {
      await devices.remove(serial, deviceId, kioskOrigin);
      return {};
    });
  };
}

/**
 * Dashboards re-check their token on each device event: a revoked grant or an expired token
 * stops commanding at once, even in the moment before its socket is disconnected.
 */
export function dashboardDeviceEvents(devices: DeviceService, grants: GrantService, logger: Logger): DashboardFeature {
  return (socket) => {
    const token = String(socket.handshake.auth?.token ?? '');
    deviceAcks(socket, logger, devices, async () => {
      return grantCommander(await grants.authenticate(token), 'socket');
    });
  };
}
