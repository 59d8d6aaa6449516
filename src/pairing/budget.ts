import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Store } from '../store/types.ts';
import { countTowardLock, escalatedLockMs } from './rules.ts';

const HOUR_MS = 3_600_000;

/** Every key this budget owns for a home (forgotten with the home). */
export const budgetKeys = {
  lock: (serial: string) => `pairing:lock:${serial}`,
  failures: (serial: string) => `pairing:failures:${serial}`,
  burns: (serial: string) => `pairing:burns:${serial}`,
  escalation: (serial: string) => `pairing:escalation:${serial}`,
};

/** The bucket of the per-home code request limit (in the ephemeral space). */
export const CODE_REQUESTS_BUCKET = 'pairing-code-home';

export interface PairingLock {
  until: number;
  /** How many locks in a row (without a successful pairing or an unlock) this one is: 1, 2, … */
  streak: number;
}

interface Escalation {
  /** Locks so far without a successful pairing or an unlock in between. */
  locks: number;
}

export interface PairingBudgetDeps {
  config: Pick<
    Config,
    'pairingLockAfter' | 'pairingLockDurationMs' | 'pairingLockAfterFailures' | 'pairingLockMaxMs' | 'pairingFailureMemoryMs' | 'pairingCodeRequests'
  >;
  /** The durable store: locks and failure counts survive restarts and are shared by every instance. */
  store: Store;
  clock: Clock;
  logger: Logger;
  events: HomeEvents;
  /** Always on (RATE_LIMITS=off leaves per-home rules alone); counts in the ephemeral space. */
  homeLimiter: RateLimiter;
  /** Called when a lock begins, so the active code can be withdrawn. */
  onLock?: (serial: string) => Promise<void>;
}

/**
 * A home's budget of wrong guesses, whichever code they were for. Every wrong claim is recorded
 * in the Store; the `pairingLockAfterFailures`-th (or the `pairingLockAfter`-th burned code within
 * an hour) locks the home, each lock twice as long as the one before until a pairing succeeds or a
 * kiosk unlocks. Other flows with guessable codes (guest invites) can spend the same budget.
 */
export class PairingBudget {
  constructor(private readonly deps: PairingBudgetDeps) {}

  /** The lock in force, or null. */
  async lock(serial: string): Promise<PairingLock | null> {
    const lock = await this.deps.store.get<PairingLock>(budgetKeys.lock(serial));
    return lock && lock.until > this.deps.clock.now() ? lock : null;
  }

  /** Throws `pairing_locked` (423, Retry-After) while the home is locked. */
  async assertOpen(serial: string): Promise<void> {
    const lock = await this.lock(serial);
    if (!lock) return;
    const retryAfter = Math.max(1, Math.ceil((lock.until - this.deps.clock.now()) / 1000));
    throw new AppError('pairing_locked', undefined, { until: isoAt(lock.until) }, { 'Retry-After': String(retryAfter) });
  }

  /** Counts a code request from outside the home (all addresses together); throws `rate_limited` past the limit. */
  async admitCodeRequest(serial: string): Promise<void> {
    const { limit, windowMs } = this.deps.config.pairingCodeRequests;
    await this.deps.homeLimiter.hit(CODE_REQUESTS_BUCKET, serial, limit, windowMs);
  }

  /**
   * Records one wrong claim (and, when it burned its code, the burn). Returns the lock it caused,
   * if any. Atomic per home in the store, so concurrent claims on any instance lock once.
   */
  async recordFailure(serial: string, burned: boolean): Promise<PairingLock | null> {
    const { store, clock, config } = this.deps;
    const now = clock.now();
    const failuresDue = await store.update<number[], boolean>(budgetKeys.failures(serial), (times) =>
      countTowardLock(times, now, config.pairingFailureMemoryMs, config.pairingLockAfterFailures),
    );
    const burnsDue = burned
      ? await store.update<number[], boolean>(budgetKeys.burns(serial), (times) => countTowardLock(times, now, HOUR_MS, config.pairingLockAfter))
      : false;
    if (!failuresDue && !burnsDue) return null;
    // Whichever rule fired, the next lock needs a full budget of both again.
    if (!failuresDue) await store.del(budgetKeys.failures(serial));
    if (!burnsDue) await store.del(budgetKeys.burns(serial));
    return this.startLock(serial, now);
  }

  /** A successful pairing: the home starts again with a clean record (read first: usually nothing to clear). */
  async recordSuccess(serial: string): Promise<void> {
    const { store } = this.deps;
    const [failures, escalation] = await Promise.all([
      store.get(budgetKeys.failures(serial)),
      store.get(budgetKeys.escalation(serial)),
    ]);
    if (failures !== null || escalation !== null) await this.clear(serial, false);
  }

  /** The kiosk's `pairing:unlock`: lifts a lock and resets the escalation. True when a lock was lifted. */
  async unlock(serial: string): Promise<boolean> {
    const lifted = (await this.lock(serial)) !== null;
    await this.clear(serial, true);
    this.deps.logger.info({ serial, lifted }, 'pairing unlocked from a kiosk');
    this.deps.events.toKiosks(serial, 'pairing:unlocked', {});
    return lifted;
  }

  private async startLock(serial: string, now: number): Promise<PairingLock> {
    const { store, config, logger, events } = this.deps;
    const streak = await store.update<Escalation, number>(budgetKeys.escalation(serial), (current) => {
      const locks = (current?.locks ?? 0) + 1;
      // Remembered as long as failures are: only a pairing, an unlock or that long a quiet spell resets it.
      return { next: { locks }, expiresAt: now + config.pairingLockMaxMs + config.pairingFailureMemoryMs, result: locks };
    });
    const until = now + escalatedLockMs(streak, config.pairingLockDurationMs, config.pairingLockMaxMs);
    const lock: PairingLock = { until, streak };
    await store.set(budgetKeys.lock(serial), lock, until);
    await this.deps.onLock?.(serial);
    logger.warn({ serial, until: isoAt(until), streak }, 'pairing locked after repeated wrong codes');
    events.toKiosks(serial, 'pairing:locked', { until: isoAt(until) });
    return lock;
  }

  private async clear(serial: string, withLock: boolean): Promise<void> {
    const { store } = this.deps;
    const keys = [budgetKeys.failures(serial), budgetKeys.burns(serial), budgetKeys.escalation(serial)];
    if (withLock) keys.push(budgetKeys.lock(serial));
    await Promise.all(keys.map((key) => store.del(key)));
  }
}
