import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { randomId, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { GuestScope } from '../guests/terms.ts';
import type { GrantRecord, RefreshTokenRecord, Store } from '../store/types.ts';

export interface AccessClaims {
  sub: string;
  api_serial: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  /** The home's generation at pairing; a removed and re-added home has another, so old tokens die. */
  gen?: string;
}

export interface TokenResponse {
  success: true;
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  grantId: string;
  serial: string;
  /** Guest grants only: what they may do and when they end. */
  scope?: GuestScope;
  notAfter?: string;
}

/** What minting needs of a grant: a guest grant's tokens never outlive its notAfter. */
type TokenGrant = Pick<GrantRecord, 'id' | 'serial' | 'generation' | 'guest'>;

type TokenConfig = Pick<Config, 'jwtIssuer' | 'jwtAudience' | 'accessTokenTtlMs' | 'refreshTokenTtlMs'>;

/**
 * Access JWTs (HS256 pinned, issuer and audience pinned) and opaque, rotating refresh tokens.
 * The key object is built once: jsonwebtoken with a string secret costs ~50× more per call.
 */
export class TokenService {
  private readonly key: KeyObject;

  constructor(
    private readonly deps: { config: TokenConfig; store: Store; clock: Clock },
    jwtSecret: string,
  ) {
    this.key = createSecretKey(Buffer.from(jwtSecret, 'utf8'));
  }

  signAccess(grant: TokenGrant): { token: string; expiresAt: number } {
    const { config, clock } = this.deps;
    const iat = Math.floor(clock.now() / 1000);
    const ttlEnd = iat + Math.floor(config.accessTokenTtlMs / 1000);
    const exp = grant.guest ? Math.min(ttlEnd, Math.floor(Date.parse(grant.guest.notAfter) / 1000)) : ttlEnd;
    const token = jwt.sign({ api_serial: grant.serial, gen: grant.generation ?? '', iat, exp }, this.key, {
      algorithm: 'HS256',
      subject: grant.id,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      jwtid: randomId(12),
    });
    return { token, expiresAt: exp * 1000 };
  }

  /** Signature, algorithm, issuer, audience and expiry; revocation is checked by the caller. */
  verifyAccess(token: string): AccessClaims {
    const { config, clock } = this.deps;
    let claims: unknown;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        clockTimestamp: Math.floor(clock.now() / 1000),
      });
    } catch {
      throw new AppError('invalid_token');
    }
    if (!isAccessClaims(claims)) throw new AppError('invalid_token');
    return claims;
  }

  /** A new access token and a new refresh token for the grant, stored. */
  async issuePair(grant: TokenGrant): Promise<TokenResponse> {
    const { response, refresh } = this.mintPair(grant);
    await this.deps.store.putRefreshToken(refresh);
    return response;
  }

  /** A token pair and the refresh token's record, not yet stored (a new grant stores both in one write). */
  mintPair(grant: TokenGrant): { response: TokenResponse; refresh: RefreshTokenRecord } {
    const { config, clock } = this.deps;
    const now = clock.now();
    const access = this.signAccess(grant);
    const refreshToken = randomId(32);
    const refreshEnd = now + config.refreshTokenTtlMs;
    return {
      refresh: {
        hash: sha256Hex(refreshToken),
        grantId: grant.id,
        expiresAt: grant.guest ? Math.min(refreshEnd, Date.parse(grant.guest.notAfter)) : refreshEnd,
        usedAt: null,
      },
      response: {
        success: true,
        token: access.token,
        tokenType: 'Bearer',
        expiresIn: Math.max(0, access.expiresAt / 1000 - Math.floor(now / 1000)),
        refreshToken,
        grantId: grant.id,
        serial: grant.serial,
        ...(grant.guest ? { scope: grant.guest.scope, notAfter: grant.guest.notAfter } : {}),
      },
    };
  }

  /**
   * Spends a refresh token. A token presented twice means it leaked (or the client raced itself):
   * the whole grant is revoked, as OAuth's refresh-token rotation advises.
   */
  async spendRefresh(refreshToken: string): Promise<{ grantId: string } | { reusedBy: string }> {
    const { store, clock } = this.deps;
    const outcome = await store.consumeRefreshToken(sha256Hex(refreshToken), clock.now());
    if (outcome.status === 'unknown') throw new AppError('invalid_token');
    if (outcome.status === 'reused') return { reusedBy: outcome.record.grantId };
    if (outcome.record.expiresAt <= clock.now()) throw new AppError('invalid_token', 'The refresh token has expired.');
    return { grantId: outcome.record.grantId };
  }
}

function isAccessClaims(value: unknown): value is AccessClaims {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sub === 'string' &&
    typeof c.api_serial === 'string' &&
    typeof c.jti === 'string' &&
    typeof c.exp === 'number' &&
    typeof c.iat === 'number' &&
    (c.gen === undefined || typeof c.gen === 'string')
  );
}
