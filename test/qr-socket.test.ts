import { describe, expect, it } from 'vitest';
import { createSession, sessionUrl } from './helpers/qr.ts';
import { connectDashboard, emitAck, pair, useRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

describe('QR approval from a dashboard socket', () => {
  const current = useRelay();

  it('looks, approves and is refused a second decision, like REST', async () => {
    const relay = current();
    const phone = await pair(relay, { clientName: 'Alice phone' });
    const socket = await connectDashboard(relay, phone.token);
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');

    const looked = await emitAck(socket, 'qr:get', { scanId: session.scanId });
    expect(looked).toMatchObject({ ok: true, data: { scanId: session.scanId, status: 'scanned' } });
    expect((await stream.next('SCANNED')).data).toEqual({ clientName: 'Alice phone' });

    expect(await emitAck(socket, 'qr:approve', { scanId: session.scanId, clientName: 'Kitchen tablet' })).toEqual({ ok: true, data: { success: true } });
    expect((await stream.next('COMPLETE')).data).toMatchObject({ serial: 'home-1', success: true });
    const again = await emitAck(socket, 'qr:deny', { scanId: session.scanId });
    expect(again).toMatchObject({ ok: false, error: { code: 'session_completed' } });
  });

  it('answers session_not_found and invalid_request as acks', async () => {
    const relay = current();
    const phone = await pair(relay);
    const socket = await connectDashboard(relay, phone.token);
    expect(await emitAck(socket, 'qr:approve', { scanId: 'AAAAAAAAAAAAAAAAAAAAAA' })).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    expect(await emitAck(socket, 'qr:get', { scanId: '../etc' })).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    expect(await emitAck(socket, 'qr:deny', { scanId: 5 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});
