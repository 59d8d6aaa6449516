import type { Clock } from './clock.ts';
import { AppError } from './errors.ts';
import type { KeyValueStore } from './store/types.ts';

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows counted in the Store, so every instance shares one count.
 * Fixed windows allow a burst of 2× at a window edge; for these limits that is acceptable
 * and costs one atomic increment per request.
 */
export class RateLimiter {
  constructor(private readonly deps: { store: KeyValueStore; clock: Clock; enabled: boolean }) {}

  async hit(bucket: string, subject: string, perMinute: number): Promise<void> {
    if (!this.deps.enabled) return;
    const now = this.deps.clock.now();
    const windowStart = now - (now % WINDOW_MS);
    const windowEnd = windowStart + WINDOW_MS;
    const count = await this.deps.store.incr(`rl:${bucket}:${subject}:${windowStart}`, windowEnd);
    if (count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((windowEnd - now) / 1000));
      throw new AppError('rate_limited', undefined, { retryAfter }, { 'Retry-After': String(retryAfter) });
    }
  }
}
