import { connect as netConnect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, type FakeDevice } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, getJson, HUB_KEY, pair, startRelay, type TestRelay } from './helpers/relay.ts';

/**
 * Hostile input over every route and socket event: each answer is a contract error (or a success
 * the input happened to earn), never a 500, never HTML, and the server keeps serving.
 */

const pollutionKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ maxLength: 20_000 }),
  fc.constantFrom(...pollutionKeys).map((k) => JSON.parse(`{"${k}": {"polluted": true}, "code": "123456"}`)),
  fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))),
  fc.record({ code: fc.string(), serial: fc.string(), clientName: fc.string(), refreshToken: fc.string(), action: fc.string(), params: fc.jsonValue() }, { requiredKeys: [] }),
);

const snakeCase = /^[a-z]+(_[a-z]+)*$/;
const contractStatuses = new Set([200, 201, 202, 204, 400, 401, 404, 409, 413, 422, 423, 429, 503, 504]);

interface Route {
  method: string;
  path: string;
  auth?: boolean;
}

const routes: Route[] = [
  { method: 'POST', path: '/api/v1/pairing/code' },
  { method: 'POST', path: '/api/v1/pairing/claim' },
  { method: 'POST', path: '/auth/codecheck' },
  { method: 'POST', path: '/api/v1/tokens/refresh' },
  { method: 'GET', path: '/api/v1/me', auth: true },
  { method: 'GET', path: '/api/v1/grants', auth: true },
  { method: 'DELETE', path: '/api/v1/grants/%s', auth: true },
  { method: 'GET', path: '/api/v1/devices', auth: true },
  { method: 'GET', path: '/api/v1/devices/%s', auth: true },
  { method: 'POST', path: '/api/v1/devices/%s/commands', auth: true },
  { method: 'POST', path: '/api/v1/devices/light/commands', auth: true },
  { method: 'POST', path: '/api/v1/qr/sessions' },
  { method: 'GET', path: '/api/v1/qr/sessions/%s/events' },
  { method: 'GET', path: '/api/v1/qr/sessions/%s/qr.svg' },
  { method: 'GET', path: '/api/v1/qr/sessions/%s', auth: true },
  { method: 'POST', path: '/api/v1/qr/sessions/%s/approve', auth: true },
  { method: 'POST', path: '/api/v1/qr/sessions/%s/deny', auth: true },
];

describe('hostile input', () => {
  let relay: TestRelay;
  let token: string;
  let device: FakeDevice;
  beforeAll(async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off', PAIRING_LOCK_AFTER: '1000', PAIRING_LOCK_AFTER_FAILURES: '100000', PAIRING_CODE_REQUESTS: '1000000/1m' } });
    token = (await pair(relay, { kiosk: await connectKiosk(relay) })).token;
    device = await connectDevice(relay, { deviceId: 'light' });
  });
  afterAll(async () => {
    closeSockets();
    await relay.close();
  });

  it('answers random bodies on every route with contract JSON', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(hostileValue, fc.string({ maxLength: 40 }), async (body, segment) => {
          const path = route.path.replace('%s', encodeURIComponent(segment) || 'x');
          const res = await fetch(`${relay.url}${path}`, {
            method: route.method,
            headers: { 'content-type': 'application/json', ...(route.auth ? { authorization: `Bearer ${token}` } : {}) },
            body: route.method === 'GET' ? undefined : JSON.stringify(body) ?? 'null',
          });
          const text = await res.text();
          expect(contractStatuses.has(res.status), `${route.method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBe(true);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toContain('application/json');
            const parsed = JSON.parse(text);
            expect(parsed.error.code).toMatch(snakeCase);
            expect(text).not.toMatch(/\n\s+at |node_modules/);
          }
        }),
        { numRuns: 40 },
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('survives invalid UTF-8, wrong content types and header injection', async () => {
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x63, 0x6f, 0x64, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
    const bad = await fetch(`${relay.url}/api/v1/pairing/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: invalidUtf8 });
    expect(bad.status).toBe(400);
    const form = await fetch(`${relay.url}/api/v1/pairing/claim`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'code=123456' });
    expect(form.status).toBe(400);
    const charset = await fetch(`${relay.url}/api/v1/pairing/claim`, { method: 'POST', headers: { 'content-type': 'application/json; charset=klingon' }, body: '{}' });
    expect([400, 415]).toContain(charset.status);

    // Raw bytes, since fetch refuses CR/LF in header values: a smuggled header must not split the response.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(relay.port, '127.0.0.1', () => {
        socket.write('GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n\tSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.on('data', (d) => (data += String(d)));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 (400|401)/);
    expect(reply.toLowerCase()).not.toContain('set-cookie: pwned');
    expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('answers random payloads on every kiosk and dashboard event with an ack', async () => {
    const kiosk = await connectKiosk(relay);
    const dashboard = await connectDashboard(relay, token);
    const sockets = [
      { socket: kiosk, events: ['pairing:open', 'pairing:cancel', 'pairing:unlock', 'grants:list', 'grant:revoke', 'devices:list', 'device:command', 'device:enroll'] },
      { socket: dashboard, events: ['devices:list', 'device:command', 'qr:get', 'qr:approve', 'qr:deny'] },
    ];
    for (const { socket, events } of sockets) {
      for (const event of events) {
        await fc.assert(
          fc.asyncProperty(hostileValue, async (payload) => {
            const reply = await socket.timeout(5000).emitWithAck(event, payload);
            expect(typeof reply.ok).toBe('boolean');
            if (!reply.ok) expect(reply.error.code).toMatch(snakeCase);
          }),
          { numRuns: 15 },
        );
      }
    }
    // Payload-less and non-ack emits must not crash the server either.
    kiosk.emit('grant:revoke');
    kiosk.emit('pairing:open', 'x', 'y', 'z');
    kiosk.emit('no:such:event', { a: 1 });
    expect((await kiosk.timeout(5000).emitWithAck('grants:list', {})).ok).toBe(true);
    expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('refuses random device handshakes with a contract code and survives random state reports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('serial', 'hubKey', 'deviceId', 'name', 'type', 'actions', 'state', '__proto__'), hostileValue), async (auth) => {
        const attempt = { serial: 'home-1', hubKey: HUB_KEY, ...auth };
        try {
          const socket = await connectSocket(`${relay.url}/device`, attempt);
          socket.close();
        } catch (err) {
          expect((err as Error).message).toMatch(snakeCase);
        }
      }),
      { numRuns: 40 },
    );
    for (const payload of fc.sample(hostileValue, 40)) device.socket.emit('state', payload);
    device.socket.emit('state');
    expect((await getJson(`${relay.url}/api/v1/devices`, token)).status).toBe(200);
  });
});

