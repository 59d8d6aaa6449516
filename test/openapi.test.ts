import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../src/http/openapi.ts';
import { connectDevice } from './helpers/devices.ts';
import { closeSockets, connectKiosk, connectSocket, nextEvent, startRelay, type TestRelay } from './helpers/relay.ts';

type Method = 'get' | 'head' | 'post' | 'delete';
interface Documented {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
}

/** Every (method, path) the Express app routes, walked through its router stack (mounted routers included). */
function routesOf(app: TestRelay['server']['app']): string[] {
  const found: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods as Record<string, boolean>)) {
          if (on && method !== '_all') found.push(`${method} ${layer.route.path}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as any).router.stack);
  return found;
}

let relay: TestRelay;
let doc: Documented;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
/** `get /api/v1/me 200` for every response checked against the document. */
const checked = new Set<string>();

/** Calls a route and checks the response against what the document says for that route and status. */
async function call(method: Method, template: string, options: { params?: Record<string, string>; body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const path = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
  const res = await fetch(`${relay.url}${path}`, {
    method: method.toUpperCase(),
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  const documented = doc.paths[openApiPath(template)]?.[method]?.responses[String(res.status)];
  expect(documented, `${method} ${template} answered ${res.status}, which the document does not list: ${text}`).toBeDefined();
  const schema = documented?.content?.['application/json']?.schema;
  const body = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (schema) {
    const validate = ajv.compile(schema);
    expect(validate(body), `${method} ${template} ${res.status}: ${ajv.errorsText(validate.errors)}\n${text}`).toBe(true);
  }
  checked.add(`${method} ${template} ${res.status}`);
  return { status: res.status, body };
}

beforeAll(async () => {
  relay = await startRelay();
  doc = (await (await fetch(`${relay.url}/api/v1/openapi.json`)).json()) as Documented;
});
afterAll(async () => {
  closeSockets();
  await relay.close();
});

describe('GET /api/v1/openapi.json', () => {
  it('is OpenAPI 3.1 whose every schema compiles as JSON Schema 2020-12', () => {
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
    let schemas = 0;
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods) as any[]) {
        for (const s of [op.requestBody?.content?.['application/json']?.schema, ...Object.values(op.responses).map((r: any) => r.content?.['application/json']?.schema)]) {
          if (s) {
            ajv.compile(s);
            schemas++;
          }
        }
      }
    }
    expect(schemas).toBeGreaterThan(30);
  });

  it('documents every route the relay serves, and no route it does not', () => {
    const served = routesOf(relay.server.app).map((r) => r.replace(/:(\w+)/g, '{$1}'));
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((r) => !documented.includes(r)), 'routes missing from the document').toEqual([]);
    expect(documented.filter((r) => !served.includes(r)), 'documented routes that do not exist').toEqual([]);
  });

  it('documents the validating schemas themselves: the claim body is the one the route rejects with', async () => {
    const claim = (doc.paths['/api/v1/pairing/claim']?.post as any)?.requestBody.content['application/json'].schema;
    expect(claim).toMatchObject({ type: 'object', additionalProperties: false, properties: { code: { pattern: '^\\d{6}$' } } });
    expect((await call('post', '/api/v1/pairing/claim', { body: { code: '12345', extra: 1 } })).status).toBe(400);
  });
});

describe('real responses match the documented schemas', () => {
  it('for every success with a JSON body, and the errors met on the way', async () => {
    await call('get', '/healthz');
    await call('get', '/readyz');
    expect((await call('post', '/api/v1/pairing/code', { body: { clientName: 'nobody home' } })).body.error.code).toBe('kiosk_offline');

    const kiosk = await connectKiosk(relay);
    let arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    await call('post', '/api/v1/pairing/code', { body: { clientName: 'phone' } });
    const { code } = await arrives;
    await call('post', '/api/v1/pairing/claim', { body: { code: code === '000000' ? '111111' : '000000' } });
    const phone = (await call('post', '/api/v1/pairing/claim', { body: { code, clientName: 'phone' } })).body;

    arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
    await call('get', '/auth/code', { headers: { 'client-name': 'seed client' } });
    const seed = (await call('post', '/auth/codecheck', { headers: { code: (await arrives).code } })).body;

    await call('get', '/api/v1/me', { token: phone.token });
    await call('get', '/api/v1/me');
    await call('get', '/api/v1/grants', { token: phone.token });
    const rotated = (await call('post', '/api/v1/tokens/refresh', { body: { refreshToken: phone.refreshToken } })).body;
    await call('delete', '/api/v1/grants/:id', { params: { id: seed.grantId }, token: rotated.token });
    await call('delete', '/api/v1/grants/:id', { params: { id: 'no-such-grant' }, token: rotated.token });

    await connectDevice(relay);
    await call('get', '/api/v1/devices', { token: rotated.token });
    await call('get', '/api/v1/devices/:id', { params: { id: 'lamp-1' }, token: rotated.token });
    await call('get', '/api/v1/devices/:id', { params: { id: 'nope' }, token: rotated.token });
    await call('post', '/api/v1/devices/:id/commands', { params: { id: 'lamp-1' }, body: { action: 'turn_on' }, token: rotated.token, headers: { 'idempotency-key': 'k1' } });
    await call('post', '/api/v1/devices/:id/commands', { params: { id: 'lamp-1' }, body: { action: 'explode' }, token: rotated.token });

    const notAfter = new Date(relay.clock.now() + 3600_000).toISOString();
    const invited = (
      await call('post', '/api/v1/guests', { body: { clientName: 'Cleaner', scope: { devices: ['lamp-1'], actions: 'read' }, notAfter }, token: rotated.token })
    ).body;
    const guest = (await call('post', '/api/v1/guests/claim', { body: { code: invited.code, clientName: 'Cleaner phone' } })).body;
    await call('get', '/api/v1/audit', { token: guest.token });
    await call('get', '/api/v1/audit', { token: rotated.token });
    await call('delete', '/api/v1/devices/:id', { params: { id: 'lamp-1' }, token: rotated.token });
    await connectDevice(relay);

    const session = (await call('post', '/api/v1/qr/sessions', { body: {} })).body;
    await call('get', '/api/v1/qr/sessions/:id/qr.svg', { params: { id: session.sessionId } });
    await call('get', '/api/v1/qr/sessions/:id', { params: { id: session.scanId }, token: rotated.token });
    await call('post', '/api/v1/qr/sessions/:id/approve', { params: { id: session.scanId }, body: {}, token: rotated.token });
    await call('post', '/api/v1/qr/sessions/:id/approve', { params: { id: session.scanId }, body: {}, token: rotated.token });
    await call('head', '/api/v1/qr/sessions/:id/events', { params: { id: session.sessionId } });
    await call('head', '/api/v1/qr/sessions/:id/events', { params: { id: session.scanId } });
    const other = (await call('post', '/api/v1/qr/sessions', { body: { clientName: 'laptop' } })).body;
    await call('post', '/api/v1/qr/sessions/:id/deny', { params: { id: other.scanId }, body: {}, token: rotated.token });
    await call('get', '/api/v1/qr/sessions/:id', { params: { id: 'unknown-session-id-0123456789' }, token: rotated.token });

    // Every documented success with a JSON schema was met above.
    const successes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([status, r]) => status.startsWith('2') && r.content?.['application/json']?.schema)
          .map(([status]) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')} ${status}`),
      ),
    );
    expect(successes.filter((s) => !checked.has(s))).toEqual([]);
    expect([...checked].filter((c) => !/ 2\d\d$/.test(c)).length).toBeGreaterThanOrEqual(6);
  });
});

