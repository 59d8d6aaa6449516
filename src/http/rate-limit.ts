import type { NextFunction, Request, Response } from 'express';
import { clientKey } from '../net/client-key.ts';
import type { RateLimiter } from '../rate-limiter.ts';

/** Per-IP limit (an IPv6 client by its /64) on one route family; 429 rate_limited with Retry-After when exceeded. */
export function limitPerIp(limiter: RateLimiter, bucket: string, perMinute: number) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await limiter.hit(bucket, clientKey(req.ip ?? req.socket.remoteAddress ?? 'unknown'), perMinute);
    next();
  };
}
