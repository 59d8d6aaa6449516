import type { Socket } from 'socket.io';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Principal } from '../grants/service.ts';
import { clientNameSchema } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { sessionIdPattern } from '../qr/rules.ts';
import type { QrService } from '../qr/service.ts';
import type { DashboardFeature } from './dashboard-namespace.ts';
import { onAck } from './ack.ts';

const lookBody = z.strictObject({ sessionId: z.string().max(128) });
const approveBody = z.strictObject({ sessionId: z.string().max(128), clientName: clientNameSchema.optional() });

/** Same 404 as REST for a malformed id: it is just an id nobody has. */
function checked(sessionId: string): string {
  if (!sessionIdPattern.test(sessionId)) throw new AppError('session_not_found');
  return sessionId;
}

/**
 * The phone's side of QR login for dashboards already on a socket: the same service calls as
 * the REST routes, as acknowledged events `qr:get`, `qr:approve` and `qr:deny`.
 */
export function qrDashboardEvents(qr: QrService, logger: Logger): DashboardFeature {
  return (socket: Socket, principal: Principal) => {
    onAck(socket, logger, 'qr:get', lookBody, async ({ sessionId }) => qr.inspect(checked(sessionId), principal));
    onAck(socket, logger, 'qr:approve', approveBody, async ({ sessionId, clientName }) => {
      await qr.approve(checked(sessionId), principal, clientName);
      return { success: true };
    });
    onAck(socket, logger, 'qr:deny', lookBody, async ({ sessionId }) => {
      await qr.deny(checked(sessionId), principal);
      return { success: true };
    });
  };
}
