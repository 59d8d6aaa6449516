import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSockets, connectKiosk, getJson, HUB_KEY, JWT_SECRET, nextEvent, pair, postJson, startRelay, type TestRelay, useRelay, logSink } from './helpers/relay.ts';

async function raw(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text ? JSON.parse(text) : null };
}

describe('errors are contract JSON, never HTML or stack traces', () => {
  const current = useRelay();
  let relay: TestRelay;
  beforeEach(() => {
    relay = current();
  });

  it('answers unknown routes with 404 not_found JSON', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/api/v1/nope'], ['DELETE', '/api/v1/pairing/code'], ['GET', '/api/v1/pairing/claim']]) {
      const res = await raw(`${relay.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.type).toContain('application/json');
      expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
  });

  it('answers malformed JSON, wrong types and unknown fields with 400 invalid_request', async () => {
    const cases: [string, string][] = [
      ['/api/v1/pairing/claim', '{"code": "12'],
      ['/api/v1/pairing/claim', '[1,2,3]'],
      ['/api/v1/pairing/claim', '"123456"'],
      ['/api/v1/pairing/claim', '{"code": 123456}'],
      ['/api/v1/pairing/claim', '{"code": "123456", "admin": true}'],
      ['/api/v1/pairing/code', '{"serial": 5}'],
      ['/api/v1/pairing/code', '{"clientName": ""}'],
      ['/api/v1/pairing/code', '{"__proto__": {"polluted": true}}'],
      ['/api/v1/tokens/refresh', '{}'],
      ['/api/v1/tokens/refresh', 'null'],
    ];
    for (const [path, body] of cases) {
      const res = await raw(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.text).not.toMatch(/at .*\.ts|node_modules|Error:/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('says to send JSON when a body comes with another content type', async () => {
    const res = await raw(`${relay.url}/api/v1/pairing/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"code":"123456"}',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('application/json') });
  });

  it('refuses bodies over 16 KiB', async () => {
    const res = await raw(`${relay.url}/api/v1/pairing/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: '123456', clientName: 'x'.repeat(17 * 1024) }),
    });
    expect([400, 413]).toContain(res.status);
    expect(['invalid_request', 'payload_too_large']).toContain(res.body.error.code);
  });

  it('keeps serving after hostile input', async () => {
    await raw(`${relay.url}/api/v1/pairing/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{'.repeat(5000) });
    await raw(`${relay.url}/api/v1/pairing/claim`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: 'xx' });
    expect((await getJson(`${relay.url}/healthz`)).body).toEqual({ status: 'ok' });
  });
});

describe('operations', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay.close();
  });

  it('serves healthz, readyz and Prometheus metrics with pairing outcomes and sockets', async () => {
    relay = await startRelay();
    expect((await getJson(`${relay.url}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await getJson(`${relay.url}/readyz`)).status).toBe(200);
    await pair(relay, { kiosk: await connectKiosk(relay) });
    await postJson(`${relay.url}/api/v1/pairing/claim`, { code: '000000' });
    const res = await fetch(`${relay.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/relay_pairing_outcomes_total\{result="claimed"\} 1/);
    expect(text).toMatch(/relay_pairing_outcomes_total\{result="issued"\} 1/);
    expect(text).toMatch(/relay_sockets\{namespace="\/kiosk"\} 1/);
    expect(text).toMatch(/relay_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/pairing\/claim"/);
  });

  it('reports not ready when the store is down', async () => {
    relay = await startRelay();
    relay.store.ping = async () => false;
    expect((await getJson(`${relay.url}/readyz`)).status).toBe(503);
  });

  it('never logs a pairing code, token, refresh token or hub key', async () => {
    const sink = logSink();
    relay = await startRelay({ env: { LOG_LEVEL: 'trace' }, logTo: sink.stream });
    const kiosk = await connectKiosk(relay);
    const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    await postJson(`${relay.url}/api/v1/pairing/code`, {});
    const { code } = await arrives;
    await postJson(`${relay.url}/api/v1/pairing/claim`, { code: code === '000000' ? '000001' : '000000' });
    const tokens = (await postJson(`${relay.url}/api/v1/pairing/claim`, { code })).body;
    const refreshed = (await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: tokens.refreshToken })).body;
    await getJson(`${relay.url}/api/v1/me`, refreshed.token);
    await postJson(`${relay.url}/api/v1/tokens/refresh`, { refreshToken: tokens.refreshToken });
    const log = sink.text();
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [code, tokens.token, tokens.refreshToken, refreshed.token, refreshed.refreshToken, HUB_KEY, JWT_SECRET]) {
      expect(log).not.toContain(secret);
    }
  });
});
