import type { RequestOrigin } from '../ports.ts';
import type { UpdateOutcome } from '../store/types.ts';
import type { TokenResponse } from '../tokens/service.ts';

/** Ids are base64url; anything else is an id nobody has. */
export const sessionIdPattern = /^[A-Za-z0-9_-]{16,128}$/;

export type QrStatus = 'pending' | 'scanned' | 'approved' | 'denied';

/** The paired phone that looked at (and decides on) a session. */
export interface Approver {
  grantId: string;
  serial: string;
  clientName: string;
}

/** One QR session as kept in the Store under its id, until its absolute expiry. */
export interface QrSession {
  id: string;
  status: QrStatus;
  createdAt: number;
  expiresAt: number;
  requestedFrom: RequestOrigin;
  /** Name the new browser asked for; the approver may override it. */
  clientName?: string;
  /** Kept so the SVG always encodes what the create response promised. */
  approveUrl: string;
  scannedBy?: Approver;
  /**
   * The new grant's tokens, set once the grant exists. Kept on the record (not only published)
   * so a stream opened later, reconnecting, or on another instance still gets COMPLETE.
   */
  result?: TokenResponse;
}

export type ScanOutcome = { kind: 'none' } | { kind: 'ok'; session: QrSession; changed: boolean };
export type DecideOutcome = { kind: 'none' } | { kind: 'completed' } | { kind: 'ok'; session: QrSession; previous: QrSession };

const isLive = (s: QrSession | null, now: number): s is QrSession => s !== null && s.expiresAt > now;
const isDecided = (s: QrSession) => s.status === 'approved' || s.status === 'denied';

/** The first phone to open the session marks it scanned; later looks change nothing. */
export function markScanned(current: QrSession | null, approver: Approver, now: number): UpdateOutcome<QrSession, ScanOutcome> {
  if (!isLive(current, now)) return { result: { kind: 'none' } };
  if (current.status !== 'pending') return { result: { kind: 'ok', session: current, changed: false } };
  const next: QrSession = { ...current, status: 'scanned', scannedBy: approver };
  return { next, result: { kind: 'ok', session: next, changed: true } };
}

/** Approve or deny, once: whoever decides second gets `completed`. */
export function decide(
  current: QrSession | null,
  decision: 'approved' | 'denied',
  approver: Approver,
  now: number,
): UpdateOutcome<QrSession, DecideOutcome> {
  if (!isLive(current, now)) return { result: { kind: 'none' } };
  if (isDecided(current)) return { result: { kind: 'completed' } };
  const next: QrSession = { ...current, status: decision, scannedBy: current.scannedBy ?? approver };
  return { next, result: { kind: 'ok', session: next, previous: current } };
}

/** Stores the tokens on an approved session; false when the session vanished meanwhile (expired). */
export function attachResult(current: QrSession | null, result: TokenResponse, now: number): UpdateOutcome<QrSession, boolean> {
  if (!isLive(current, now) || current.status !== 'approved' || current.result) return { result: false };
  return { next: { ...current, result }, result: true };
}

/** Undoes an approval whose grant could not be created, so the phone may try again. */
export function reopen(current: QrSession | null, previous: QrSession, now: number): UpdateOutcome<QrSession, void> {
  if (!isLive(current, now) || current.status !== 'approved' || current.result) return { result: undefined };
  return { next: previous, result: undefined };
}

/**
 * Stream progress, used as SSE event ids: a reconnecting client's Last-Event-ID says how far it
 * got, so it is sent only what it has not seen. Pings carry no id and never move it.
 */
export const level = { none: 0, connected: 1, scanned: 2, final: 3 } as const;

export type QrEvent =
  | { name: 'SCANNED'; data: { clientName: string }; level: 2 }
  | { name: 'COMPLETE'; data: TokenResponse; level: 3 }
  | { name: 'FAIL'; data: { reason: 'expired' | 'denied' }; level: 3 };

/** What a stream that has reached `seen` must still send for this state of the session (null = gone). */
export function eventsToSend(session: QrSession | null, seen: number, now: number): QrEvent[] {
  if (seen >= level.final) return [];
  const events: QrEvent[] = [];
  if (session?.scannedBy && seen < level.scanned) {
    events.push({ name: 'SCANNED', data: { clientName: session.scannedBy.clientName }, level: 2 });
  }
  if (session?.status === 'approved' && session.result) events.push({ name: 'COMPLETE', data: session.result, level: 3 });
  else if (session?.status === 'denied') events.push({ name: 'FAIL', data: { reason: 'denied' }, level: 3 });
  // An approval still creating its grant wins over the clock only once its tokens are stored.
  else if (!isLive(session, now)) return [{ name: 'FAIL', data: { reason: 'expired' }, level: 3 }];
  return events;
}
