import type express from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Services } from '../deps.ts';
import { originOf } from './origin.ts';
import { limitPerIp } from './rate-limit.ts';
import { clientNameSchema, parsePayload, serialSchema } from '../validation.ts';

export const codeRequestBody = z.strictObject({ serial: serialSchema.optional(), clientName: clientNameSchema.optional() });
const sixDigits = z.string().regex(/^\d{6}$/, 'exactly six digits');
// Built once: zod compiles a schema on first use, so a schema made per request is compiled per request.
const codeOnly = z.strictObject({ code: sixDigits });
export const claimBody = z.strictObject({
  code: sixDigits.optional(),
  serial: serialSchema.optional(),
  clientName: clientNameSchema.optional(),
});

/** Reads the code from the body, or from the seed's `code` header. */
function claimInput(body: unknown, codeHeader: string | undefined) {
  const parsed = parsePayload(claimBody, body);
  const code = parsePayload(codeOnly, { code: parsed.code ?? codeHeader });
  return { ...parsed, code: code.code };
}

export function pairingRoutes(services: Services, config: Config, json: express.RequestHandler): Router {
  const { pairing, rateLimiter } = services;
  const limitCodes = limitPerIp(rateLimiter, 'pairing-code', config.rateLimits.codePerMinute);
  const limitClaims = limitPerIp(rateLimiter, 'pairing-claim', config.rateLimits.claimPerMinute);
  const router = Router();

  router.post('/api/v1/pairing/code', limitCodes, json, async (req, res) => {
    const body = parsePayload(codeRequestBody, req.body);
    const issued = await pairing.requestCode({ ...body, origin: originOf(req) });
    res.status(202).json(issued);
  });

  router.post('/api/v1/pairing/claim', limitClaims, json, async (req, res) => {
    const input = claimInput(req.body, req.get('code'));
    const tokens = await pairing.claim({ ...input, ip: originOf(req).ip });
    res.status(201).json(tokens);
  });

  // Seed-compatible aliases: the serial comes from a header (or the single home).
  const seedHeaders = z.object({ serial: serialSchema.optional(), clientName: clientNameSchema.optional() });

  router.get('/auth/code', limitCodes, async (req, res) => {
    const headers = parsePayload(seedHeaders, { serial: req.get('serial'), clientName: req.get('client-name') });
    await pairing.requestCode({ ...headers, origin: originOf(req) });
    res.status(200).json({ success: true });
  });

  router.post('/auth/codecheck', limitClaims, json, async (req, res) => {
    const headers = parsePayload(seedHeaders, { serial: req.get('serial'), clientName: req.get('client-name') });
    const input = claimInput(req.body, req.get('code'));
    const tokens = await pairing.claim({
      code: input.code,
      serial: input.serial ?? headers.serial,
      clientName: input.clientName ?? headers.clientName,
      ip: originOf(req).ip,
    });
    res.status(201).json(tokens);
  });

  return router;
}
