import QRCode from 'qrcode';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeClock } from '../src/clock.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { closeSockets, getJson, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

/** The default QR_SCAN_ROTATION (30 s); the rotation runs on the relay's clock, so moving it rotates. */
const ROTATION_MS = 30_000;

describe('QR scan id rotation while pending', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });

  it('an old photo of the QR is worthless: the scan id rotates, the old one finds nothing, the new one works', async () => {
    relay = await startRelay();
    const clock = relay.clock as FakeClock;
    const phone = await pair(relay);
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    clock.advance(ROTATION_MS);
    const qr = await stream.next('QR', 4000);
    expect(qr.id).toBeUndefined();
    const { scanId, approveUrl, qrSvgUrl } = qr.data;
    expect(scanId).not.toBe(session.scanId);
    expect(approveUrl).toBe(session.approveUrl.replace(session.scanId, scanId));
    expect(qrSvgUrl).toBe(session.qrSvgUrl);
    expect(await (await fetch(qrSvgUrl)).text()).toBe(await QRCode.toString(approveUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));

    // The photographed (old) id: nothing to look at, approve or deny.
    expect((await getJson(sessionUrl(relay, session.scanId), phone.token)).status).toBe(404);
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(404);

    // The current one (read from the latest QR event) works, and once scanned the id stays.
    const latest = () => stream.events.filter((e) => e.event === 'QR').at(-1)!.data.scanId as string;
    const looked = await getJson(sessionUrl(relay, latest()), phone.token);
    expect(looked.status).toBe(200);
    const held = latest();
    const qrEvents = stream.events.filter((e) => e.event === 'QR').length;
    // Three rotation periods pass: a rotation would void `held`, so the approval below would find nothing.
    clock.advance(3 * ROTATION_MS);
    expect((await postJson(sessionUrl(relay, held, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    expect((await stream.next('COMPLETE')).data.token).toEqual(expect.any(String));
    expect(stream.events.filter((e) => e.event === 'QR').length).toBe(qrEvents);
  });

  it('a reconnecting stream is told the current scan id at once', async () => {
    relay = await startRelay();
    const session = await createSession(relay);
    const first = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await first.next('CONNECT');
    (relay.clock as FakeClock).advance(ROTATION_MS);
    await first.next('QR', 4000);
    first.close();
    const second = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await second.next('CONNECT');
    const announced = await second.next('QR', 4000);
    // Sent right behind CONNECT, not by a later rotation.
    expect(second.events.map((e) => e.event).slice(0, 2)).toEqual(['CONNECT', 'QR']);
    expect(announced.data.scanId).not.toBe(session.scanId);
    expect(announced.data.approveUrl).toContain(announced.data.scanId);
    second.close();
  });
});
