import type { Request, Response } from 'express';

export interface EventStream {
  /** Writes one event; `id` (when given) becomes the client's Last-Event-ID. No-op once closed. */
  send(event: string, data: unknown, id?: string): void;
  end(): void;
}

export const sseHeaders = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-store: a stream may carry tokens; no-transform: proxies must not compress or buffer it into silence.
  'Cache-Control': 'no-store, no-transform',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told not to.
  'X-Accel-Buffering': 'no',
} as const;

/** Event names and ids go on one line each; anything else would let a value inject fields. */
const safeField = (value: string) => value.replace(/[\r\n]/g, '');

/** Starts a Server-Sent Events response: headers, the reconnection delay, then events as they come. */
export function openEventStream(req: Request, res: Response, options: { retryMs: number }): EventStream {
  // A stream is quiet between pings by design; socket timeouts must not cut it.
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.status(200).set(sseHeaders);
  res.flushHeaders();
  res.write(`retry: ${Math.round(options.retryMs)}\n\n`);
  const open = () => !res.writableEnded && !res.destroyed;
  return {
    send(event, data, id) {
      if (!open()) return;
      const idLine = id === undefined ? '' : `id: ${safeField(id)}\n`;
      // JSON.stringify never emits a raw newline, so one data line always suffices.
      res.write(`${idLine}event: ${safeField(event)}\ndata: ${JSON.stringify(data ?? {})}\n\n`);
    },
    end() {
      if (open()) res.end();
    },
  };
}

/** The Last-Event-ID a reconnecting EventSource sends (header), or the `lastEventId` query polyfills use. */
export function lastEventIdOf(req: Request): string | undefined {
  const header = req.get('last-event-id');
  if (header !== undefined) return header;
  const query = req.query.lastEventId;
  return typeof query === 'string' ? query : undefined;
}
