import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { pair, postJson, useRelay } from './helpers/relay.ts';
import { openSse } from './helpers/sse.ts';

describe('QR login leaves nothing in clear at rest (sqlite store)', () => {
  const current = useRelay({ env: { STORE: 'sqlite' } });

  it('the database thief: neither the SQLite file nor its WAL holds the delivered tokens or the session', async () => {
    const relay = current();
    const phone = await pair(relay);
    const session = await createSession(relay, { clientName: 'Office laptop' });
    expect((await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token))).status).toBe(200);
    const stream = await openSse(sessionUrl(relay, session.sessionId, '/events'));
    const { token, refreshToken, grantId } = (await stream.next('COMPLETE')).data;
    await stream.ended;

    const files = readdirSync(relay.config.dataDir).filter((f) => f.startsWith('relay.sqlite'));
    expect(files).toContain('relay.sqlite');
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(relay.config.dataDir, f))));
    // The grant itself is durable (a sanity check that we are reading the right files)…
    expect(bytes.includes(Buffer.from(grantId))).toBe(true);
    // …its tokens and the QR session (ephemeral, never a durable write) are not.
    for (const secret of [token, refreshToken, session.sessionId, session.scanId]) {
      expect(bytes.includes(Buffer.from(secret)), secret.slice(0, 6)).toBe(false);
    }
  });
});
