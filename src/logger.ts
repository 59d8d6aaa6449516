import { pino, type Logger } from 'pino';

/**
 * Secrets never reach the logs: anything carrying a code, token or key is redacted by path,
 * and request logging (src/http/request-log.ts) never serialises headers or bodies.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  // stdout written asynchronously: a synchronous write blocks the event loop whenever the reader
  // (a terminal, a pipe to journald or docker) is slow, and every request would wait for it. pino
  // flushes what is pending when the process exits.
  const out = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['code', 'token', 'refreshToken', 'hubKey', 'authorization', '*.code', '*.token', '*.refreshToken', '*.hubKey', '*.authorization', 'deviceKey', '*.deviceKey', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    out as pino.DestinationStream,
  );
}

export type { Logger };
