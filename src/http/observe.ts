import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

/** Secrets can sit in paths (a QR session id is its own secret); logs and labels never show them. */
export const redactPath = (url: string): string =>
  (url.split('?')[0] ?? '').replace(/(\/qr\/sessions\/)[^/]+/, '$1:id');

/** Latency histogram by matched route (a pattern, never a raw path: bounded label values). */
export function timeRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? 'unmatched' : 'static';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
    });
    next();
  };
}

/**
 * One line per request: method, redacted path, status, time. No headers, no bodies. 2xx at debug,
 * 4xx at info, 5xx at warn. Hand-rolled rather than pino-http: pino-http builds two child loggers
 * and serialises the request into them on every request, even when the line's level is off
 * (2xx at the default levels), which cost ~100 µs of CPU per request here (docs/benchmarks.md).
 */
export function logRequests(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    const reqId = ++lastId;
    const started = Date.now();
    // 'close' also fires when the client goes away before the response is finished.
    res.once('close', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'warn' : status >= 400 ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { reqId, req: { method: req.method, path: redactPath(req.originalUrl) }, res: { status }, responseTime: Date.now() - started },
        status >= 500 ? 'request errored' : 'request completed',
      );
    });
    next();
  };
}
