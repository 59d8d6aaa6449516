import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';
import type { GrantService, Principal } from '../grants/service.ts';

declare global {
  namespace Express {
    /** What the relay's middleware leaves on `res.locals` (Express merges this into every Response). */
    interface Locals {
      /** Set by requireAuth; absent on routes without it. */
      principal?: Principal;
    }
  }
}

const challenge = { 'WWW-Authenticate': 'Bearer realm="home-relay"' };
// Exactly API.md's value: a client may compare the whole header.
const invalidChallenge = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

/** A token that was sent and refused (access or refresh) leaves with the contract's challenge header. */
export function withTokenChallenge(err: unknown): unknown {
  if (err instanceof AppError && (err.code === 'invalid_token' || err.code === 'token_revoked')) {
    return new AppError(err.code, err.message, err.details, invalidChallenge);
  }
  return err;
}

/** "Bearer <token>" → token; anything else is a missing/malformed credential. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +([A-Za-z0-9_\-.=~+/]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Rejects unauthenticated requests; on success the principal is in `res.locals.principal`. */
export function requireAuth(grants: GrantService) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = bearerToken(req.get('authorization'));
    if (!token) {
      const sent = req.get('authorization') !== undefined;
      throw new AppError('unauthorized', 'Send "Authorization: Bearer <token>".', undefined, sent ? invalidChallenge : challenge);
    }
    try {
      res.locals.principal = await grants.authenticate(token, req.ip);
    } catch (err) {
      throw withTokenChallenge(err);
    }
    next();
  };
}

/** The caller of a route behind requireAuth. */
export function principalOf(res: Response): Principal {
  const { principal } = res.locals;
  // Only a route mounted without requireAuth gets here: a wiring bug, answered as an internal error.
  if (!principal) throw new Error('principalOf used on a route without requireAuth');
  return principal;
}
