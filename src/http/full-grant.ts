import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';
import type { Principal } from '../grants/service.ts';
import { principalOf } from './auth.ts';

/**
 * Whether a grant is full (pairing, QR) rather than scoped. Every grant is full until scoped
 * guest grants exist; they will carry a `scope`, and this is the one place that reads it.
 */
export const isFullGrant = (principal: Principal): boolean => (principal.grant as { scope?: unknown }).scope == null;

/** After requireAuth: routes that only a full grant may use (removing a device, approving a QR login). */
export function requireFullGrant(_req: Request, res: Response, next: NextFunction): void {
  if (!isFullGrant(principalOf(res))) throw new AppError('insufficient_scope');
  next();
}
