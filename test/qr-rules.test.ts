import { describe, expect, it } from 'vitest';
import { claimDelivery, rotateScan, decide, holdLease, level, markScanned, nextStep, type QrSession, releaseDelivery, releaseLease } from '../src/qr/rules.ts';

const now = 1_000_000;
const session: QrSession = {
  id: 'id',
  scanId: 'scan',
  status: 'pending',
  createdAt: now,
  expiresAt: now + 185_000,
  requestedFrom: { ip: '10.0.0.1', userAgent: 'ua' },
  approveUrl: 'http://x/?approve=scan',
  baseUrl: 'http://x',
  scanIssuedAt: now,
};
const phone = { grantId: 'g1', serial: 'home-1', clientName: 'Alice phone' };

describe('QR session rules', () => {
  it('marks a session scanned once, by the first phone', () => {
    const first = markScanned(session, 'scan', phone, now);
    expect(first.result).toMatchObject({ kind: 'ok', changed: true });
    const again = markScanned(first.next!, 'scan', { ...phone, clientName: 'Bob' }, now);
    expect(again.next).toBeUndefined();
    expect(again.result).toMatchObject({ kind: 'ok', changed: false, session: { scannedBy: phone } });
  });

  it('decides once and records only the decision; unknown and expired sessions are not found', () => {
    const approved = decide(session, 'scan', 'approved', phone, now, 'Laptop');
    expect(approved.next).toMatchObject({ status: 'approved', scannedBy: phone, decision: { approverGrantId: 'g1', serial: 'home-1', clientName: 'Laptop', at: now } });
    expect(JSON.stringify(approved.next)).not.toMatch(/token/i);
    expect(decide(approved.next!, 'scan', 'denied', phone, now, 'x').result).toEqual({ kind: 'completed' });
    expect(decide(null, 'scan', 'approved', phone, now, 'x').result).toEqual({ kind: 'none' });
    expect(decide(session, 'scan', 'approved', phone, session.expiresAt, 'x').result).toEqual({ kind: 'none' });
  });

  it('lets exactly one claim deliver; a released claim can be taken again', () => {
    expect(claimDelivery(session, now).result).toEqual({ kind: 'not_ready' });
    const approved = decide(session, 'scan', 'approved', phone, now, 'Laptop').next!;
    const first = claimDelivery(approved, now);
    expect(first.result.kind).toBe('claimed');
    expect(first.next).toMatchObject({ status: 'completed', deliveredAt: now });
    expect(claimDelivery(first.next!, now).result).toEqual({ kind: 'completed' });
    expect(decide(first.next!, 'scan', 'denied', phone, now, 'x').result).toEqual({ kind: 'completed' });
    const released = releaseDelivery(first.next!, now).next!;
    expect(released.status).toBe('approved');
    expect(claimDelivery(released, now).result.kind).toBe('claimed');
    expect(claimDelivery(approved, approved.expiresAt).result).toEqual({ kind: 'none' });
  });

  it('tells a stream what to send and whether to deliver', () => {
    const scanned = markScanned(session, 'scan', phone, now).next!;
    const approved = decide(scanned, 'scan', 'approved', phone, now, 'x').next!;
    const done = claimDelivery(approved, now).next!;
    const step = (s: QrSession | null, seen: number, at = now) => {
      const { events, afterwards } = nextStep(s, seen, at);
      return [...events.map((e) => e.name), afterwards];
    };
    expect(step(session, level.connected)).toEqual(['wait']);
    expect(step(scanned, level.connected)).toEqual(['SCANNED', 'wait']);
    expect(step(approved, level.connected)).toEqual(['SCANNED', 'deliver']);
    expect(step(approved, level.scanned)).toEqual(['deliver']);
    expect(step(done, level.scanned)).toEqual(['end']);
    expect(step(approved, level.scanned, approved.expiresAt)).toEqual(['FAIL', 'end']);
    expect(step(null, level.connected)).toEqual(['FAIL', 'end']);
    expect(nextStep({ ...scanned, status: 'denied' }, level.scanned, now).events).toEqual([{ name: 'FAIL', data: { reason: 'denied' }, level: 3 }]);
  });

  it('holds at most max live stream leases; expired ones do not count', () => {
    const a = holdLease(null, 'a', now + 30_000, 2, now, now + 30_000).next!;
    const b = holdLease(a, 'b', now + 30_000, 2, now, now + 30_000).next!;
    expect(holdLease(b, 'c', now + 30_000, 2, now, now + 30_000).result).toBe(false);
    expect(holdLease(b, 'a', now + 60_000, 2, now, now + 60_000).result).toBe(true);
    expect(holdLease(b, 'c', now + 90_000, 2, now + 30_000, now + 90_000).result).toBe(true);
    const onlyB = releaseLease(b, 'a', now).next!;
    expect(Object.keys(onlyB.leases)).toEqual(['b']);
    expect(releaseLease(onlyB, 'b', now).next).toBeNull();
  });

  it('rotates a pending scan id once per period; the old one then finds nothing', () => {
    const fresh = { scanId: 'scan2', approveUrl: 'http://x/?approve=scan2' };
    expect(rotateScan(session, 'scan', fresh, 30_000, now + 29_999).result).toBe(false);
    const rotated = rotateScan(session, 'scan', fresh, 30_000, now + 30_000);
    expect(rotated.next).toMatchObject({ scanId: 'scan2', approveUrl: fresh.approveUrl, scanIssuedAt: now + 30_000 });
    // A second rotator that expected the old id changes nothing.
    expect(rotateScan(rotated.next!, 'scan', { scanId: 'scan3', approveUrl: '' }, 30_000, now + 60_000).result).toBe(false);
    expect(markScanned(rotated.next!, 'scan', phone, now).result).toEqual({ kind: 'none' });
    expect(decide(rotated.next!, 'scan', 'approved', phone, now, 'x').result).toEqual({ kind: 'none' });
    // Once scanned, the phone holds the id: no more rotation.
    const scanned = markScanned(rotated.next!, 'scan2', phone, now).next!;
    expect(rotateScan(scanned, 'scan2', fresh, 30_000, now + 90_000).result).toBe(false);
  });
});
