import type { Clock } from './clock.ts';
import { AppError } from './errors.ts';
import type { KeyValueStore } from './store/types.ts';
import { keys } from './store/keys.ts';

const MINUTE_MS = 60_000;

/** Where one subject's windows of one bucket are counted (a removed home's are deleted). */
export const rateLimitPrefix = keys.rateLimitPrefix;

/**
 * Fixed windows (one minute unless told) counted in the Store, so every instance shares one count.
 * Fixed windows allow a burst of 2× at a window edge; for these limits that is acceptable
 * and costs one atomic increment per request.
 */
export class RateLimiter {
  constructor(private readonly deps: { store: KeyValueStore; clock: Clock; enabled: boolean }) {}

  async hit(bucket: string, subject: string, limit: number, windowMs = MINUTE_MS): Promise<void> {
    if (!this.deps.enabled) return;
    const now = this.deps.clock.now();
    const windowStart = now - (now % windowMs);
    const windowEnd = windowStart + windowMs;
    const count = await this.deps.store.incr(`${rateLimitPrefix(bucket, subject)}${windowStart}`, windowEnd);
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil((windowEnd - now) / 1000));
      throw new AppError('rate_limited', undefined, { retryAfter }, { 'Retry-After': String(retryAfter) });
    }
  }
}
