import type { NextFunction, Request, Response } from 'express';
import { assertFullGrant } from '../grants/full.ts';
import { principalOf } from './auth.ts';

/**
 * After requireAuth: routes that only a full grant may use (removing a device). The rule itself is
 * `assertFullGrant` (src/grants/full.ts), the one place that tells a guest from a full grant.
 */
export function requireFullGrant(_req: Request, res: Response, next: NextFunction): void {
  assertFullGrant(principalOf(res));
  next();
}
