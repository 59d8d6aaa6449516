import { describe, expect, it } from 'vitest';
import { attachResult, decide, eventsToSend, level, markScanned, type QrSession } from '../src/qr/rules.ts';
import type { TokenResponse } from '../src/tokens/service.ts';

const now = 1_000_000;
const session: QrSession = {
  id: 'id',
  status: 'pending',
  createdAt: now,
  expiresAt: now + 185_000,
  requestedFrom: { ip: '10.0.0.1', userAgent: 'ua' },
  approveUrl: 'http://x/?approve=id',
};
const phone = { grantId: 'g1', serial: 'home-1', clientName: 'Alice phone' };
const tokens = { success: true, token: 't', grantId: 'g2', serial: 'home-1' } as TokenResponse;

describe('QR session rules', () => {
  it('marks a session scanned once, by the first phone', () => {
    const first = markScanned(session, phone, now);
    expect(first.result).toMatchObject({ kind: 'ok', changed: true });
    const again = markScanned(first.next!, { ...phone, clientName: 'Bob' }, now);
    expect(again.next).toBeUndefined();
    expect(again.result).toMatchObject({ kind: 'ok', changed: false, session: { scannedBy: phone } });
  });

  it('decides once; unknown and expired sessions are not found', () => {
    const approved = decide(session, 'approved', phone, now);
    expect(approved.next).toMatchObject({ status: 'approved', scannedBy: phone });
    expect(decide(approved.next!, 'denied', phone, now).result).toEqual({ kind: 'completed' });
    expect(decide(null, 'approved', phone, now).result).toEqual({ kind: 'none' });
    expect(decide(session, 'approved', phone, session.expiresAt).result).toEqual({ kind: 'none' });
  });

  it('attaches tokens only to a live approved session without a result', () => {
    const approved = decide(session, 'approved', phone, now).next!;
    expect(attachResult(approved, tokens, now)).toMatchObject({ result: true, next: { result: tokens } });
    expect(attachResult(session, tokens, now).result).toBe(false);
    expect(attachResult(approved, tokens, approved.expiresAt).result).toBe(false);
  });

  it('tells a stream only what it has not seen', () => {
    const scanned = markScanned(session, phone, now).next!;
    const done = { ...decide(scanned, 'approved', phone, now).next!, result: tokens };
    const names = (s: QrSession | null, seen: number, at = now) => eventsToSend(s, seen, at).map((e) => e.name);
    expect(names(session, level.connected)).toEqual([]);
    expect(names(scanned, level.connected)).toEqual(['SCANNED']);
    expect(names(scanned, level.scanned)).toEqual([]);
    expect(names(done, level.connected)).toEqual(['SCANNED', 'COMPLETE']);
    expect(names(done, level.scanned)).toEqual(['COMPLETE']);
    expect(names(done, level.final)).toEqual([]);
    // Approved but the grant not made yet: wait, unless time is up.
    expect(names({ ...done, result: undefined }, level.scanned)).toEqual([]);
    expect(names({ ...done, result: undefined }, level.scanned, done.expiresAt)).toEqual(['FAIL']);
    expect(eventsToSend(null, level.connected, now)).toEqual([{ name: 'FAIL', data: { reason: 'expired' }, level: 3 }]);
    expect(eventsToSend({ ...scanned, status: 'denied' }, level.scanned, now)).toEqual([{ name: 'FAIL', data: { reason: 'denied' }, level: 3 }]);
  });
});
