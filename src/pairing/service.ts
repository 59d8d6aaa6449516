import type { Clock, Timer } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { digestsEqual, hmacHex, randomId, sixDigitCode } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { GrantService } from '../grants/service.ts';
import type { HomeService } from '../homes/service.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents, RequestOrigin } from '../ports.ts';
import type { Store } from '../store/types.ts';
import type { TokenResponse } from '../tokens/service.ts';
import type { PairingBudget } from './budget.ts';
import { type ActiveCode, type BudgetRecord, type ClaimOutcome, judgeClaim } from './rules.ts';
import { keys } from '../store/keys.ts';

export type PairingOutcome = 'issued' | 'claimed' | 'wrong' | 'burned' | 'expired' | 'locked' | 'kiosk_offline';

export interface PairingDeps {
  config: Pick<Config, 'pairingCodeTtlMs' | 'pairingMaxAttempts' | 'publicUrl'>;
  store: Store;
  clock: Clock;
  logger: Logger;
  events: HomeEvents;
  homes: HomeService;
  grants: GrantService;
  /** The home's failure budget, locks and per-home code request limit. */
  budget: PairingBudget;
  /** HMAC key for stored codes; the same on every instance (derived from the JWT secret). */
  codeKey: Buffer;
  onOutcome?: (outcome: PairingOutcome) => void;
}

export interface CodeRequest {
  serial?: string | undefined;
  clientName?: string | undefined;
  origin: RequestOrigin;
  /** A kiosk's own `pairing:open`: not counted against the home's code request limit. */
  fromKiosk?: boolean;
}

export interface CodeIssued {
  serial: string;
  expiresAt: string;
  ttlSeconds: number;
}

/** How long a code's record outlives the code, so the expiry notice can tell "expired" from "claimed". */
const RECORD_GRACE_MS = 60_000;

export const codeKeyOf = keys.pairingCode;

/**
 * Six-digit pairing. The code lives in the Store only as an HMAC bound to its home, is pushed
 * only to that home's kiosk room, and every claim is judged inside one atomic store update, so
 * concurrent claims on any instance see one consistent attempt count.
 */
export class PairingService {
  /** Per-instance timers that announce expiry; the store's own expiry is what actually counts. */
  private readonly expiryTimers = new Map<string, Timer>();

  constructor(private readonly deps: PairingDeps) {}

  async requestCode(request: CodeRequest): Promise<CodeIssued> {
    const { store, clock, events, config, logger } = this.deps;
    const home = await this.deps.homes.resolve(request.serial);
    const serial = home.serial;
    await this.assertUnlocked(serial);
    if ((await events.kioskCount(serial)) === 0) {
      this.count('kiosk_offline');
      throw new AppError('kiosk_offline');
    }
    // Counted only when a code would be made: a request refused kiosk_offline creates nothing.
    if (!request.fromKiosk) await this.deps.budget.admitCodeRequest(serial);
    const code = sixDigitCode();
    const now = clock.now();
    const active: ActiveCode = {
      id: randomId(9),
      hash: this.hashCode(serial, code),
      expiresAt: now + config.pairingCodeTtlMs,
      attemptsLeft: config.pairingMaxAttempts,
    };
    // A new request replaces the home's active code: the old one stops working at once.
    await store.ephemeral.set(codeKeyOf(serial), active, active.expiresAt + RECORD_GRACE_MS);
    const ttlSeconds = Math.round(config.pairingCodeTtlMs / 1000);
    const expiresAt = isoAt(active.expiresAt);
    events.toKiosks(serial, 'pairing:code', {
      code,
      expiresAt,
      ttlSeconds,
      ...(request.clientName ? { clientName: request.clientName } : {}),
      requestedFrom: { ip: request.origin.ip, userAgent: request.origin.userAgent },
      // Where the kiosk's "scan to pair" QR should point; a kiosk opened as localhost cannot know.
      ...(config.publicUrl ? { dashboardUrl: `${config.publicUrl}/` } : {}),
    });
    this.scheduleExpiryNotice(serial, active.id, config.pairingCodeTtlMs);
    this.count('issued');
    logger.info({ serial, ip: request.origin.ip }, 'pairing code issued');
    return { serial, expiresAt, ttlSeconds };
  }

