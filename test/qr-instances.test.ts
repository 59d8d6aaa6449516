import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { closeSockets, getJson, pair, postJson, startRelay, type TestRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

describe('QR login across instances sharing one store', () => {
  const relays: TestRelay[] = [];
  afterEach(async () => {
    closeSockets();
    for (const relay of relays.splice(0)) await relay.close();
  });

  it('delivers SCANNED and COMPLETE to a stream on another instance', async () => {
    const clock = new FakeClock(Date.now());
    const store = new MemoryStore(clock);
    const a = await startRelay({ clock, store, keepStore: true });
    const b = await startRelay({ clock, store, keepStore: true });
    relays.push(a, b);
    const phone = await pair(b);
    const session = await createSession(a);
    const stream = await openSse(sessionUrl(a, session.sessionId, '/events'));
    await stream.next('CONNECT');
    await getJson(sessionUrl(b, session.scanId), phone.token);
    expect((await stream.next('SCANNED')).data.clientName).toBe('test client');
    expect((await postJson(sessionUrl(b, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const complete = await stream.next('COMPLETE');
    expect((await getJson(`${a.url}/api/v1/me`, complete.data.token)).status).toBe(200);
    // The loser of a cross-instance race sees the same 409 as on one instance.
    expect((await postJson(sessionUrl(a, session.scanId, '/deny'), {}, bearer(phone.token))).status).toBe(409);
  });
});
