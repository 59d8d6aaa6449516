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

/** Keeps the burn times inside the window and adds this one; the result is how many there are. */
export function recordBurn(burns: number[] | null, now: number, windowMs: number): UpdateOutcome<number[], number> {
  const recent = (burns ?? []).filter((t) => t > now - windowMs);
  recent.push(now);
  return { next: recent, expiresAt: now + windowMs, result: recent.length };
}
