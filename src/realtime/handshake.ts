import type { HandshakeGuard } from '../credentials/handshake-guard.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { refusal } from './ack.ts';

export interface HandshakeContext {
  namespace: string;
  ip: string;
  serial?: string | undefined;
}

/**
 * The credential step of a `/kiosk` or `/device` handshake: the IP's failure budget first, then
 * `check` (which answers "ok" or a refusal code). Refusals are counted and logged with the IP;
 * a store failure is `unavailable`, never a refusal that would count against the client.
 * Resolves with the refusal to pass to `next`, or undefined when the credential is good.
 */
export async function guardedHandshake(
  guard: HandshakeGuard,
  logger: Logger,
  context: HandshakeContext,
  check: () => Promise<string>,
): Promise<Error | undefined> {
  let code: string;
  try {
    await guard.admit(context.ip);
    code = await check();
    if (code !== 'ok') await guard.refused({ ...context, code });
  } catch (err) {
    if (err instanceof AppError && err.code === 'rate_limited') {
      logger.debug({ ip: context.ip, namespace: context.namespace }, 'socket handshake refused: too many failures');
      return refusal('rate_limited');
    }
    logger.error({ err, namespace: context.namespace }, 'socket handshake failed');
    return refusal('unavailable');
  }
  return code === 'ok' ? undefined : refusal(code);
}
