import { afterEach, describe, expect, it } from 'vitest';
import { ensureDefaultHome } from '../src/bootstrap.ts';
import { FakeClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { Metrics } from '../src/metrics.ts';
import { createServer, type RelayServer } from '../src/server.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { closeSockets, getJson, HUB_KEY, JWT_SECRET, pair, postJson, tempDir, logSink } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

describe('QR session ids stay out of the logs', () => {
  let server: RelayServer | undefined;
  afterEach(async () => {
    closeSockets();
    await server?.close();
  });

  it('logs every step at trace level without the id', async () => {
    const sink = logSink();
    const config = loadConfig({ NODE_ENV: 'test', STORE: 'memory', DATA_DIR: tempDir(), HUB_KEY, JWT_SECRET, LOG_LEVEL: 'trace' });
    const clock = new FakeClock(Date.now());
    const store = new MemoryStore(clock);
    await ensureDefaultHome(config, store, clock);
    server = createServer({ config, store, clock, logger: createLogger('trace', sink.stream), metrics: new Metrics(), jwtSecret: JWT_SECRET });
    const relay = { url: `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}` };

    const phone = await pair(relay);
    const session = await createSession(relay);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    await stream.next('CONNECT');
    await getJson(sessionUrl(relay, session.scanId), phone.token);
    await fetch(session.qrSvgUrl).then((r) => r.text());
    await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    await stream.next('COMPLETE');
    await postJson(sessionUrl(relay, session.scanId, '/deny'), {}, bearer(phone.token));
    await new Promise((r) => setTimeout(r, 50));

    const log = sink.text();
    expect(log).toContain('qr session approved');
    expect(log).toContain('/api/v1/qr/sessions/:id');
    expect(log).toContain('qr session delivered');
    expect(log).not.toContain(session.sessionId);
    expect(log).not.toContain(session.scanId);
  });
});
