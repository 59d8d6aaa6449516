import type { UpdateOutcome } from '../store/types.ts';

export interface ActiveCode {
  id: string;
  /** HMAC of serial + code; the code itself is never stored. */
  hash: string;
  expiresAt: number;
  attemptsLeft: number;
}

export type ClaimOutcome =
  | { kind: 'ok' }
  | { kind: 'wrong'; attemptsLeft: number }
  | { kind: 'burned' }
  | { kind: 'none' };

/**
 * One claim against the active code, as a pure store update: a match consumes the code
 * (single use), a miss spends an attempt, the last miss burns it.
 */
export function judgeClaim(
  current: ActiveCode | null,
  now: number,
  matches: (hash: string) => boolean,
): UpdateOutcome<ActiveCode, ClaimOutcome> {
  if (!current || current.expiresAt <= now) return { result: { kind: 'none' } };
  if (matches(current.hash)) return { next: null, result: { kind: 'ok' } };
  const attemptsLeft = current.attemptsLeft - 1;
  if (attemptsLeft <= 0) return { next: null, result: { kind: 'burned' } };
  return { next: { ...current, attemptsLeft }, result: { kind: 'wrong', attemptsLeft } };
}

/** Everything the pairing budget knows about one home: one record, so one atomic update decides a lock. */
export interface BudgetRecord {
  /** Times of wrong claims (any code) not yet paid for by a lock. */
  failures: number[];
  /** Times of burned codes within the last hour, not yet paid for by a lock. */
  burns: number[];
  /** Locks in a row without a successful pairing or an unlock in between. */
  streak: number;
  /** Epoch ms; 0 when never locked. */
  lockedUntil: number;
}

export interface BudgetRules {
  /** Wrong claims that lock (PAIRING_LOCK_AFTER_FAILURES), remembered for `failureMemoryMs`. */
  lockAfterFailures: number;
  failureMemoryMs: number;
  /** Burned codes within an hour that lock (PAIRING_LOCK_AFTER). */
  lockAfterBurns: number;
  firstLockMs: number;
  maxLockMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * One wrong claim, as a pure store update. Reaching either threshold empties both counts and
 * starts the next lock of the streak in the same write: those guesses are paid for, and no
 * concurrent one is lost or counted twice. The record lives as long as the longest memory it holds.
 */
export function recordWrongClaim(
  current: BudgetRecord | null,
  now: number,
  burned: boolean,
  rules: BudgetRules,
): UpdateOutcome<BudgetRecord, { until: number; streak: number } | null> {
  const record = current ?? { failures: [], burns: [], streak: 0, lockedUntil: 0 };
  const expiresAt = now + rules.failureMemoryMs + rules.maxLockMs;
  const failures = [...record.failures.filter((t) => t > now - rules.failureMemoryMs), now];
  const burns = record.burns.filter((t) => t > now - HOUR_MS);
  if (burned) burns.push(now);
  if (failures.length < rules.lockAfterFailures && burns.length < rules.lockAfterBurns) {
    return { next: { ...record, failures, burns }, expiresAt, result: null };
  }
  const streak = record.streak + 1;
  const until = now + escalatedLockMs(streak, rules.firstLockMs, rules.maxLockMs);
  return { next: { failures: [], burns: [], streak, lockedUntil: until }, expiresAt, result: { until, streak } };
}
/** The `streak`-th lock in a row lasts `firstMs` doubled `streak - 1` times, at most `maxMs`. */
export function escalatedLockMs(streak: number, firstMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(streak - 1, 0), 52);
  return Math.min(firstMs * 2 ** doublings, maxMs);
}