describe('GET /api/v1/asyncapi.json', () => {
  it('is AsyncAPI 3 over the namespaces and the QR event stream, listing every event the relay listens to', async () => {
    const asyncApi = await (await fetch(`${relay.url}/api/v1/asyncapi.json`)).json();
    expect(asyncApi.asyncapi).toBe('3.0.0');
    expect(Object.values(asyncApi.channels).map((c: any) => c.address)).toEqual(['/kiosk', '/device', '/', '/api/v1/qr/sessions/{sessionId}/events']);
    for (const message of Object.values(asyncApi.channels).flatMap((c: any) => Object.values(c.messages)) as any[]) {
      if (message.payload) ajv.compile(message.payload);
    }
    // What the relay's sockets really listen to, read off live server-side sockets of each namespace.
    const phone = await pairForDashboard();
    await connectKiosk(relay);
    await connectDevice(relay, { deviceId: 'fan-9' });
    await connectSocket(relay.url, { token: phone.token });
    const reserved = new Set(['disconnect', 'disconnecting', 'error']);
    for (const [id, namespace] of [['kiosk', '/kiosk'], ['device', '/device'], ['dashboard', '/']] as const) {
      const socket = [...relay.server.io.of(namespace).sockets.values()].at(-1);
      const listened = (socket?.eventNames() ?? []).map(String).filter((e) => !reserved.has(e));
      expect(listened.length, namespace).toBeGreaterThan(0);
      const received = Object.values(asyncApi.operations as Record<string, any>)
        .filter((op) => op.action === 'receive' && op.channel.$ref === `#/channels/${id}`)
        .map((op) => asyncApi.channels[id].messages[op.messages[0].$ref.split('/').at(-1)].name);
      expect(listened.filter((e) => !received.includes(e)), `${namespace} events missing from the document`).toEqual([]);
    }
  });
});

async function pairForDashboard() {
  const kiosk = await connectKiosk(relay);
  const arrives = nextEvent<{ code: string }>(kiosk, 'pairing:code');
  await call('post', '/api/v1/pairing/code', { body: { clientName: 'dashboard' } });
  const tokens = (await call('post', '/api/v1/pairing/claim', { body: { code: (await arrives).code, clientName: 'dashboard' } })).body;
  kiosk.close();
  return tokens;
}