/** Issue 12's parser edges: percent-encoding, nesting depth and header size, as an attacker varies them. */
describe('hostile parser edges', () => {
  let relay: TestRelay;
  let token: string;
  beforeAll(async () => {
    relay = await startRelay({ env: { RATE_LIMITS: 'off', PAIRING_LOCK_AFTER: '1000' } });
    token = (await pair(relay, { kiosk: await connectKiosk(relay) })).token;
    await connectDevice(relay, { deviceId: 'light' });
  });
  afterAll(async () => {
    closeSockets();
    await relay.close();
  });

  const decodes = (s: string) => {
    try {
      decodeURIComponent(s);
      return true;
    } catch {
      return false;
    }
  };
  /** Raw path segments built from percent signs, hex and non-hex digits, and multi-byte starts. */
  const segment = fc.array(fc.constantFrom('%', 'E0', 'A4', 'A', 'ZZ', 'C0', 'ff', '2F', '00', 'x', '.', '-', '%25', '%E2%82%AC'), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
  /** Arrays and objects mixed, nested 1–120 deep, sometimes around strings full of brackets. */
  const nestedJson = fc.tuple(fc.integer({ min: 1, max: 120 }), fc.array(fc.boolean(), { minLength: 120, maxLength: 120 }), fc.boolean()).map(([depth, kinds, bracketString]) => {
    let text = bracketString ? '"[[[{{{"' : '1';
    for (let i = 0; i < depth; i++) text = kinds[i] ? `[${text}]` : `{"k":${text}}`;
    return { depth, text };
  });

  it('answers any percent-encoding in any path: 400 invalid_request when it does not decode, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), segment, async (route, raw) => {
        const path = route.path.includes('%s') ? route.path.replace('%s', raw) : `${route.path}/${raw}`;
        const res = await fetch(`${relay.url}${path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: route.method === 'GET' ? undefined : '{}',
        });
        const text = await res.text();
        expect(contractStatuses.has(res.status), `${route.method} ${path} → ${res.status} ${text.slice(0, 200)}`).toBe(true);
        const sentPath = new URL(`${relay.url}${path}`).pathname;
        if (!decodes(sentPath)) {
          expect(res.status, `${route.method} ${sentPath}`).toBe(400);
          expect(JSON.parse(text).error.code).toBe('invalid_request');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses nesting past 32 levels on every JSON route and socket event, and only that', async () => {
    const posts = routes.filter((r) => r.method === 'POST');
    const kiosk = await connectKiosk(relay);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...posts), nestedJson, async (route, { depth, text }) => {
        const path = route.path.replace('%s', 'light');
        const res = await fetch(`${relay.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: `{"action":"turn_on","params":{"p":${text}}}`,
        });
        const body = (await res.json()) as { error?: { code: string } };
        // The body object and params add two levels to the generated value.
        if (depth + 2 > 32) expect([res.status, body.error?.code], `${path} depth ${depth + 2}`).toEqual([400, 'invalid_request']);
        else expect(res.status).toBeLessThan(500);
        const reply = await kiosk.timeout(5000).emitWithAck('device:command', { deviceId: 'light', action: 'turn_on', params: { p: JSON.parse(text) } });
        if (depth + 2 > 32) expect(reply.error?.code).toBe('invalid_request');
        else expect(reply.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('answers any header size: a JSON 431 past Node’s 16 KiB limit, a normal answer well below it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40_000 }), fc.integer({ min: 1, max: 6 }), async (size, count) => {
        const headers = Array.from({ length: count }, (_, i) => `X-Pad-${i}: ${'a'.repeat(Math.ceil(size / count))}\r\n`).join('');
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = netConnect(relay.port, '127.0.0.1', () => socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`));
          let data = '';
          socket.on('data', (d) => (data += String(d)));
          socket.on('close', () => resolve(data));
          socket.on('error', reject);
        });
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
        if (size < 15_000) expect(status).toBe(200);
        else if (size > 17_000) expect(status).toBe(431);
        if (status === 431) expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('header_too_large');
      }),
      { numRuns: 40 },
    );
    expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
  });
});