  async claim(input: { code: string; serial?: string | undefined; clientName?: string | undefined; ip: string }): Promise<TokenResponse> {
    const { store, clock, events, logger } = this.deps;
    const home = await this.deps.homes.resolve(input.serial);
    const serial = home.serial;
    const budget = await this.assertUnlocked(serial);
    const candidate = this.hashCode(serial, input.code);
    const now = clock.now();
    const outcome = await store.ephemeral.update<ActiveCode, ClaimOutcome>(codeKeyOf(serial), (current) =>
      judgeClaim(current, now, (hash) => digestsEqual(hash, candidate)),
    );
    switch (outcome.kind) {
      case 'none':
        this.count('expired');
        throw new AppError('code_expired');
      case 'wrong':
        this.count('wrong');
        logger.info({ serial, ip: input.ip, attemptsLeft: outcome.attemptsLeft }, 'pairing claim with a wrong code');
        // Every wrong claim counts against the home, so swapping codes before they burn gains nothing.
        await this.deps.budget.recordFailure(serial, false);
        throw new AppError('invalid_code', undefined, { attemptsLeft: outcome.attemptsLeft });
      case 'burned':
        this.count('burned');
        this.clearExpiryNotice(serial);
        logger.warn({ serial, ip: input.ip }, 'pairing code burned after too many wrong claims');
        events.toKiosks(serial, 'pairing:burned', {});
        await this.deps.budget.recordFailure(serial, true);
        throw new AppError('too_many_attempts');
      case 'ok': {
        this.count('claimed');
        this.clearExpiryNotice(serial);
        const clientName = input.clientName ?? 'Unnamed client';
        const tokens = await this.deps.grants.create(serial, clientName, 'code', input.ip, { knownHome: home });
        await this.deps.budget.recordSuccess(serial, budget);
        events.toKiosks(serial, 'pairing:claimed', { grantId: tokens.grantId, clientName });
        logger.info({ serial, ip: input.ip, grantId: tokens.grantId }, 'pairing code claimed');
        return tokens;
      }
    }
  }

  /** Withdraws the active code (kiosk's `pairing:cancel`); kiosks clear their screens. */
  async cancel(serial: string): Promise<void> {
    const removed = await this.deps.store.ephemeral.del(codeKeyOf(serial));
    this.clearExpiryNotice(serial);
    if (removed) this.deps.events.toKiosks(serial, 'pairing:expired', { reason: 'cancelled' });
  }

  close(): void {
    for (const timer of this.expiryTimers.values()) timer.cancel();
    this.expiryTimers.clear();
  }

  /** When pairing for the home is locked, until when (ISO); null when it is not. */
  async lockedUntil(serial: string): Promise<string | null> {
    const lock = await this.deps.budget.lock(serial);
    return lock ? isoAt(lock.until) : null;
  }

  /** The kiosk's `pairing:unlock`: lifts the lock and resets the escalation. */
  async unlock(serial: string): Promise<void> {
    await this.deps.budget.unlock(serial);
  }

  /** A lock withdraws the active code: claims already in flight find nothing to guess at. */
  async withdrawCode(serial: string): Promise<void> {
    await this.deps.store.ephemeral.del(codeKeyOf(serial));
    this.clearExpiryNotice(serial);
  }

  private async assertUnlocked(serial: string): Promise<BudgetRecord | null> {
    try {
      return await this.deps.budget.openRecord(serial);
    } catch (err) {
      this.count('locked');
      throw err;
    }
  }

  private hashCode(serial: string, code: string): string {
    return hmacHex(this.deps.codeKey, `${serial}\u0000${code}`);
  }

  private scheduleExpiryNotice(serial: string, codeId: string, ttlMs: number): void {
    this.clearExpiryNotice(serial);
    const timer = this.deps.clock.setTimeout(() => {
      this.expiryTimers.delete(serial);
      void this.announceExpiry(serial, codeId);
    }, ttlMs + 50);
    this.expiryTimers.set(serial, timer);
  }

  private async announceExpiry(serial: string, codeId: string): Promise<void> {
    try {
      // Only announce if the code that timed out is still the active one (not claimed or replaced elsewhere).
      const current = await this.deps.store.ephemeral.get<ActiveCode>(codeKeyOf(serial));
      // The record outlives its code by a grace period, so "absent" means claimed, burned or cancelled.
      if (!current || current.id !== codeId) return;
      await this.deps.store.ephemeral.del(codeKeyOf(serial));
      this.deps.events.toKiosks(serial, 'pairing:expired', { reason: 'expired' });
    } catch (err) {
      this.deps.logger.warn({ err, serial }, 'could not announce pairing code expiry');
    }
  }

  private clearExpiryNotice(serial: string): void {
    this.expiryTimers.get(serial)?.cancel();
    this.expiryTimers.delete(serial);
  }

  private count(outcome: PairingOutcome): void {
    this.deps.onOutcome?.(outcome);
  }
}
