import type { RequestOrigin } from '../ports.ts';
import type { UpdateOutcome } from '../store/types.ts';
import type { PublicJwk } from './seal.ts';

/** Ids are base64url; anything else is an id nobody has. */
export const sessionIdPattern = /^[A-Za-z0-9_-]{16,128}$/;

/** `completed`: the result went out on a stream; nothing about it may be handed out again. */
export type QrStatus = 'pending' | 'scanned' | 'approved' | 'denied' | 'completed';

/** The paired phone that looked at (and decides on) a session. */
export interface Approver {
  grantId: string;
  serial: string;
  clientName: string;
}

/** What an approval records: who decided, when, and the name the new grant gets. Never tokens. */
export interface Decision {
  approverGrantId: string;
  serial: string;
  clientName: string;
  at: number;
}

/** One QR session as kept in the Store's ephemeral space under its session id, until its expiry. */
export interface QrSession {
  /** The new browser's secret: opens the stream and the SVG. */
  id: string;
  /** What the QR code and approve link carry: enough to approve or deny, never to read the result. */
  scanId: string;
  status: QrStatus;
  createdAt: number;
  expiresAt: number;
  requestedFrom: RequestOrigin;
  /** Name the new browser asked for; the approver may override it. */
  clientName?: string;
  /** Kept so the SVG always encodes the current scan id's link. */
  approveUrl: string;
  /** Origin of the links, so a rotated scan id gets a link like the first. */
  baseUrl: string;
  /** When the current scan id was issued (it rotates while pending). */
  scanIssuedAt: number;
  /** Public half of the browser's key: COMPLETE is sealed to it. */
  publicKey?: PublicJwk;
  keyFingerprint?: string;
  scannedBy?: Approver;
  decision?: Decision;
  deliveredAt?: number;
}

export type ScanOutcome = { kind: 'none' } | { kind: 'ok'; session: QrSession; changed: boolean };
export type DecideOutcome = { kind: 'none' } | { kind: 'completed' } | { kind: 'ok'; session: QrSession };
/** `claimed`: this caller alone may mint and deliver the result. */
export type ClaimOutcome =
  | { kind: 'none' }
  | { kind: 'not_ready' }
  | { kind: 'completed' }
  | { kind: 'denied' }
  | { kind: 'claimed'; session: QrSession & { decision: Decision } };

const isLive = (s: QrSession | null, now: number): s is QrSession => s !== null && s.expiresAt > now;
const isDecided = (s: QrSession) => s.status !== 'pending' && s.status !== 'scanned';

/** The first phone to open the session marks it scanned; later looks change nothing. */
export function markScanned(current: QrSession | null, scanId: string, approver: Approver, now: number): UpdateOutcome<QrSession, ScanOutcome> {
  // Checked inside the atomic step: a scan id rotated away meanwhile is an id nobody has.
  if (!isLive(current, now) || current.scanId !== scanId) return { result: { kind: 'none' } };
  if (current.status !== 'pending') return { result: { kind: 'ok', session: current, changed: false } };
  const next: QrSession = { ...current, status: 'scanned', scannedBy: approver };
  return { next, result: { kind: 'ok', session: next, changed: true } };
}

/** Approve or deny, once: whoever decides second gets `completed`. An approval stores the decision only. */
export function decide(
  current: QrSession | null,
  scanId: string,
  decision: 'approved' | 'denied',
  approver: Approver,
  now: number,
  clientName: string,
): UpdateOutcome<QrSession, DecideOutcome> {
  if (!isLive(current, now) || current.scanId !== scanId) return { result: { kind: 'none' } };
  if (isDecided(current)) return { result: { kind: 'completed' } };
  const next: QrSession = { ...current, status: decision, scannedBy: current.scannedBy ?? approver };
  if (decision === 'approved') next.decision = { approverGrantId: approver.grantId, serial: approver.serial, clientName, at: now };
  return { next, result: { kind: 'ok', session: next } };
}

/**
 * The "deliver once" step: an approved, live session becomes `completed` in one atomic write,
 * and only the caller whose write that was mints the tokens. Everyone else learns it is done.
 */
export function claimDelivery(current: QrSession | null, now: number): UpdateOutcome<QrSession, ClaimOutcome> {
  if (!isLive(current, now)) return { result: { kind: 'none' } };
  if (current.status === 'completed') return { result: { kind: 'completed' } };
  if (current.status === 'denied') return { result: { kind: 'denied' } };
  if (current.status !== 'approved' || !current.decision) return { result: { kind: 'not_ready' } };
  const next: QrSession = { ...current, status: 'completed', deliveredAt: now };
  return { next, result: { kind: 'claimed', session: { ...current, decision: current.decision } } };
}

