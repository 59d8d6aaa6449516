import type { AuditService } from '../audit/service.ts';
import { type AuditOrigin, grantActor, systemOrigin } from '../audit/types.ts';
import type { Clock } from '../clock.ts';
import type { DeviceAccess } from '../devices/types.ts';
import { guestAccess, usesOf } from '../guests/access.ts';
import type { GuestScope, GuestTerms } from '../guests/terms.ts';
import { isoAt } from '../clock.ts';
import { randomId } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { GrantMethod, GrantRecord, HomeRecord, Store } from '../store/types.ts';
import type { AccessClaims, TokenResponse, TokenService } from '../tokens/service.ts';

export interface GrantView {
  id: string;
  clientName: string;
  method: GrantMethod;
  createdAt: string;
  lastUsedAt: string;
  ip: string;
  current: boolean;
  /** Scoped (guest) grants only. */
  scope?: GuestScope;
  notBefore?: string;
  notAfter?: string;
  maxUses?: number;
  uses?: number;
}

export interface Principal {
  grant: GrantRecord;
  claims: AccessClaims;
  /** A scoped (guest) grant's limits on devices; absent for a full grant. */
  access?: DeviceAccess;
}

/** lastUsedAt is a hint for people, not an audit log: write it at most once a minute per grant. */
const TOUCH_INTERVAL_MS = 60_000;

/** Grants (a paired client) and everything that authenticates or ends one. */
export class GrantService {
  constructor(
    private readonly deps: { store: Store; clock: Clock; logger: Logger; events: HomeEvents; tokens: TokenService; audit: AuditService },
  ) {}

  /**
   * `guest` makes it a scoped grant (a claimed invite); `knownHome` is the home as the caller read it
   * for this request (saves reading it again).
   */
  async create(
    serial: string,
    clientName: string,
    method: GrantMethod,
    ip: string,
    { guest, knownHome }: { guest?: GuestTerms; knownHome?: HomeRecord } = {},
  ): Promise<TokenResponse> {
    const { store, clock, events, tokens, logger } = this.deps;
    // The grant belongs to this generation of the home: if the home is removed (and its serial
    // added again) while the pairing is in flight, the grant and its tokens stay with the old one.
    const home = knownHome?.serial === serial ? knownHome : await store.getHome(serial);
    if (!home) throw new AppError('home_not_found');
    const now = isoAt(clock.now());
    const grant: GrantRecord = {
      id: randomId(16),
      serial,
      clientName,
      method,
      createdAt: now,
      lastUsedAt: now,
      ip,
      revokedAt: null,
      generation: home.generation,
      ...(guest ? { guest } : {}),
    };
    const { response, refresh } = tokens.mintPair(grant);
    await store.createGrant(grant, refresh);
    logger.info({ serial, grantId: grant.id, method }, 'grant created');
    events.toKiosks(serial, 'grant:created', { grantId: grant.id, clientName });
    this.deps.audit.record(serial, {
      actor: grantActor(grant),
      channel: 'rest',
      event: guest ? 'guest.claimed' : method === 'qr' ? 'qr.completed' : 'pairing.claimed',
      target: grant.id,
      outcome: 'ok',
    });
    return response;
  }

  /** A bearer token → its live grant. Throws invalid_token / token_revoked. */
  async authenticate(token: string, ip?: string): Promise<Principal> {
    const { store, clock } = this.deps;
    const claims = this.deps.tokens.verifyAccess(token);
    const [grant, home] = await Promise.all([store.getGrant(claims.sub), store.getHome(claims.api_serial)]);
    if (!grant || grant.revokedAt !== null) throw new AppError('token_revoked');
    if (grant.serial !== claims.api_serial) throw new AppError('invalid_token');
    if (!sameGeneration(grant, home, claims)) throw new AppError('token_revoked');
    const now = clock.now();
    if (ended(grant, now)) throw guestEnded();
    if (ip !== undefined && (now - Date.parse(grant.lastUsedAt) > TOUCH_INTERVAL_MS || grant.ip !== ip)) {
      await store.touchGrant(grant.id, isoAt(now), ip);
    }
    return grant.guest ? { grant, claims, access: guestAccess(grant.id, grant.guest, { store, clock }) } : { grant, claims };
  }

