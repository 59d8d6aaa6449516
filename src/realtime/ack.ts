import type { z } from 'zod';
import type { AckedEvent, AckReply } from '../contract/socket-events.ts';
import { AppError, toAppError } from '../errors.ts';
import { parsePayload } from '../validation.ts';
import { MAX_JSON_DEPTH, valueTooDeep } from '../json-depth.ts';
import type { Logger } from '../logger.ts';

export type { AckReply };

/** Any socket (of any namespace) whose client → server events include `E`. */
export interface AckSocket<E extends string> {
  on(event: E, listener: AckedEvent): unknown;
}

export const ackError = (err: AppError): AckReply => ({ ok: false, error: err.toJSON() });

/**
 * Registers an acknowledged event: the payload is validated, the handler's result becomes
 * `{ ok: true, data }` and any error `{ ok: false, error }`. Internals never reach the client.
 */
export function onAck<E extends string, S extends z.ZodType>(
  socket: AckSocket<E>,
  logger: Logger,
  event: E,
  schema: S,
  handler: (payload: z.infer<S>) => Promise<unknown>,
): void {
  socket.on(event, async (...args: unknown[]) => {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (args.pop() as (reply: AckReply) => void) : undefined;
    let reply: AckReply;
    try {
      // Before zod or anything else walks the payload recursively.
      if (valueTooDeep(args[0])) throw tooDeep();
      reply = { ok: true, data: await handler(parsePayload(schema, args[0])) };
    } catch (err) {
      const appError = toAppError(err);
      if (appError.code === 'internal_error') logger.error({ err, event }, 'socket handler failed');
      reply = ackError(appError);
    }
    ack?.(reply);
  });
}

const tooDeep = () => new AppError('invalid_request', `The payload nests deeper than ${MAX_JSON_DEPTH} levels.`);

/** A refused handshake: the client sees connect_error with message = code and data = { code }. */
export function refusal(code: string): Error & { data: { code: string } } {
  return Object.assign(new Error(code), { data: { code } });
}
