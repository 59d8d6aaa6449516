import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import { AppError } from './errors.ts';
import { refuseCrossSite } from './http/cross-site.ts';
import { docsRoutes } from './http/docs-routes.ts';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from './json-depth.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { grantRoutes } from './http/grant-routes.ts';
import { logRequests, timeRequests } from './http/observe.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { pairingRoutes } from './http/pairing-routes.ts';
import type { Deps, Services } from './services.ts';

/**
 * JSON bodies up to 16 KiB. A body sent with another content type (curl's -d defaults to a form) is
 * refused with a message that says what to send, rather than read as an empty object.
 */
function jsonBody(): express.RequestHandler {
  const parse = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'], verify: refuseDeepJson });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
      if (req.body === undefined && hasBody) {
        return next(new AppError('invalid_request', 'Send the body as JSON with "Content-Type: application/json".'));
      }
      next();
    });
  };
}

/** Runs on the raw bytes before JSON.parse (body-parser's `verify`), so deep nesting is never parsed. */
function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  const text = /^utf-?8$/i.test(encoding) ? body : new TextDecoder(encoding).decode(body);
  if (jsonTextTooDeep(text)) throw new AppError('invalid_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`);
}

/**
 * A path that does not percent-decode is refused before any route sees it: Express would
 * otherwise throw a URIError while matching parameters (a 500) or serve a 404 for it.
 */
const undecodablePath: express.RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    return next(new AppError('invalid_request', 'The request path is not valid percent-encoding.'));
  }
  next();
};

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

/** Routers added by features (devices, QR) beside the core ones. */
export type RouteModule = (json: express.RequestHandler) => express.Router;

/** The Express app: routes, static pages, 404 and error handling. It never listens. */
export function createApp(deps: Deps, services: Services, extraRoutes: RouteModule[] = []): express.Express {
  const { config, logger, metrics, store } = deps;
  const app = express();
  app.set('trust proxy', typeof config.trustProxy === 'number' ? config.trustProxy : [...config.trustProxy]);
  app.disable('x-powered-by');

  app.use(timeRequests(metrics));
  app.use(logRequests(logger));
  app.use(undecodablePath);
  app.use(
    helmet({
      // Kiosks and LAN dashboards are often plain http: upgrading subresources or pinning HSTS would break them.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", 'data:'] } },
      strictTransportSecurity: false,
    }),
  );
  if (config.corsOrigins.length > 0) app.use(cors({ origin: [...config.corsOrigins], exposedHeaders: ['Retry-After', 'WWW-Authenticate'] }));

  // After cors (which answers preflights), before every route: cross-site requests that change state stop here.
  app.use(refuseCrossSite(config));

  // Body parsing only where bodies exist: each router mounts this on its POST routes.
  const json = jsonBody();

  app.use(opsRoutes(store, metrics, config.metricsToken));
  app.use(docsRoutes(config));
  app.use(pairingRoutes(services, config, json));
  app.use(grantRoutes(services, config, json));
  for (const routes of extraRoutes) app.use(routes(json));

  app.get('/kiosk', (_req, res) => res.sendFile('kiosk.html', { root: publicDir }));
  app.use(express.static(publicDir, { index: 'index.html', maxAge: '5m' }));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
