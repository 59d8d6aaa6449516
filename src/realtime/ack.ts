import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { AckedEvent, AckReply } from '../contract/socket-events.ts';
import { AppError, toAppError } from '../errors.ts';
import { parsePayload } from '../validation.ts';
import { MAX_JSON_DEPTH, valueTooDeep } from '../json-depth.ts';
import type { Logger } from '../logger.ts';

export type { AckReply };

/** A socket of any namespace, as far as registering an acknowledged event goes. */
interface AckSocket {
  on(event: string, listener: AckedEvent): unknown;
}

/** The client → server event names of a typed socket (of each member, for a union: the shared ones). */
export type ClientEventOf<T> = T extends Socket<infer Listen, infer _Emit, infer _ServerSide, infer _Data> ? keyof Listen & string : never;

export const ackError = (err: AppError): AckReply => ({ ok: false, error: err.toJSON() });

/**
 * Registers an acknowledged event: the payload is validated, the handler's result becomes
 * `{ ok: true, data }` and any error `{ ok: false, error }`. Internals never reach the client.
 */
export function onAck<T extends AckSocket, S extends z.ZodType>(
  socket: T,
  logger: Logger,
  event: ClientEventOf<T>,
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
