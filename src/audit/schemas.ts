import { z } from 'zod';
import { MAX_AUDIT_PAGE } from './service.ts';

/** `?after=<seq>&limit=<n>` (REST query strings) and `audit:list` `{ after?, limit? }` (kiosk). */
export const auditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100),
  /** The newest n entries instead of a page after `after` (a screen showing recent activity). */
  last: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).optional(),
});
