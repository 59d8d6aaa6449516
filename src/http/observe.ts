import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
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

/** One line per request: method, redacted path, status, time. No headers, no bodies. */
export function logRequests(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    customLogLevel: (_req, res) => (res.statusCode >= 500 ? 'warn' : res.statusCode >= 400 ? 'info' : 'debug'),
    // pino-http invents an Error with a stack for every 5xx; the error handler already logged real ones.
    customErrorObject: (_req, _res, _err, value: Record<string, unknown>) => ({ ...value, err: undefined }),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: redactPath(req.url) }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
