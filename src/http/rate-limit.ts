import type { NextFunction, Request, Response } from 'express';
import type { RateLimiter } from '../rate-limiter.ts';

/** Per-IP limit on one route family; 429 rate_limited with Retry-After when exceeded. */
export function limitPerIp(limiter: RateLimiter, bucket: string, perMinute: number) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await limiter.hit(bucket, req.ip ?? 'unknown', perMinute);
    next();
  };
}
