/**
 * Key/value entries in Redis are "<expiresAt>:<json>". The logical expiry (compared with the
 * injected clock) travels with the value; the Redis TTL is garbage collection only.
 */

/**
 * Extra real time a key outlives its logical expiry before Redis drops it. It covers clock skew
 * between instances and Redis and lets the logical check, not Redis, decide when a value dies.
 */
export const GC_GRACE_MS = 60_000;

export interface Entry {
  expiresAt: number;
  value: unknown;
}

export const encodeEntry = (value: unknown, expiresAt: number): string => `${Math.floor(expiresAt)}:${JSON.stringify(value)}`;

export function decodeEntry(raw: string): Entry {
  const sep = raw.indexOf(':');
  return { expiresAt: Number(raw.slice(0, sep)), value: JSON.parse(raw.slice(sep + 1)) as unknown };
}

/** The Redis TTL for an entry that logically ends at `expiresAt` when the caller's clock says `now`. */
export const gcTtlMs = (expiresAt: number, now: number): number => Math.max(1, Math.ceil(expiresAt - now)) + GC_GRACE_MS;

/** Live entries only, judged by the caller's clock. */
export function liveEntry(raw: string | null, now: number): Entry | null {
  if (raw === null) return null;
  const entry = decodeEntry(raw);
  return entry.expiresAt > now ? entry : null;
}
