import type { AuditService } from '../audit/service.ts';
import type { AuditOrigin } from '../audit/types.ts';
import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { digestsEqual, hmacHex, randomId } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { GrantService } from '../grants/service.ts';
import type { HomeService } from '../homes/service.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/types.ts';
import type { TokenResponse } from '../tokens/service.ts';
import { inviteCode } from './code.ts';
import { type InviteRequest, MAX_GUEST_SPAN_MS, type GuestTerms } from './terms.ts';
import { keys } from '../store/keys.ts';

/**
 * The per-home budget of wrong guesses that pairing claims spend (src/pairing): guest claims spend
 * the same one, so inviting a guest gives an attacker no second door with its own allowance.
 */
export interface ClaimBudget {
  /** Throws `pairing_locked` while the home is locked. */
  assertOpen(serial: string): Promise<void>;
  recordFailure(serial: string, burned: boolean): Promise<unknown>;
  recordSuccess(serial: string): Promise<void>;
}

export interface GuestDeps {
  config: Pick<Config, 'guestInviteTtlMs'>;
  store: Store;
  clock: Clock;
  logger: Logger;
  homes: HomeService;
  grants: GrantService;
  audit: AuditService;
  budget: ClaimBudget;
  /** HMAC key for stored invite codes (derived from the JWT secret, the same on every instance). */
  codeKey: Buffer;
}

export interface InviteCreated {
  inviteId: string;
  inviteUrl: string;
  code: string;
  expiresAt: string;
}

interface InviteRecord {
  inviteId: string;
  serial: string;
  /** HMAC of serial + code, compared in constant time; the code itself is never stored. */
  hash: string;
  clientName: string;
  terms: GuestTerms;
  expiresAt: number;
  usedAt: number | null;
}

/** An invite's record outlives it a while, so a late claim hears "expired" rather than "wrong". */
const RECORD_GRACE_MS = 3600_000;

const inviteKeyOf = keys.guestInvite;

type Consumed = { kind: 'ok'; invite: InviteRecord } | { kind: 'none' } | { kind: 'expired' };

/** Guest invites: made by a full grant or a kiosk, claimed once for a scoped, time-limited grant. */
export class GuestService {
  constructor(private readonly deps: GuestDeps) {}

  async invite(serial: string, request: InviteRequest, by: AuditOrigin, baseUrl: string): Promise<InviteCreated> {
    const { store, clock, config, audit, logger } = this.deps;
    const terms = this.checkedTerms(request);
    const code = inviteCode();
    const now = clock.now();
    const hash = this.hashCode(serial, code);
    const invite: InviteRecord = {
      inviteId: randomId(12),
      serial,
      hash,
      clientName: request.clientName,
      terms,
      expiresAt: Math.min(now + config.guestInviteTtlMs, Date.parse(terms.notAfter)),
      usedAt: null,
    };
    // ≈ 43 random bits per home: a collision is all but impossible, and setIfAbsent makes it harmless.
    if (!(await store.setIfAbsent(inviteKeyOf(hash), invite, invite.expiresAt + RECORD_GRACE_MS))) throw new AppError('internal_error');
    audit.record(serial, { ...by, event: 'guest.invited', target: invite.inviteId, outcome: 'ok' });
    logger.info({ serial, inviteId: invite.inviteId, notAfter: terms.notAfter }, 'guest invite created');
    return { inviteId: invite.inviteId, inviteUrl: inviteUrlOf(baseUrl, serial, code), code, expiresAt: isoAt(invite.expiresAt) };
  }

  /** Claims an invite; a wrong code counts against the home exactly as a wrong pairing code does. */
  async claim(input: { code: string; serial?: string | undefined; clientName?: string | undefined; ip: string }): Promise<TokenResponse> {
    const { store, clock, budget, grants, logger } = this.deps;
    const { serial } = await this.deps.homes.resolve(input.serial);
    await budget.assertOpen(serial);
    const hash = this.hashCode(serial, input.code);
    const now = clock.now();
    const outcome = await store.update<InviteRecord, Consumed>(inviteKeyOf(hash), (current) => {
      if (!current || !digestsEqual(current.hash, hash) || current.serial !== serial) return { result: { kind: 'none' } };
      if (current.usedAt !== null || current.expiresAt <= now) return { result: { kind: 'expired' } };
      return { next: { ...current, usedAt: now }, result: { kind: 'ok', invite: current } };
    });
    if (outcome.kind === 'none') {
      logger.info({ serial, ip: input.ip }, 'guest claim with a wrong code');
      await budget.recordFailure(serial, false);
      throw new AppError('invalid_code', 'The invite code is wrong.');
    }
    if (outcome.kind === 'expired') throw new AppError('code_expired', 'This invite was already used or has expired.');
    const { invite } = outcome;
    const tokens = await grants.create(serial, input.clientName ?? invite.clientName, 'code', input.ip, { guest: invite.terms });
    await budget.recordSuccess(serial);
    logger.info({ serial, inviteId: invite.inviteId, grantId: tokens.grantId }, 'guest invite claimed');
    return tokens;
  }

  /** notAfter ahead but within 90 days, notBefore before it, action keys among the scope's devices. */
  private checkedTerms(request: InviteRequest): GuestTerms {
    const now = this.deps.clock.now();
    const notAfter = Date.parse(request.notAfter);
    const notBefore = request.notBefore === undefined ? undefined : Date.parse(request.notBefore);
    const invalid = (message: string) => new AppError('invalid_request', message);
    if (notAfter <= now) throw invalid('notAfter must be in the future.');
    if (notAfter > now + MAX_GUEST_SPAN_MS) throw invalid('notAfter may be at most 90 days ahead.');
    if (notBefore !== undefined && notBefore >= notAfter) throw invalid('notBefore must be before notAfter.');
    const { scope } = request;
    if (scope.actions !== 'read' && scope.devices !== '*') {
      const stray = Object.keys(scope.actions).filter((id) => id !== '*' && !scope.devices.includes(id));
      if (stray.length > 0) throw invalid(`actions name devices outside scope.devices: ${stray.join(', ')}`);
    }
    return {
      scope,
      ...(notBefore !== undefined ? { notBefore: isoAt(notBefore) } : {}),
      notAfter: isoAt(notAfter),
      ...(request.maxUses !== undefined ? { maxUses: request.maxUses } : {}),
    };
  }

  private hashCode(serial: string, code: string): string {
    return hmacHex(this.deps.codeKey, `${serial}\u0000${code}`);
  }
}

/**
 * The guest page with the code pre-filled. Code and serial ride in the fragment, which browsers
 * never send to a server: they stay out of access logs, proxies and Referer headers.
 */
export function inviteUrlOf(baseUrl: string, serial: string, code: string): string {
  return `${baseUrl}/guest#code=${encodeURIComponent(code)}&serial=${encodeURIComponent(serial)}`;
}
