import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Config } from '../config.ts';
import { randomId, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { GrantService, Principal } from '../grants/service.ts';
import type { Logger } from '../logger.ts';
import type { RequestOrigin } from '../ports.ts';
import type { KeyValueStore, PubSub } from '../store/types.ts';
import type { TokenResponse } from '../tokens/service.ts';
import {
  type Approver,
  attachResult,
  decide,
  type DecideOutcome,
  markScanned,
  type QrSession,
  type QrStatus,
  reopen,
  type ScanOutcome,
} from './rules.ts';

export interface QrDeps {
  config: Pick<Config, 'qrSessionTtlMs'>;
  store: KeyValueStore & PubSub;
  clock: Clock;
  logger: Logger;
  grants: GrantService;
}

export interface QrCreated {
  sessionId: string;
  expiresAt: string;
  approveUrl: string;
  qrSvgUrl: string;
}

export interface QrSessionView {
  sessionId: string;
  status: QrStatus;
  requestedFrom: RequestOrigin;
  clientName?: string;
  createdAt: string;
  expiresAt: string;
}

/** 128 bits: the id is the only thing guarding the stream that will carry the tokens. */
const SESSION_ID_BYTES = 16;
const DEFAULT_CLIENT_NAME = 'Browser (QR login)';

const keyOf = (id: string) => `qr:session:${id}`;
/** Every session record starts with this (a removed home's approved sessions are forgotten). */
export const qrSessionPrefix = keyOf('');
/** One pub/sub channel per session: a notice means "re-read the record", never carries tokens. */
export const channelOf = (id: string) => `qr:session:${id}`;
/** The id is a secret, so logs get a short fingerprint that still correlates lines. */
export const sessionRef = (id: string) => sha256Hex(id).slice(0, 10);

const approverOf = ({ grant }: Principal): Approver => ({ grantId: grant.id, serial: grant.serial, clientName: grant.clientName });

/**
 * QR login: a new browser opens a session, a paired phone approves it, and the browser gets
 * tokens for a new grant in the phone's home. Every transition is one atomic store update;
 * streams learn of changes through the store's pub/sub and read the record for the facts.
 */
export class QrService {
  constructor(private readonly deps: QrDeps) {}

  /** `urls` builds the approve and SVG links from the new id (the transport knows the base URL). */
  async create(input: {
    origin: RequestOrigin;
    clientName?: string | undefined;
    urls: (id: string) => { approveUrl: string; qrSvgUrl: string };
  }): Promise<QrCreated> {
    const { store, clock, config, logger } = this.deps;
    const id = randomId(SESSION_ID_BYTES);
    const now = clock.now();
    const urls = input.urls(id);
    const session: QrSession = {
      id,
      status: 'pending',
      createdAt: now,
      expiresAt: now + config.qrSessionTtlMs,
      requestedFrom: input.origin,
      ...(input.clientName ? { clientName: input.clientName } : {}),
      approveUrl: urls.approveUrl,
    };
    // 128 random bits never collide in practice; setIfAbsent makes that a checked fact.
    if (!(await store.setIfAbsent(keyOf(id), session, session.expiresAt))) throw new AppError('internal_error');
    logger.info({ session: sessionRef(id), ip: input.origin.ip }, 'qr session created');
    return { sessionId: id, expiresAt: isoAt(session.expiresAt), ...urls };
  }

  /** The live session, or null when unknown or past its expiry by the injected clock. */
  async read(id: string): Promise<QrSession | null> {
    const session = await this.deps.store.get<QrSession>(keyOf(id));
    return session && session.expiresAt > this.deps.clock.now() ? session : null;
  }

  /** The phone looks at the session before deciding; the first look marks it scanned. */
  async inspect(id: string, principal: Principal): Promise<QrSessionView> {
    const { store, clock } = this.deps;
    const outcome = await store.update<QrSession, ScanOutcome>(keyOf(id), (current) =>
      markScanned(current, approverOf(principal), clock.now()),
    );
    if (outcome.kind === 'none') throw new AppError('session_not_found');
    if (outcome.changed) await this.notify(id, 'scanned');
    return viewOf(outcome.session);
  }

  async approve(id: string, principal: Principal, clientName?: string): Promise<void> {
    const { store, clock, grants, logger } = this.deps;
    const session = await this.decide(id, 'approved', principal);
    const serial = principal.grant.serial;
    let tokens: TokenResponse;
    try {
      // The new grant is the browser's: its name and IP, in the approver's home.
      tokens = await grants.create(serial, clientName ?? session.clientName ?? DEFAULT_CLIENT_NAME, 'qr', session.requestedFrom.ip);
    } catch (err) {
      await store.update<QrSession, void>(keyOf(id), (current) => reopen(current, session.previous, clock.now()));
      throw err;
    }
    const stored = await store.update<QrSession, boolean>(keyOf(id), (current) => attachResult(current, tokens, clock.now()));
    if (!stored) {
      // Expired while the grant was being made: nobody can collect these tokens, so the grant goes.
      await grants.revoke(serial, tokens.grantId).catch(() => undefined);
      throw new AppError('session_not_found');
    }
    logger.info({ session: sessionRef(id), serial, approver: principal.grant.id, grantId: tokens.grantId }, 'qr session approved');
    await this.notify(id, 'approved');
  }

  async deny(id: string, principal: Principal): Promise<void> {
    await this.decide(id, 'denied', principal);
    this.deps.logger.info({ session: sessionRef(id), approver: principal.grant.id }, 'qr session denied');
    await this.notify(id, 'denied');
  }

  private async decide(id: string, decision: 'approved' | 'denied', principal: Principal) {
    const { store, clock } = this.deps;
    const outcome = await store.update<QrSession, DecideOutcome>(keyOf(id), (current) =>
      decide(current, decision, approverOf(principal), clock.now()),
    );
    if (outcome.kind === 'none') throw new AppError('session_not_found');
    if (outcome.kind === 'completed') throw new AppError('session_completed');
    return { ...outcome.session, previous: outcome.previous };
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

function viewOf(s: QrSession): QrSessionView {
  return {
    sessionId: s.id,
    status: s.status,
    requestedFrom: { ip: s.requestedFrom.ip, userAgent: s.requestedFrom.userAgent },
    ...(s.clientName ? { clientName: s.clientName } : {}),
    createdAt: isoAt(s.createdAt),
    expiresAt: isoAt(s.expiresAt),
  };
}
