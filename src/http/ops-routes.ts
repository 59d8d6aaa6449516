import { Router } from 'express';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';

export function opsRoutes(store: Store, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ok = await store.ping().catch(() => false);
    res.status(ok ? 200 : 503).json(ok ? { status: 'ready' } : { error: { code: 'unavailable', message: 'The store is unreachable.' } });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