  /** Live grants; a guest grant past its notAfter is over and no longer listed. */
  async list(serial: string, currentGrantId?: string): Promise<GrantView[]> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const grants = (await store.listGrants(serial)).filter((g) => !ended(g, now));
    return Promise.all(
      grants.map(async (g) => ({
        id: g.id,
        clientName: g.clientName,
        method: g.method,
        createdAt: g.createdAt,
        lastUsedAt: g.lastUsedAt,
        ip: g.ip,
        current: g.id === currentGrantId,
        ...(g.guest ? await guestView(store, g.id, g.guest) : {}),
      })),
    );
  }

  /** Revokes a grant of `serial`; another home's grant is reported as not found. */
  async revoke(serial: string, grantId: string, by: AuditOrigin): Promise<void> {
    const grant = await this.deps.store.getGrant(grantId);
    if (!grant || grant.serial !== serial || grant.revokedAt !== null) throw new AppError('grant_not_found');
    await this.end(grant, 'revoked', by);
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const { store, tokens, logger } = this.deps;
    const spent = await tokens.spendRefresh(refreshToken);
    if ('reusedBy' in spent) {
      const grant = await store.getGrant(spent.reusedBy);
      if (grant && grant.revokedAt === null) {
        logger.warn({ grantId: grant.id, serial: grant.serial }, 'refresh token reused: revoking its grant');
        await this.end(grant, 'refresh token reuse', systemOrigin);
      }
      throw new AppError('token_revoked', 'This refresh token was already used; the grant is revoked.');
    }
    const grant = await store.getGrant(spent.grantId);
    if (!grant || grant.revokedAt !== null) throw new AppError('token_revoked');
    if (ended(grant, this.deps.clock.now())) throw guestEnded();
    if (!sameGeneration(grant, await store.getHome(grant.serial))) throw new AppError('token_revoked');
    return tokens.issuePair(grant);
  }

  /** Whether a live socket's principal still holds (its home changed: removed, re-added). */
  async stillValid({ grant, claims }: Principal): Promise<boolean> {
    const [current, home] = await Promise.all([this.deps.store.getGrant(grant.id), this.deps.store.getHome(grant.serial)]);
    return current !== null && current.revokedAt === null && !ended(current, this.deps.clock.now()) && sameGeneration(current, home, claims);
  }

  private async end(grant: GrantRecord, reason: string, by: AuditOrigin): Promise<void> {
    const { store, clock, events, logger } = this.deps;
    if (!(await store.revokeGrant(grant.id, isoAt(clock.now())))) return;
    logger.info({ serial: grant.serial, grantId: grant.id, reason }, 'grant revoked');
    this.deps.audit.record(grant.serial, {
      ...by,
      event: 'grant.revoked',
      target: grant.id,
      outcome: reason === 'revoked' ? 'ok' : reason.replaceAll(' ', '_'),
    });
    events.endGrantSessions(grant.id);
    events.toKiosks(grant.serial, 'grant:revoked', { grantId: grant.id });
  }
}

/** A guest grant ends at its notAfter; a full grant only when revoked. */
const ended = (grant: GrantRecord, now: number): boolean => grant.guest !== undefined && now >= Date.parse(grant.guest.notAfter);

const guestEnded = () => new AppError('invalid_token', 'This guest access has ended.');

async function guestView(store: Store, grantId: string, terms: GuestTerms) {
  return {
    scope: terms.scope,
    ...(terms.notBefore ? { notBefore: terms.notBefore } : {}),
    notAfter: terms.notAfter,
    ...(terms.maxUses !== undefined ? { maxUses: terms.maxUses } : {}),
    uses: await usesOf(store, grantId),
  };
}

/**
 * A grant (and the token presented for it) belongs to one generation of its home. Records and
 * tokens from before generations existed carry none and match only a home that has none.
 */
function sameGeneration(grant: GrantRecord, home: HomeRecord | null, claims?: AccessClaims): boolean {
  if (!home) return false;
  const generation = grant.generation ?? '';
  return home.generation === generation && (claims === undefined || (claims.gen ?? '') === generation);
}
