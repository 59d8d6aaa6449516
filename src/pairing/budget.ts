import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Store } from '../store/types.ts';
import { type BudgetRecord, type BudgetRules, recordWrongClaim } from './rules.ts';
import { keys } from '../store/keys.ts';

/** The one durable record of a home's budget (forgotten with the home). */
export const budgetKeyOf = keys.pairingBudget;

/** The bucket of the per-home code request limit (in the ephemeral space). */
export const CODE_REQUESTS_BUCKET = 'pairing-code-home';

export interface PairingLock {
  until: number;
  /** How many locks in a row (without a successful pairing or an unlock) this one is: 1, 2, … */
  streak: number;
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
 * kiosk unlocks. Other flows with guessable codes (guest invites) spend the same budget.
 */
export class PairingBudget {
  private readonly rules: BudgetRules;

  constructor(private readonly deps: PairingBudgetDeps) {
    const { config } = deps;
    this.rules = {
      lockAfterFailures: config.pairingLockAfterFailures,
      failureMemoryMs: config.pairingFailureMemoryMs,
      lockAfterBurns: config.pairingLockAfter,
      firstLockMs: config.pairingLockDurationMs,
      maxLockMs: config.pairingLockMaxMs,
    };
  }

  /** The lock in force, or null. */
  async lock(serial: string): Promise<PairingLock | null> {
    return this.lockIn(await this.deps.store.get<BudgetRecord>(budgetKeyOf(serial)));
  }

  /** Throws `pairing_locked` (423, Retry-After) while the home is locked. */
  async assertOpen(serial: string): Promise<void> {
    await this.openRecord(serial);
  }

  /**
   * `assertOpen` that returns what it read, so a claim that then succeeds knows, without another
   * read, whether there is anything to clear.
   */
  async openRecord(serial: string): Promise<BudgetRecord | null> {
    const record = await this.deps.store.get<BudgetRecord>(budgetKeyOf(serial));
    const lock = this.lockIn(record);
    if (!lock) return record;
    const retryAfter = Math.max(1, Math.ceil((lock.until - this.deps.clock.now()) / 1000));
    throw new AppError('pairing_locked', undefined, { until: isoAt(lock.until) }, { 'Retry-After': String(retryAfter) });
  }

  /** Counts a code request from outside the home (all addresses together); throws `rate_limited` past the limit. */
  async admitCodeRequest(serial: string): Promise<void> {
    const { limit, windowMs } = this.deps.config.pairingCodeRequests;
    await this.deps.homeLimiter.hit(CODE_REQUESTS_BUCKET, serial, limit, windowMs);
  }

  /**
   * Records one wrong claim (`burned`: it burned its code). Returns the lock it started, if any.
   * One atomic update per claim, so concurrent claims on any instance lock once.
   */
  async recordFailure(serial: string, burned: boolean): Promise<PairingLock | null> {
    const now = this.deps.clock.now();
    const lock = await this.deps.store.update<BudgetRecord, PairingLock | null>(budgetKeyOf(serial), (current) =>
      recordWrongClaim(current, now, burned, this.rules),
    );
    if (lock) await this.announceLock(serial, lock);
    return lock;
  }

  /**
   * A successful pairing: the home starts again with a clean record. `seen` is what `assertOpen`
   * read for this claim (`openRecord`); null means there was nothing to clear (no write on the usual path).
   */
  async recordSuccess(serial: string, seen?: BudgetRecord | null): Promise<void> {
    const record = seen === undefined ? await this.deps.store.get<BudgetRecord>(budgetKeyOf(serial)) : seen;
    if (record) await this.deps.store.del(budgetKeyOf(serial));
  }

  /** The kiosk's `pairing:unlock`: lifts a lock and resets the escalation. True when a lock was lifted. */
  async unlock(serial: string): Promise<boolean> {
    const lifted = (await this.lock(serial)) !== null;
    await this.deps.store.del(budgetKeyOf(serial));
    this.deps.logger.info({ serial, lifted }, 'pairing unlocked from a kiosk');
    this.deps.events.toKiosks(serial, 'pairing:unlocked', {});
    return lifted;
  }

  private lockIn(record: BudgetRecord | null): PairingLock | null {
    return record && record.lockedUntil > this.deps.clock.now() ? { until: record.lockedUntil, streak: record.streak } : null;
  }

  private async announceLock(serial: string, lock: PairingLock): Promise<void> {
    await this.deps.onLock?.(serial);
    this.deps.logger.warn({ serial, until: isoAt(lock.until), streak: lock.streak }, 'pairing locked after repeated wrong codes');
    this.deps.events.toKiosks(serial, 'pairing:locked', { until: isoAt(lock.until) });
  }
}
