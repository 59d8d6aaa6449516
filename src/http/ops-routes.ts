import { type RequestHandler, Router } from 'express';
import { sha256Hex, digestsEqual } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { bearerToken } from './auth.ts';

/**
 * With METRICS_TOKEN set, /metrics (pairing outcomes, socket counts) needs it as a bearer token.
 * Both sides are hashed first, so the constant-time compare also hides the token's length.
 */
function metricsGuard(metricsToken: string | undefined): RequestHandler {
  if (metricsToken === undefined) return (_req, _res, next) => next();
  const expected = sha256Hex(metricsToken);
  return (req, _res, next) => {
    const sent = bearerToken(req.get('authorization'));
    if (sent !== null && digestsEqual(sha256Hex(sent), expected)) return next();
    next(new AppError('unauthorized', 'Send "Authorization: Bearer <METRICS_TOKEN>".', undefined, { 'WWW-Authenticate': 'Bearer realm="metrics"' }));
  };
}

export function opsRoutes(store: Store, metrics: Metrics, metricsToken?: string): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ok = await store.ping().catch(() => false);
    res.status(ok ? 200 : 503).json(ok ? { status: 'ready' } : { error: { code: 'unavailable', message: 'The store is unreachable.' } });
  });
  router.get('/metrics', metricsGuard(metricsToken), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
