import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { errorHandler, notFound } from './http/errors.ts';
import { grantRoutes } from './http/grant-routes.ts';
import { logRequests, timeRequests } from './http/observe.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { pairingRoutes } from './http/pairing-routes.ts';
import type { Deps, Services } from './services.ts';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

/** Routers added by features (devices, QR) beside the core ones. */
export type RouteModule = (json: express.RequestHandler) => express.Router;

/** The Express app: routes, static pages, 404 and error handling. It never listens. */
export function createApp(deps: Deps, services: Services, extraRoutes: RouteModule[] = []): express.Express {
  const { config, logger, metrics, store } = deps;
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');

  app.use(timeRequests(metrics));
  app.use(logRequests(logger));
  app.use(
    helmet({
      // Kiosks and LAN dashboards are often plain http: upgrading subresources or pinning HSTS would break them.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", 'data:'] } },
      strictTransportSecurity: false,
    }),
  );
  if (config.corsOrigins.length > 0) app.use(cors({ origin: [...config.corsOrigins], exposedHeaders: ['Retry-After', 'WWW-Authenticate'] }));

  // Body parsing only where bodies exist: each router mounts this on its POST routes.
  const json = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });

  app.use(opsRoutes(store, metrics));
  app.use(pairingRoutes(services, config, json));
  app.use(grantRoutes(services, config, json));
  for (const routes of extraRoutes) app.use(routes(json));

  app.get('/kiosk', (_req, res) => res.sendFile('kiosk.html', { root: publicDir }));
  app.use(express.static(publicDir, { index: 'index.html', maxAge: '5m' }));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