/** Gives a claim back (the stream left before the tokens were written, or minting failed). */
export function releaseDelivery(current: QrSession | null, now: number): UpdateOutcome<QrSession, void> {
  if (!isLive(current, now) || current.status !== 'completed') return { result: undefined };
  const { deliveredAt: _dropped, ...rest } = current;
  return { next: { ...rest, status: 'approved' }, result: undefined };
}

/** An approval that can no longer stand (its approver's grant or home is gone) turns into a denial. */
export function voidApproval(current: QrSession | null, now: number): UpdateOutcome<QrSession, void> {
  if (!isLive(current, now) || current.status !== 'completed') return { result: undefined };
  return { next: { ...current, status: 'denied' }, result: undefined };
}

/**
 * Replaces the scan id of a pending session whose id is older than `rotationMs`, so an old
 * photo of the QR is worthless. `expected` makes concurrent rotators (two streams) rotate once.
 */
export function rotateScan(
  current: QrSession | null,
  expected: string,
  next: { scanId: string; approveUrl: string },
  rotationMs: number,
  now: number,
): UpdateOutcome<QrSession, boolean> {
  if (!isLive(current, now) || current.status !== 'pending' || current.scanId !== expected) return { result: false };
  if (now < current.scanIssuedAt + rotationMs) return { result: false };
  return { next: { ...current, ...next, scanIssuedAt: now }, result: true };
}

/**
 * Stream progress, used as SSE event ids: a reconnecting client's Last-Event-ID says how far it
 * got, so it is sent only what it has not seen. Pings carry no id and never move it.
 */
export const level = { none: 0, connected: 1, scanned: 2, final: 3 } as const;

export type QrEvent =
  | { name: 'SCANNED'; data: { clientName: string }; level: 2 }
  | { name: 'FAIL'; data: { reason: 'expired' | 'denied' }; level: 3 };

/**
 * What a stream that has reached `seen` must send for this state of the session (null = gone),
 * and what comes next: wait, try to deliver the result, or end (someone else delivered it).
 */
export function nextStep(
  session: QrSession | null,
  seen: number,
  now: number,
): { events: QrEvent[]; afterwards: 'wait' | 'deliver' | 'end' } {
  if (seen >= level.final) return { events: [], afterwards: 'end' };
  const events: QrEvent[] = [];
  if (session?.scannedBy && seen < level.scanned) {
    events.push({ name: 'SCANNED', data: { clientName: session.scannedBy.clientName }, level: 2 });
  }
  if (session?.status === 'denied') return { events: [...events, { name: 'FAIL', data: { reason: 'denied' }, level: 3 }], afterwards: 'end' };
  if (!isLive(session, now)) return { events: [{ name: 'FAIL', data: { reason: 'expired' }, level: 3 }], afterwards: 'end' };
  if (session.status === 'completed') return { events, afterwards: 'end' };
  return { events, afterwards: session.status === 'approved' ? 'deliver' : 'wait' };
}

/**
 * Why a stream must not open for this state of the session, or undefined when it may: one rule
 * for the GET that opens it and the HEAD that only asks. `delivered`: the client's Last-Event-ID
 * shows it has the outcome already.
 */
export function streamRefusal(session: QrSession | null, seen: number): 'not_found' | 'completed' | 'delivered' | undefined {
  if (!session) return 'not_found';
  // Whatever Last-Event-ID says: the result went out once and is not to be had again.
  if (session.status === 'completed') return 'completed';
  if (seen >= level.final) return 'delivered';
  return undefined;
}

// --- stream leases: at most a few open streams per session, counted across instances ----------

/** Open streams of one session: lease id → lease expiry (epoch ms), renewed while the stream lives. */
export interface StreamLeases {
  leases: Record<string, number>;
}

const liveLeases = (current: StreamLeases | null, now: number): Record<string, number> =>
  Object.fromEntries(Object.entries(current?.leases ?? {}).filter(([, until]) => until > now));

/**
 * Takes or extends a lease. A stream already holding one keeps it; a new one gets it only while
 * fewer than `max` live leases exist. Expired leases (a crashed instance's) do not count.
 */
export function holdLease(
  current: StreamLeases | null,
  leaseId: string,
  until: number,
  max: number,
  now: number,
  keepUntil: number,
): UpdateOutcome<StreamLeases, boolean> {
  const leases = liveLeases(current, now);
  if (!(leaseId in leases) && Object.keys(leases).length >= max) return { result: false };
  return { next: { leases: { ...leases, [leaseId]: until } }, expiresAt: keepUntil, result: true };
}

/** How many open streams hold a live lease: read without taking one. */
export const leaseCount = (current: StreamLeases | null, now: number): number => Object.keys(liveLeases(current, now)).length;

export function releaseLease(current: StreamLeases | null, leaseId: string, now: number): UpdateOutcome<StreamLeases, void> {
  if (!current || !(leaseId in current.leases)) return { result: undefined };
  const leases = liveLeases(current, now);
  delete leases[leaseId];
  return { next: Object.keys(leases).length === 0 ? null : { leases }, result: undefined };
}
