import { Router } from 'express';
import { auditQuery } from '../audit/schemas.ts';
import type { AuditService } from '../audit/service.ts';
import { assertFullGrant } from '../grants/full.ts';
import type { GrantService } from '../grants/service.ts';
import { principalOf, requireAuth } from './auth.ts';
import { parsePayload } from '../validation.ts';

/** The caller's home's audit log, for full grants only (a guest must not read who else came in). */
export function auditRoutes(audit: AuditService, grants: GrantService): Router {
  const router = Router();
  router.get('/api/v1/audit', requireAuth(grants), async (req, res) => {
    const principal = principalOf(res);
    assertFullGrant(principal);
    const { after, limit, last } = parsePayload(auditQuery, req.query);
    const serial = principal.grant.serial;
    res.json(last === undefined ? await audit.list(serial, after, limit) : await audit.latest(serial, last));
  });
  return router;
}
