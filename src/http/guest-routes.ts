import { fileURLToPath } from 'node:url';
import type express from 'express';
import { Router } from 'express';
import { grantActor } from '../audit/types.ts';
import type { Config } from '../config.ts';
import { assertFullGrant } from '../grants/full.ts';
import type { GrantService } from '../grants/service.ts';
import type { GuestService } from '../guests/service.ts';
import { claimBody, inviteBody } from '../guests/terms.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { principalOf, requireAuth } from './auth.ts';
import { originOf } from './origin.ts';
import { publicBaseUrl } from './public-url.ts';
import { limitPerIp } from './rate-limit.ts';
import { parsePayload } from '../validation.ts';

const publicDir = fileURLToPath(new URL('../../public/', import.meta.url));

export interface GuestRouteDeps {
  guests: GuestService;
  grants: GrantService;
  rateLimiter: RateLimiter;
  config: Config;
}

export function guestRoutes({ guests, grants, rateLimiter, config }: GuestRouteDeps, json: express.RequestHandler): Router {
  const router = Router();

  // The page an invite link opens (the code rides in its fragment).
  router.get('/guest', (_req, res) => res.sendFile('guest.html', { root: publicDir }));

  // Only a full grant invites: a guest must not hand its access (or more) on.
  router.post('/api/v1/guests', requireAuth(grants), json, async (req, res) => {
    const principal = principalOf(res);
    assertFullGrant(principal);
    const body = parsePayload(inviteBody, req.body);
    const origin = { actor: grantActor(principal.grant), channel: 'rest' as const };
    res.status(201).json(await guests.invite(principal.grant.serial, body, origin, publicBaseUrl(req, config)));
  });

  // The same per-IP bucket as pairing claims: an address gets one allowance of guesses for both doors.
  router.post('/api/v1/guests/claim', limitPerIp(rateLimiter, 'pairing-claim', config.rateLimits.claimPerMinute), json, async (req, res) => {
    const body = parsePayload(claimBody, req.body);
    res.status(201).json(await guests.claim({ ...body, ip: originOf(req).ip }));
  });

  return router;
}
