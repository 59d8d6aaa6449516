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

/**
 * Adds one event (a wrong claim, a burned code) to the times kept inside the window. Reaching
 * `threshold` empties the record in the same atomic update: those events are paid for by the lock
 * they cause, and no concurrent one is lost between counting and clearing.
 */
export function countTowardLock(
  times: number[] | null,
  now: number,
  windowMs: number,
  threshold: number,
): UpdateOutcome<number[], boolean> {
  const recent = (times ?? []).filter((t) => t > now - windowMs);
  recent.push(now);
  if (recent.length >= threshold) return { next: null, result: true };
  return { next: recent, expiresAt: now + windowMs, result: false };
}

/** The `streak`-th lock in a row lasts `firstMs` doubled `streak - 1` times, at most `maxMs`. */
export function escalatedLockMs(streak: number, firstMs: number, maxMs: number): number {
  const doublings = Math.min(Math.max(streak - 1, 0), 52);
  return Math.min(firstMs * 2 ** doublings, maxMs);
}
