import { pino, type Logger } from 'pino';

/**
 * Secrets never reach the logs: anything carrying a code, token or key is redacted by path,
 * and request logging (src/http/request-log.ts) never serialises headers or bodies.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const out = destination ?? bufferedStdout();
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

/** Lines wait at most this long in the buffer below (a quiet relay's last line shows within it). */
const FLUSH_EVERY_MS = 250;

/**
 * stdout, written asynchronously and in batches. Asynchronously: a synchronous write blocks the
 * event loop whenever the reader (a terminal, a pipe to journald or docker) is slow, and every
 * request would wait for it. In batches (up to 4 KiB, or every 250 ms): each asynchronous write is
 * a round trip through libuv's thread pool, measured at ~90–130 µs of CPU per line here against
 * ~25–30 µs buffered; `npm start`'s info level writes three lines per pairing. pino flushes what is
 * pending when the process exits, and a crash's own line goes through that same exit flush.
 */
function bufferedStdout(): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    // `_len` (bytes buffered) is sonic-boom's own; without it, flushing an empty buffer is harmless.
    const buffered = (stream as unknown as { _len?: number })._len;
    if (buffered === 0 || (stream as unknown as { destroyed?: boolean }).destroyed) return;
    stream.flush();
  }, FLUSH_EVERY_MS);
  timer.unref();
  return stream;
}

export type { Logger };
