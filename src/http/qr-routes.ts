import express, { type Request, Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { GrantService } from '../grants/service.ts';
import type { QrService } from '../qr/service.ts';
import { leaseTtlOf, type QrStreams, type StartOutcome } from '../qr/stream.ts';
import { qrSvg } from '../qr/svg.ts';
import { level, sessionIdPattern } from '../qr/rules.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { principalOf, requireAuth } from './auth.ts';
import { originOf } from './origin.ts';
import { publicBaseUrl } from './public-url.ts';
import { limitPerIp } from './rate-limit.ts';
import { lastEventIdOf, openEventStream, sseHeaders } from './sse.ts';
import { clientNameSchema, parsePayload } from '../validation.ts';

export interface QrRouteDeps {
  qr: QrService;
  streams: QrStreams;
  grants: GrantService;
  rateLimiter: RateLimiter;
  config: Pick<Config, 'publicUrl' | 'allowedHosts' | 'rateLimits' | 'qrPingIntervalMs'>;
}

/** How long a dropped EventSource waits before reconnecting. */
const RETRY_MS = 3000;

// publicKey is checked in depth (strict JWK, point on the curve) by the service.
export const createBody = z.strictObject({ clientName: clientNameSchema.optional(), publicKey: z.unknown().optional() });
export const approveBody = z.strictObject({ clientName: clientNameSchema.optional() });
export const denyBody = z.strictObject({});
const sessionIdSchema = z.string().regex(sessionIdPattern);
/** Stream progress the client says it has seen; anything unexpected means "nothing yet". */
const lastSeenSchema = z.coerce.number().int().min(level.none).max(level.final).catch(level.none);

/** A malformed id is just an id nobody has: same 404 as an unknown one. */
function idOf(req: Request): string {
  const parsed = sessionIdSchema.safeParse(req.params.id);
  if (!parsed.success) throw new AppError('session_not_found');
  return parsed.data;
}

/** Express reports a path that does not percent-decode as a URIError while matching a route. */
const undecodablePath: express.ErrorRequestHandler = (err, _req, _res, next) => {
  next(err instanceof URIError ? new AppError('invalid_request', 'The request path is not valid percent-encoding.') : err);
};

export function qrRoutes(deps: QrRouteDeps, json: express.RequestHandler): Router {
  const { qr, streams, grants, rateLimiter, config } = deps;
  const auth = requireAuth(grants);
  const router = Router();
  const retryAfter = Math.ceil(leaseTtlOf(config.qrPingIntervalMs) / 1000);
  const streamsFull = () => new AppError('rate_limited', 'This QR session already has its two open streams.', { retryAfter }, { 'Retry-After': String(retryAfter) });
  // Every response here carries or leads to a secret: no cache may keep it.
  const noStore: express.RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.post('/api/v1/qr/sessions', limitPerIp(rateLimiter, 'qr-session', config.rateLimits.qrPerMinute), json, async (req, res) => {
    const body = parsePayload(createBody, req.body);
    const created = await qr.create({
      origin: originOf(req),
      clientName: body.clientName,
      publicKey: body.publicKey,
      baseUrl: publicBaseUrl(req, config),
    });
    res.set('Cache-Control', 'no-store').status(201).json(created);
  });

  /** The refusals a stream start can meet, as the errors both GET and HEAD answer with. */
  const refuse = (outcome: StartOutcome): void => {
    if (outcome === 'not_found') throw new AppError('session_not_found');
    if (outcome === 'completed') throw new AppError('session_completed', 'The result of this QR session was already delivered.');
    if (outcome === 'busy') throw streamsFull();
  };
  const lastSeenOf = (req: Request) => lastSeenSchema.parse(lastEventIdOf(req));

  // Registered before the GET: Express would otherwise run the GET for a HEAD, which opens a stream
  // and, after an approval, mints the tokens into a response without a body (the login is lost).
  router.head('/api/v1/qr/sessions/:id/events', noStore, async (req, res) => {
    const outcome = await streams.probe(idOf(req), lastSeenOf(req));
    refuse(outcome);
    if (outcome === 'delivered') res.status(204).end();
    else res.status(200).set(sseHeaders).end();
  });

  router.get('/api/v1/qr/sessions/:id/events', noStore, async (req, res) => {
    const stream = streams.create(idOf(req), lastSeenOf(req));
    res.on('close', () => stream.close());
    const outcome = await stream.start(() => openEventStream(req, res, { retryMs: RETRY_MS }));
    refuse(outcome);
    // 204 is how a server tells EventSource to stop reconnecting: the client already has the outcome.
    if (outcome === 'delivered') res.status(204).end();
  });

  router.get('/api/v1/qr/sessions/:id/qr.svg', noStore, async (req, res) => {
    const session = await qr.read(idOf(req));
    if (!session) throw new AppError('session_not_found');
    res.type('image/svg+xml').send(await qrSvg(session.approveUrl));
  });

  router.get('/api/v1/qr/sessions/:id', noStore, auth, async (req, res) => {
    res.json(await qr.inspect(idOf(req), principalOf(res)));
  });

  router.post('/api/v1/qr/sessions/:id/approve', noStore, auth, json, async (req, res) => {
    const id = idOf(req);
    const body = parsePayload(approveBody, req.body);
    await qr.approve(id, principalOf(res), body.clientName);
    res.json({ success: true });
  });

  router.post('/api/v1/qr/sessions/:id/deny', noStore, auth, json, async (req, res) => {
    const id = idOf(req);
    parsePayload(denyBody, req.body);
    await qr.deny(id, principalOf(res));
    res.json({ success: true });
  });

  router.use(undecodablePath);
  return router;
}
