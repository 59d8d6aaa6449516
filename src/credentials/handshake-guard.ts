import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { clientKey } from '../net/client-key.ts';
import type { KeyValueStore } from '../store/types.ts';
import { keys } from '../store/keys.ts';

const WINDOW_MS = 60_000;

export interface HandshakeGuardDeps {
  /** The ephemeral space: shared by every instance on Redis, in memory on one SQLite node. */
  store: KeyValueStore;
  clock: Clock;
  logger: Logger;
  /** RATE_LIMITS=off turns it off with the other per-IP limits. */
  enabled: boolean;
  perMinute: number;
}

/**
 * Refused `/kiosk` and `/device` handshakes, counted per IP in one-minute windows. Past the
 * limit an IP is refused `rate_limited` before any key is looked at, the right key included,
 * until its window ends: guessing hub or device keys costs a minute per `perMinute` tries.
 */
export class HandshakeGuard {
  constructor(private readonly deps: HandshakeGuardDeps) {}

  /** Throws `rate_limited` when `ip` has used up its failures this minute. */
  async admit(ip: string): Promise<void> {
    if (!this.deps.enabled) return;
    const { key, windowEnd } = this.window(ip);
    const failures = (await this.deps.store.get<number>(key)) ?? 0;
    if (failures >= this.deps.perMinute) {
      const retryAfter = Math.max(1, Math.ceil((windowEnd - this.deps.clock.now()) / 1000));
      throw new AppError('rate_limited', undefined, { retryAfter });
    }
  }

  /** Counts a refusal and logs it with the IP; keys are never passed here, so never logged. */
  async refused(refusal: { ip: string; namespace: string; code: string; serial?: string | undefined }): Promise<void> {
    // "refusal", not "code": the logger redacts every "code" field (pairing codes).
    this.deps.logger.info({ ip: refusal.ip, namespace: refusal.namespace, refusal: refusal.code, serial: refusal.serial }, 'socket handshake refused');
    if (!this.deps.enabled) return;
    const { key, windowEnd } = this.window(refusal.ip);
    await this.deps.store.incr(key, windowEnd);
  }

  /** Counted by client key (an IPv6 address by its /64); the log keeps the exact address. */
  private window(ip: string): { key: string; windowEnd: number } {
    const now = this.deps.clock.now();
    const windowStart = now - (now % WINDOW_MS);
    return { key: keys.handshakeFailures(clientKey(ip), windowStart), windowEnd: windowStart + WINDOW_MS };
  }
}
