import type { AuditService } from '../audit/service.ts';
import { grantActor, systemOrigin } from '../audit/types.ts';
import { assertFullGrant } from '../grants/full.ts';
import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { randomId, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { GrantService, Principal } from '../grants/service.ts';
import type { Logger } from '../logger.ts';
import type { RequestOrigin } from '../ports.ts';
import type { Store } from '../store/types.ts';
import type { TokenResponse } from '../tokens/service.ts';
import {
  type Approver,
  type ClaimOutcome,
  claimDelivery,
  decide,
  type DecideOutcome,
  holdLease,
  leaseCount,
  markScanned,
  type QrSession,
  type QrStatus,
  releaseDelivery,
  releaseLease,
  rotateScan,
  type ScanOutcome,
  type StreamLeases,
  voidApproval,
} from './rules.ts';
import { checkedPublicKey, fingerprintOf, type PublicJwk, seal } from './seal.ts';
import { channels, keys } from '../store/keys.ts';

export interface QrDeps {
  config: Pick<Config, 'qrSessionTtlMs' | 'qrScanRotationMs'>;
  store: Store;
  clock: Clock;
  logger: Logger;
  grants: GrantService;
  audit: AuditService;
}

export interface QrCreated {
  sessionId: string;
  scanId: string;
  expiresAt: string;
  approveUrl: string;
  qrSvgUrl: string;
  keyFingerprint?: string;
}

export interface QrSessionView {
  scanId: string;
  status: QrStatus;
  requestedFrom: RequestOrigin;
  clientName?: string;
  createdAt: string;
  expiresAt: string;
  keyFingerprint?: string;
}

/** What a stream's delivery attempt came to; only `complete` carries anything worth sending. */
export type DeliverOutcome =
  | { kind: 'complete'; data: TokenResponse | { sealed: string } }
  | { kind: 'gone' }
  | Exclude<ClaimOutcome, { kind: 'claimed' }>;

/** 128 bits each: the session id guards the result, the scan id guards the decision. */
const ID_BYTES = 16;
const DEFAULT_CLIENT_NAME = 'Browser (QR login)';

const keyOf = keys.qrSession;
/**
 * Every session record starts with this (a removed home's scanned sessions are forgotten where the
 * store shares its ephemeral space; on SQLite they live in the server's memory, and delivery checks
 * that the approver's home and grant still exist before it mints anything).
 */
export const qrSessionPrefix = keyOf('');
/** Scan id → session id. A separate key, so no lookup by one kind of id can ever find the other. */
const scanKeyOf = keys.qrScan;
const streamsKeyOf = keys.qrStreams;
/** One pub/sub channel per session: a notice means "re-read the record", never carries tokens. */
export const channelOf = channels.qrSession;
/** Both ids are secrets, so logs get a short fingerprint that still correlates lines. */
export const sessionRef = (id: string) => sha256Hex(id).slice(0, 10);

const approverOf = ({ grant }: Principal): Approver => ({ grantId: grant.id, serial: grant.serial, clientName: grant.clientName });

/**
 * May this grant approve a QR login? Only a full grant: a guest approving would mint a full grant
 * for whoever showed the QR, escaping its own scope and end (403 `insufficient_scope`).
 */
export function assertMayApproveQr(principal: Principal): void {
  assertFullGrant(principal);
}

/**
 * QR login: a new browser opens a session, a paired phone approves it by its scan id, and a
 * stream of the browser collects tokens for a new grant in the phone's home. Every transition
 * is one atomic update in the store's ephemeral space (shared by instances, never on disk);
 * streams learn of changes through pub/sub and read the record for the facts.
 */
export class QrService {
  constructor(private readonly deps: QrDeps) {}

  private get kv() {
    return this.deps.store.ephemeral;
  }

  /** `baseUrl` is the origin of the links (the transport decides it: PUBLIC_URL or an allowed Host). */
  async create(input: { origin: RequestOrigin; clientName?: string | undefined; publicKey?: unknown; baseUrl: string }): Promise<QrCreated> {
    const { clock, config, logger } = this.deps;
    const publicKey: PublicJwk | undefined = input.publicKey === undefined ? undefined : checkedPublicKey(input.publicKey);
    const keyFingerprint = publicKey ? await fingerprintOf(publicKey) : undefined;
    const id = randomId(ID_BYTES);
    const scanId = randomId(ID_BYTES);
    const now = clock.now();
    const urls = linksOf(input.baseUrl, id, scanId);
    const session: QrSession = {
      id,
      scanId,
      status: 'pending',
      createdAt: now,
      expiresAt: now + config.qrSessionTtlMs,
      requestedFrom: input.origin,
      ...(input.clientName ? { clientName: input.clientName } : {}),
      approveUrl: urls.approveUrl,
      baseUrl: input.baseUrl,
      scanIssuedAt: now,
      ...(publicKey && keyFingerprint ? { publicKey, keyFingerprint } : {}),
    };
    // 128 random bits never collide in practice; setIfAbsent makes that a checked fact.
    if (!(await this.kv.setIfAbsent(scanKeyOf(scanId), { sessionId: id }, session.expiresAt))) throw new AppError('internal_error');
    if (!(await this.kv.setIfAbsent(keyOf(id), session, session.expiresAt))) throw new AppError('internal_error');
    logger.info({ session: sessionRef(id), sealed: Boolean(publicKey), ip: input.origin.ip }, 'qr session created');
    return { sessionId: id, scanId, expiresAt: isoAt(session.expiresAt), ...urls, ...(keyFingerprint ? { keyFingerprint } : {}) };
  }

  /** The live session by its session id, or null when unknown or past its expiry. */
  async read(id: string): Promise<QrSession | null> {
    const session = await this.kv.get<QrSession>(keyOf(id));
    return session && session.expiresAt > this.deps.clock.now() ? session : null;
  }

  /** The phone looks at the session before deciding; the first look marks it scanned. */
  async inspect(scanId: string, principal: Principal): Promise<QrSessionView> {
    const id = await this.sessionIdOf(scanId);
    const outcome = await this.kv.update<QrSession, ScanOutcome>(keyOf(id), (current) =>
      markScanned(current, scanId, approverOf(principal), this.deps.clock.now()),
    );
    if (outcome.kind === 'none') throw new AppError('session_not_found');
    if (outcome.changed) await this.notify(id, 'scanned');
    return viewOf(outcome.session);
  }

  /** Records the decision only; the tokens are made when a stream of the browser collects them. */
  async approve(scanId: string, principal: Principal, clientName?: string): Promise<void> {
    assertMayApproveQr(principal);
    const id = await this.sessionIdOf(scanId);
    await this.decide(id, scanId, 'approved', principal, clientName);
    this.deps.logger.info({ session: sessionRef(id), serial: principal.grant.serial, approver: principal.grant.id }, 'qr session approved');
    this.audited(principal, 'qr.approved');
    await this.notify(id, 'approved');
  }

  async deny(scanId: string, principal: Principal): Promise<void> {
    const id = await this.sessionIdOf(scanId);
    await this.decide(id, scanId, 'denied', principal);
    this.deps.logger.info({ session: sessionRef(id), approver: principal.grant.id }, 'qr session denied');
    this.audited(principal, 'qr.denied');
    await this.notify(id, 'denied');
  }

  /**
   * Deliver once: claims the approved session atomically (exactly one caller on any instance
   * wins), then mints the new grant's tokens for that caller alone, sealed when the browser gave
   * a key. `listening` says whether the caller's stream is still there to write them to.
   */
  async deliver(id: string, listening: () => boolean): Promise<DeliverOutcome> {
    const { store, clock, grants, logger } = this.deps;
    const claim = await this.kv.update<QrSession, ClaimOutcome>(keyOf(id), (current) => claimDelivery(current, clock.now()));
    if (claim.kind !== 'claimed') return claim;
    const { session } = claim;
    const { decision } = session;
    const giveBack = () => this.kv.update<QrSession, void>(keyOf(id), (current) => releaseDelivery(current, clock.now()));
    if (!listening()) {
      await giveBack();
      return { kind: 'gone' };
    }
    // The approval stands only while its approver's grant and home do (revoked phone, removed home).
    const [approver, home] = await Promise.all([store.getGrant(decision.approverGrantId), store.getHome(decision.serial)]);
    if (!approver || approver.revokedAt !== null || !home) {
      await this.kv.update<QrSession, void>(keyOf(id), (current) => voidApproval(current, clock.now()));
      logger.info({ session: sessionRef(id), approver: decision.approverGrantId }, 'qr approval void: approver gone');
      await this.notify(id, 'denied');
      return { kind: 'denied' };
    }
    let tokens: TokenResponse;
    try {
      // The new grant is the browser's: its name and IP, in the approver's home.
      tokens = await grants.create(decision.serial, decision.clientName, 'qr', session.requestedFrom.ip);
    } catch (err) {
      await giveBack().catch(() => undefined);
      throw err;
    }
    if (!listening()) {
      // Nobody is left to receive them: the grant goes and another stream may collect a fresh one.
      await grants.revoke(decision.serial, tokens.grantId, systemOrigin).catch(() => undefined);
      await giveBack();
      return { kind: 'gone' };
    }
    const data = session.publicKey ? { sealed: await seal(session.publicKey, tokens) } : tokens;
    logger.info({ session: sessionRef(id), serial: decision.serial, grantId: tokens.grantId, sealed: Boolean(session.publicKey) }, 'qr session delivered');
    await this.notify(id, 'completed');
    return { kind: 'complete', data };
  }

  /**
   * Gives a pending session a new scan id once its current one is `qrScanRotationMs` old; the old
   * one stops working at once. True when this call rotated it (concurrent callers rotate once).
   */
  async rotate(id: string, expected: string): Promise<boolean> {
    const { clock, config } = this.deps;
    const session = await this.read(id);
    if (session?.status !== 'pending' || session.scanId !== expected) return false;
    if (clock.now() < session.scanIssuedAt + config.qrScanRotationMs) return false;
    const scanId = randomId(ID_BYTES);
    if (!(await this.kv.setIfAbsent(scanKeyOf(scanId), { sessionId: id }, session.expiresAt))) return false;
    const { approveUrl } = linksOf(session.baseUrl, id, scanId);
    const rotated = await this.kv.update<QrSession, boolean>(keyOf(id), (current) =>
      rotateScan(current, expected, { scanId, approveUrl }, config.qrScanRotationMs, clock.now()),
    );
    await this.kv.del(scanKeyOf(rotated ? expected : scanId));
    if (rotated) await this.notify(id, 'pending');
    return rotated;
  }

  /** Counts a stream against the session's cap (across instances); false when the cap is reached. */
  holdStream(id: string, leaseId: string, until: number, max: number): Promise<boolean> {
    return this.kv.update<StreamLeases, boolean>(streamsKeyOf(id), (current) =>
      holdLease(current, leaseId, until, max, this.deps.clock.now(), until),
    );
  }

  /** Open streams of the session across instances, counted without taking a slot (a HEAD asks this). */
  async openStreams(id: string): Promise<number> {
    return leaseCount(await this.kv.get<StreamLeases>(streamsKeyOf(id)), this.deps.clock.now());
  }

  releaseStream(id: string, leaseId: string): Promise<void> {
    return this.kv.update<StreamLeases, void>(streamsKeyOf(id), (current) => releaseLease(current, leaseId, this.deps.clock.now()));
  }

  /** A scan id → its live session's id; a session id (or anything else) is not found. */
  private async sessionIdOf(scanId: string): Promise<string> {
    const entry = await this.kv.get<{ sessionId: string }>(scanKeyOf(scanId));
    const session = entry ? await this.read(entry.sessionId) : null;
    if (!session || session.scanId !== scanId) throw new AppError('session_not_found');
    return session.id;
  }

  private async decide(id: string, scanId: string, decision: 'approved' | 'denied', principal: Principal, clientName?: string) {
    const outcome = await this.kv.update<QrSession, DecideOutcome>(keyOf(id), (current) =>
      decide(current, scanId, decision, approverOf(principal), this.deps.clock.now(), clientName ?? current?.clientName ?? DEFAULT_CLIENT_NAME),
    );
    if (outcome.kind === 'none') throw new AppError('session_not_found');
    if (outcome.kind === 'completed') throw new AppError('session_completed');
    return outcome.session;
  }

  /** The session's ids are credentials of a kind: the audit entry names only who decided. */
  private audited(principal: Principal, event: string): void {
    this.deps.audit.record(principal.grant.serial, { actor: grantActor(principal.grant), channel: 'rest', event, outcome: 'ok' });
  }

  private async notify(id: string, status: QrStatus): Promise<void> {
    try {
      await this.deps.store.publish(channelOf(id), status);
    } catch (err) {
      // The record already holds the outcome; streams also re-read it on their next tick.
      this.deps.logger.warn({ err, session: sessionRef(id) }, 'could not publish qr session change');
    }
  }
}

/** The links of a session: the approve link carries only the scan id; the SVG is fetched with the session id. */
export function linksOf(baseUrl: string, sessionId: string, scanId: string): { approveUrl: string; qrSvgUrl: string } {
  return {
    // The dashboard page on the phone reads ?approve= and asks its user to confirm.
    approveUrl: `${baseUrl}/?approve=${encodeURIComponent(scanId)}`,
    qrSvgUrl: `${baseUrl}/api/v1/qr/sessions/${encodeURIComponent(sessionId)}/qr.svg`,
  };
}

function viewOf(s: QrSession): QrSessionView {
  return {
    scanId: s.scanId,
    status: s.status,
    requestedFrom: { ip: s.requestedFrom.ip, userAgent: s.requestedFrom.userAgent },
    ...(s.clientName ? { clientName: s.clientName } : {}),
    createdAt: isoAt(s.createdAt),
    expiresAt: isoAt(s.expiresAt),
    ...(s.keyFingerprint ? { keyFingerprint: s.keyFingerprint } : {}),
  };
}
