import { pino, type Logger } from 'pino';

/**
 * Secrets never reach the logs: anything carrying a code, token or key is redacted by path,
 * and request logging (src/http/request-log.ts) never serialises headers or bodies.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['code', 'token', 'refreshToken', 'hubKey', 'authorization', '*.code', '*.token', '*.refreshToken', '*.hubKey', '*.authorization', 'deviceKey', '*.deviceKey', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
