import { sha256Hex } from '../crypto.ts';
import { AppError, type ErrorCode, errorCodes } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import { keys } from '../store/keys.ts';

/** How long a key remembers its first result (the contract's 24 h). */
const KEEP_MS = 24 * 3600_000;
/** A claim whose holder died (an instance crashed mid-command) frees itself after this much slack. */
const PENDING_SLACK_MS = 10_000;
const POLL_MS = 50;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; details?: unknown } };

type Entry<T> = { status: 'pending'; fingerprint: string } | { status: 'done'; fingerprint: string; outcome: Outcome<T> };

export interface IdempotencyDeps {
  store: Store;
  clock: Clock;
  /** The longest a first attempt can take; duplicates wait this long (plus slack) for it. */
  attemptMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Lets `fn` note that the command left the relay; from then on its outcome is the key's answer. */
export type MarkSent = () => void;

/**
 * Idempotency keys for commands. The first request with a key claims it atomically in the store
 * (so duplicates on any instance wait instead of sending twice) and records its outcome for 24 h.
 * Only outcomes of commands that were actually sent are kept — success, rejection, timeout, a
 * device vanishing mid-command — because resending is exactly what the key forbids. When nothing
 * was sent (unknown device, offline, unsupported action) the key is released so a retry can send.
 */
export class Idempotency {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: IdempotencyDeps) {
    // Real time on purpose: a duplicate polls for the first attempt's answer, which arrives in real time
    // (from this or another instance); the key's own expiry is the store's, against the clock.
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run<T>(scope: string, key: string, request: unknown, fn: (markSent: MarkSent) => Promise<T>): Promise<{ value: T; replayed: boolean }> {
    const { store, clock, attemptMs } = this.deps;
    const storeKey = `${idempotencyPrefix(scope)}${sha256Hex(key)}`;
    const fingerprint = sha256Hex(stableJson(request));
    const maxPolls = Math.ceil((attemptMs + PENDING_SLACK_MS) / POLL_MS);

    for (let polls = 0; ; polls++) {
      const now = clock.now();
      const seen = await store.update<Entry<T>, Entry<T> | null>(storeKey, (current) =>
        current ? { result: current } : { next: { status: 'pending', fingerprint }, expiresAt: now + attemptMs + PENDING_SLACK_MS, result: null },
      );
      if (seen === null) return { value: await this.first(storeKey, fingerprint, fn), replayed: false };
      if (seen.fingerprint !== fingerprint) {
        throw new AppError('invalid_request', 'This Idempotency-Key was already used for a different command.');
      }
      if (seen.status === 'done') return { value: replay(seen.outcome, ReplayedError), replayed: true };
      // Another request with this key is in flight (here or on another instance): wait for its answer.
      if (polls >= maxPolls) throw new AppError('device_timeout', 'A request with this Idempotency-Key is still in progress.');
      await this.sleep(POLL_MS);
    }
  }

  private async first<T>(storeKey: string, fingerprint: string, fn: (markSent: MarkSent) => Promise<T>): Promise<T> {
    const { store, clock } = this.deps;
    let sent = false;
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await fn(() => (sent = true)) };
    } catch (err) {
      const known = err instanceof AppError && err.code !== 'internal_error';
      if (!sent || !known) {
        await store.del(storeKey);
        throw err;
      }
      outcome = { ok: false, error: err.toJSON() };
    }
    await store.set<Entry<T>>(storeKey, { status: 'done', fingerprint, outcome }, clock.now() + KEEP_MS);
    return replay(outcome, AppError);
  }
}

/** Every record of one scope (a grant, a kiosk's home) starts with this: a removed home's are forgotten. */
export const idempotencyPrefix = keys.idempotencyPrefix;

/**
 * A kept failure handed out again (same code, message and details as the first time). A replayed
 * success says so in `run`'s result; a failure is thrown, so its class is how a transport tells.
 */
export class ReplayedError extends AppError {}

function replay<T>(outcome: Outcome<T>, As: typeof AppError): T {
  if (outcome.ok) return outcome.value;
  const code = (outcome.error.code in errorCodes ? outcome.error.code : 'internal_error') as ErrorCode;
  throw new As(code, outcome.error.message, outcome.error.details);
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same request. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
