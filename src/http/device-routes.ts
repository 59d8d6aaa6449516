import type express from 'express';
import { Router } from 'express';
import { grantActor } from '../audit/types.ts';
import { grantCommander } from '../devices/actor.ts';
import { ReplayedError } from '../devices/idempotency.ts';
import type { DeviceService } from '../devices/service.ts';
import { commandBody, idempotencyKeySchema } from '../devices/schemas.ts';
import { assertFullGrant } from '../grants/full.ts';
import type { GrantService } from '../grants/service.ts';
import { principalOf, requireAuth } from './auth.ts';
import { parsePayload } from '../validation.ts';

/** Devices of the caller's home: the home comes from the token, never from the request. */
export function deviceRoutes(devices: DeviceService, grants: GrantService, json: express.RequestHandler): Router {
  const auth = requireAuth(grants);
  const router = Router();

  router.get('/api/v1/devices', auth, async (_req, res) => {
    const { grant, access } = principalOf(res);
    res.json({ devices: await devices.list(grant.serial, access) });
  });

  router.get('/api/v1/devices/:id', auth, async (req, res) => {
    const { grant, access } = principalOf(res);
    res.json(await devices.get(grant.serial, String(req.params.id), access));
  });

  router.post('/api/v1/devices/:id/commands', auth, json, async (req, res) => {
    const body = parsePayload(commandBody, req.body);
    const header = req.get('idempotency-key');
    const idempotencyKey = header === undefined ? undefined : parsePayload(idempotencyKeySchema, header);
    const markReplayed = () => res.set('Idempotent-Replayed', 'true');
    const { result, replayed } = await devices
      .command(grantCommander(principalOf(res), 'rest'), { deviceId: String(req.params.id), ...body, idempotencyKey })
      .catch((err: unknown) => {
        // A kept 422/504/409 is as much the first attempt's result as a kept 200: the header says so for both.
        if (err instanceof ReplayedError) markReplayed();
        throw err;
      });
    if (replayed) markReplayed();
    res.status(200).json(result);
  });

  // Only a full grant may forget a device (a guest's scoped grant never can).
  router.delete('/api/v1/devices/:id', auth, async (req, res) => {
    const principal = principalOf(res);
    assertFullGrant(principal);
    await devices.remove(principal.grant.serial, String(req.params.id), { actor: grantActor(principal.grant), channel: 'rest' });
    res.status(204).end();
  });

  return router;
}
