import type { Request } from 'express';
import type { RequestOrigin } from '../ports.ts';

/** Who sent a request, as shown to the kiosk and stored on grants. `req.ip` honours TRUST_PROXY. */
export function originOf(req: Request): RequestOrigin {
  return { ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: (req.get('user-agent') ?? '').slice(0, 256) };
}
