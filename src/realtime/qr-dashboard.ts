import { z } from 'zod';
import { AppError } from '../errors.ts';
import { clientNameSchema } from '../validation.ts';
import type { Logger } from '../logger.ts';
import { sessionIdPattern } from '../qr/rules.ts';
import type { QrService } from '../qr/service.ts';
import type { DashboardFeature } from './dashboard-namespace.ts';
import { onAck } from './ack.ts';

const lookBody = z.strictObject({ scanId: z.string().max(128) });
const approveBody = z.strictObject({ scanId: z.string().max(128), clientName: clientNameSchema.optional() });

/** Same 404 as REST for a malformed id: it is just an id nobody has. */
function checked(scanId: string): string {
  if (!sessionIdPattern.test(scanId)) throw new AppError('session_not_found');
  return scanId;
}

/**
 * The phone's side of QR login for dashboards already on a socket: the same service calls as
 * the REST routes, as acknowledged events `qr:get`, `qr:approve` and `qr:deny`, by scan id.
 */
export function qrDashboardEvents(qr: QrService, logger: Logger): DashboardFeature {
  return (socket, principal) => {
    onAck(socket, logger, 'qr:get', lookBody, async ({ scanId }) => qr.inspect(checked(scanId), principal));
    onAck(socket, logger, 'qr:approve', approveBody, async ({ scanId, clientName }) => {
      await qr.approve(checked(scanId), principal, clientName);
      return { success: true };
    });
    onAck(socket, logger, 'qr:deny', lookBody, async ({ scanId }) => {
      await qr.deny(checked(scanId), principal);
      return { success: true };
    });
  };
}
