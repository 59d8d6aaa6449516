import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSocket, emitAck, HUB_KEY, nextEvent, pair, postJson, useRelay } from './helpers/relay.ts';

/**
 * Socket.IO over HTTP long-polling (what clients fall back to behind proxies that block
 * WebSocket): engine.io and Express share one http.Server, and only engine.io may answer
 * /socket.io requests.
 */
describe('Socket.IO over HTTP long-polling', () => {
  const relay = useRelay();
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  beforeAll(() => {
    process.on('uncaughtException', record);
  });
  afterAll(() => {
    process.off('uncaughtException', record);
  });

  it('carries kiosk acks and pushes, and dashboards, without a second responder', async () => {
    const kiosk = await connectSocket(`${relay().url}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY }, { transports: ['polling'] });
    expect(kiosk.io.engine.transport.name).toBe('polling');
    expect(await emitAck(kiosk, 'grants:list')).toEqual({ ok: true, data: { grants: [] } });
    const arrives = nextEvent(kiosk, 'pairing:code');
    expect((await postJson(`${relay().url}/api/v1/pairing/code`, {})).status).toBe(202);
    await arrives;
    const tokens = await pair(relay(), { kiosk });
    const dashboard = await connectSocket(relay().url, { token: tokens.token }, { transports: ['polling'] });
    const revoked = nextEvent(dashboard, 'grant:revoked');
    expect(await emitAck(kiosk, 'grant:revoke', { grantId: tokens.grantId })).toEqual({ ok: true, data: {} });
    expect(await revoked).toEqual({ grantId: tokens.grantId });
    expect(uncaught).toEqual([]);
  });
});
