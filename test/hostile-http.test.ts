import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { answerClientErrors } from '../src/http/client-errors.ts';
import { connectDevice } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, emitAck, HUB_KEY, pair, startRelay, type TestRelay } from './helpers/relay.ts';

/** Parser edges an attacker (or a buggy client) reaches first: paths, nesting, headers, /metrics. */

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObject = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

async function raw(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, headers: res.headers };
}

/** Bytes straight onto the socket: fetch would refuse (or fix) what an attacker sends. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += String(d)));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('hostile HTTP edges', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('answers paths that do not percent-decode with 400 invalid_request, never a 500', async () => {
    relay = await startRelay();
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const auth = { authorization: `Bearer ${token}` };
    const cases: [string, string][] = [
      ['GET', '/api/v1/devices/%E0%A4%A'],
      ['DELETE', '/api/v1/devices/%E0%A4%A'],
      ['POST', '/api/v1/devices/%ZZ/commands'],
      ['DELETE', '/api/v1/grants/%ZZ'],
      ['GET', '/api/v1/qr/sessions/%E0%A4%A/events'],
      ['GET', '/api/v1/qr/sessions/%E0%A4%A'],
      ['GET', '/%E0%A4%A'],
      ['GET', '/nope/%C0'],
    ];
    for (const [method, path] of cases) {
      const res = await rawHttp(relay.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(res, `${method} ${path}`).toMatch(/^HTTP\/1\.1 400 /);
      expect(res).toContain('application/json');
      expect(res).toContain('"code":"invalid_request"');
    }
  });

  it('answers a body that does not match its Content-Encoding with 400 invalid_request, never a 500', async () => {
    relay = await startRelay();
    for (const encoding of ['br', 'deflate', 'GZIP', 'gzip']) {
      for (const path of ['/api/v1/tokens/refresh', '/api/v1/pairing/claim', '/auth/codecheck']) {
        const res = await fetch(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: '{"refreshToken":"x"}' });
        expect(res.status, `${encoding} ${path}`).toBe(400);
        expect((await res.json()) as unknown).toMatchObject({ error: { code: 'invalid_request' } });
      }
    }
  });

  it('refuses JSON bodies nested deeper than 32 levels with 400 invalid_request and accepts 32', async () => {
    relay = await startRelay();
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    await connectDevice(relay, { deviceId: 'light' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    for (const body of [nested(7000), `{"action":"turn_on","params":{"x":${nested(40)}}}`, `{"code":"123456","x":${'{"a":'.repeat(33)}1${'}'.repeat(33)}}`]) {
      for (const path of ['/api/v1/pairing/claim', '/api/v1/devices/light/commands', '/api/v1/qr/sessions']) {
        const res = await raw(`${relay.url}${path}`, { method: 'POST', headers, body });
        expect(res.status, `${path} ${body.slice(0, 30)}`).toBe(400);
        expect(JSON.parse(res.text).error.code).toBe('invalid_request');
      }
    }
    // Brackets inside strings are not nesting.
    const inString = await raw(`${relay.url}/api/v1/devices/light/commands`, { method: 'POST', headers, body: JSON.stringify({ action: 'turn_on', params: { s: '['.repeat(100) } }) });
    expect(inString.status).toBe(200);
    // 32 levels in all (the body object is level 1) still pass.
    const deep = JSON.stringify({ action: 'turn_on', params: nestedObject(30) });
    expect((await raw(`${relay.url}/api/v1/devices/light/commands`, { method: 'POST', headers, body: deep })).status).toBe(200);
  });

  it('answers socket payloads and device state nested deeper than 32 levels with invalid_request', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const { token } = await pair(relay, { kiosk });
    const device = await connectDevice(relay, { deviceId: 'light' });
    const dashboard = await connectDashboard(relay, token);
    const deep = { deviceId: 'light', action: 'turn_on', params: { x: JSON.parse(nested(1500)) } };
    for (const socket of [kiosk, dashboard]) {
      const reply = await emitAck(socket, 'device:command', deep);
      expect(reply).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid_request' }) });
    }
    const stateReply = await emitAck(device.socket, 'state', { state: { x: JSON.parse(nested(1500)) } });
    expect(stateReply).toEqual({ ok: false, error: expect.objectContaining({ code: 'invalid_request' }) });
    await expect(
      connectSocket(`${relay.url}/device`, { serial: 'home-1', hubKey: HUB_KEY, deviceId: 'deep', name: 'Deep', type: 'light', actions: [], state: { x: JSON.parse(nested(1500)) } }),
    ).rejects.toThrow('invalid_request');
    expect((await emitAck(kiosk, 'devices:list')).ok).toBe(true);
  });

  it('answers a 30,000-deep payload sent as raw Socket.IO frames (no client-side recursion) with invalid_request', async () => {
    relay = await startRelay();
    const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    const next = (match: (f: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame; got ${frames.map((f) => f.slice(0, 40)).join(' | ')}`)), 5000);
        const check = () => {
          const found = frames.find(match);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else setTimeout(check, 10);
        };
        check();
      });
    ws.on('message', (data) => {
      const frame = String(data);
      if (frame === '2') ws.send('3');
      frames.push(frame);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    await next((f) => f.startsWith('0'));
    ws.send(`40/kiosk,${JSON.stringify({ serial: 'home-1', hubKey: HUB_KEY })}`);
    await next((f) => f.startsWith('40/kiosk,'));
    const depth = 30_000;
    ws.send(`42/kiosk,7["device:command",{"deviceId":"x","action":"a","params":{"p":${'['.repeat(depth)}${']'.repeat(depth)}}}]`);
    const ack = await next((f) => f.startsWith('43/kiosk,7'));
    expect(JSON.parse(ack.slice('43/kiosk,7'.length))[0]).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    ws.send('42/kiosk,8["devices:list",{}]');
    expect(JSON.parse((await next((f) => f.startsWith('43/kiosk,8'))).slice('43/kiosk,8'.length))[0]).toMatchObject({ ok: true });
    ws.close();
  });

  it('answers an oversized header block with a JSON 431', async () => {
    relay = await startRelay();
    const res = await rawHttp(relay.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 431 /);
    expect(res.toLowerCase()).toContain('content-type: application/json');
    const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4));
    expect(body.error.code).toBe('header_too_large');
    // And the server keeps serving.
    expect((await raw(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('maps Node’s request timeout to a JSON 408 and leaves a reset connection alone', () => {
    const server = new EventEmitter() as unknown as Server;
    answerClientErrors(server);
    const socket = () => {
      const sent = { text: '', destroyed: false };
      return { sent, writable: true, end: (text: string) => {
          sent.text = text;
        },
        destroy: () => {
          sent.destroyed = true;
        },
      };
    };
    const slow = socket();
    server.emit('clientError', Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), slow);
    expect(slow.sent.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(slow.sent.text.slice(slow.sent.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('request_timeout');
    const reset = socket();
    server.emit('clientError', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset);
    expect(reset.sent).toEqual({ text: '', destroyed: true });
  });

  it('answers a malformed request line with a JSON 400', async () => {
    relay = await startRelay();
    const res = await rawHttp(relay.port, 'GARBAGE\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)).error.code).toBe('invalid_request');
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let relay: TestRelay;
  afterEach(async () => {
    await relay?.close();
  });

  it('is closed without the bearer token and open with it', async () => {
    relay = await startRelay({ env: { METRICS_TOKEN: 'metrics-secret-0123456789' } });
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer metrics-secret-012345678', 'Basic bWV0cmljcw==', 'Bearer metrics-secret-0123456789x']) {
      const res = await raw(`${relay.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.type).toContain('application/json');
      expect(res.text).not.toContain('relay_sockets');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
    }
    const ok = await raw(`${relay.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-0123456789' } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('relay_sockets');
  });

  it('stays open when METRICS_TOKEN is unset', async () => {
    relay = await startRelay();
    expect((await raw(`${relay.url}/metrics`)).status).toBe(200);
  });
});
