import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';

/** GET routes that change state anyway: the seed's `GET /auth/code` pushes a code to the kiosk. */
const stateChangingGets = new Set(['/auth/code']);

const changesState = (req: Request) => !['GET', 'HEAD', 'OPTIONS'].includes(req.method) || stateChangingGets.has(req.path);

/**
 * Browser CSRF: a page on another site must not make a visitor's browser (on the home's LAN, say)
 * ask for codes, claim or revoke. Browsers mark such requests: `Sec-Fetch-Site: cross-site`, and an
 * `Origin` that is not ours. Those are refused 403 `forbidden_origin` unless the origin is listed in
 * CORS_ORIGINS. Requests without either header (curl, devices, old browsers on simple GETs) pass:
 * they carry no browser ambient authority to abuse.
 */
export function refuseCrossSite(config: Pick<Config, 'corsOrigins' | 'publicUrl'>) {
  const allowed = new Set(config.corsOrigins.map(normalOrigin));
  const publicOrigin = config.publicUrl ? normalOrigin(config.publicUrl) : null;
  /** The refusal for a request, or undefined to let it through. */
  const refusal = (req: Request) => {
    if (!changesState(req)) return undefined;
    const site = req.get('sec-fetch-site')?.toLowerCase();
    // Set by the browser itself (a page cannot forge it): same-origin requests and typed-in navigations.
    if (site === 'same-origin' || site === 'none') return undefined;
    const origin = req.get('origin');
    if (origin !== undefined) {
      const normal = normalOrigin(origin);
      const own = normal === publicOrigin || normal === normalOrigin(`${req.protocol}://${req.get('host') ?? ''}`);
      return own || allowed.has(normal) ? undefined : forbidden();
    }
    return site === 'cross-site' ? forbidden() : undefined;
  };
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(refusal(req));
  };
}

const forbidden = () => new AppError('forbidden_origin');

/** `https://Example.org:443/` and `https://example.org` are one origin; anything unparsable stays as written. */
function normalOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin.trim();
  }
}
