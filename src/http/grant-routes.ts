import type express from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { grantActor } from '../audit/types.ts';
import { assertFullGrant } from '../grants/full.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Services } from '../deps.ts';
import { principalOf, requireAuth, withTokenChallenge } from './auth.ts';
import { limitPerIp } from './rate-limit.ts';
import { parsePayload } from '../validation.ts';

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });

export function grantRoutes(services: Services, config: Config, json: express.RequestHandler): Router {
  const { grants, rateLimiter } = services;
  const auth = requireAuth(grants);
  const router = Router();

  router.post(
    '/api/v1/tokens/refresh',
    limitPerIp(rateLimiter, 'refresh', config.rateLimits.refreshPerMinute),
    json,
    async (req, res) => {
      const { refreshToken } = parsePayload(refreshBody, req.body);
      // A refresh token was sent: its refusal carries the same challenge as an access token's.
      res.status(200).json(await grants.refresh(refreshToken).catch((err: unknown) => Promise.reject(withTokenChallenge(err))));
    },
  );

  router.get('/api/v1/me', auth, (_req, res) => {
    const { grant, claims } = principalOf(res);
    const { guest } = grant;
    res.json({
      grantId: grant.id,
      serial: grant.serial,
      clientName: grant.clientName,
      expiresAt: isoAt(claims.exp * 1000),
      ...(guest ? { scope: guest.scope, notAfter: guest.notAfter, ...(guest.notBefore ? { notBefore: guest.notBefore } : {}) } : {}),
    });
  });

  // A guest sees and manages no other grant: who else holds a key to the home is the owner's business.
  router.get('/api/v1/grants', auth, async (_req, res) => {
    const principal = principalOf(res);
    assertFullGrant(principal);
    res.json({ grants: await grants.list(principal.grant.serial, principal.grant.id) });
  });

  router.delete('/api/v1/grants/:id', auth, async (req, res) => {
    assertFullGrant(principalOf(res));
    const { grant } = principalOf(res);
    await grants.revoke(grant.serial, String(req.params.id), { actor: grantActor(grant), channel: 'rest' });
    res.status(204).end();
  });

  return router;
}
