import { Writable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { FakeClock, type Clock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { ensureDefaultHome } from '../../src/bootstrap.ts';
import type { FeatureFactory } from '../../src/feature.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { Metrics } from '../../src/metrics.ts';
import { createServer, type RelayServer, type ServerOptions } from '../../src/server.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { TokenResponse } from '../../src/tokens/service.ts';

export const HUB_KEY = 'test-hub-key-0123456789abcdef';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';

export interface TestRelay {
  url: string;
  port: number;
  server: RelayServer;
  store: Store;
  clock: Clock;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Reuse a store (several instances on one store, or a restart on the same DATA_DIR). */
  store?: Store;
  features?: FeatureFactory[];
  adapter?: ServerOptions['adapter'];
  /** Keep the store open on close (tests that share or reopen it close it themselves). */
  keepStore?: boolean;
  /** Where logs go (a test that inspects them); stdout otherwise. */
  logTo?: NodeJS.WritableStream;
}

export const tempDir = (prefix = 'relay-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** A whole relay on a free port, memory store and a fake clock unless told otherwise. */
export async function startRelay(options: StartOptions = {}): Promise<TestRelay> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    STORE: 'memory',
    DATA_DIR: tempDir(),
    HUB_KEY,
    JWT_SECRET,
    DEMO_DEVICES: 'false',
    ...options.env,
  });
  const clock = options.clock ?? new FakeClock(Date.now());
  const logger = createLogger(config.logLevel, options.logTo);
  const store = options.store ?? (await openStore(config, clock, logger));
  await ensureDefaultHome(config, store, clock);
  const server = createServer(
    { config, store, clock, logger, metrics: new Metrics(), jwtSecret: config.jwtSecret ?? JWT_SECRET },
    { ...(options.features ? { features: options.features } : {}), ...(options.adapter ? { adapter: options.adapter } : {}) },
  );
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    server,
    store,
    clock,
    config,
    logger,
    async close() {
      await server.close();
      if (!options.keepStore) await store.close();
    },
  };
}

const openSockets = new Set<ClientSocket>();

/** Connects a socket.io client; resolves on connect, rejects with the connect_error. */
export function connectSocket(url: string, auth: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ClientSocket> {
  const socket = connect(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true, ...extra });
  openSockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export const connectKiosk = (relay: Pick<TestRelay, 'url'>, serial = 'home-1', hubKey = HUB_KEY) =>
  connectSocket(`${relay.url}/kiosk`, { serial, hubKey });

export const connectDashboard = (relay: Pick<TestRelay, 'url'>, token: string) => connectSocket(relay.url, { token });

/** Closes every socket a test opened (call in afterEach). */
export function closeSockets(): void {
  for (const socket of openSockets) socket.close();
  openSockets.clear();
}

/** The next `event` on `socket`, or a rejection after `timeoutMs`. */
export function nextEvent<T = any>(socket: ClientSocket, event: string, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, onEvent);
  });
}

/** Emits with an acknowledgement and resolves with the reply. */
export function emitAck<T = any>(socket: ClientSocket, event: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload ?? {}) as Promise<T>;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** The whole pairing dance as a user does it: code to the kiosk, read it there, claim it. */
export async function pair(
  relay: Pick<TestRelay, 'url'>,
  options: { kiosk?: ClientSocket; clientName?: string; serial?: string; hubKey?: string } = {},
): Promise<TokenResponse> {
  const { kiosk, clientName = 'test client', serial = 'home-1', hubKey = HUB_KEY } = options;
  const screen = kiosk ?? (await connectKiosk(relay, serial, hubKey));
  const codeArrives = nextEvent<{ code: string }>(screen, 'pairing:code');
  const requested = await postJson(`${relay.url}/api/v1/pairing/code`, { clientName, serial });
  if (requested.status !== 202) throw new Error(`code request failed: ${JSON.stringify(requested.body)}`);
  const { code } = await codeArrives;
  const claimed = await postJson(`${relay.url}/api/v1/pairing/claim`, { code, clientName, serial });
  if (claimed.status !== 201) throw new Error(`claim failed: ${JSON.stringify(claimed.body)}`);
  if (!kiosk) screen.close();
  return claimed.body as TokenResponse;
}

/**
 * A fresh relay for each test of the enclosing describe, closed (with its sockets) after each.
 * Read it through the returned getter inside tests.
 */
export function useRelay(options: StartOptions = {}): () => TestRelay {
  let relay: TestRelay | undefined;
  beforeEach(async () => {
    relay = await startRelay(options);
  });
  afterEach(async () => {
    closeSockets();
    await relay?.close();
    relay = undefined;
  });
  return () => {
    if (!relay) throw new Error('useRelay: no relay outside a test');
    return relay;
  };
}

/** A log destination a test can read back: everything written, as one string. */
export function logSink(): { stream: NodeJS.WritableStream; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/**
 * A client that stops reading its socket, as a frozen browser tab or a hostile client does: the
 * TCP socket under its WebSocket is paused, so the kernel buffers fill and the relay must hold the rest.
 */
export function stallReading(socket: ClientSocket): void {
  const engine = socket.io.engine as unknown as { transport: { name: string; ws?: { _socket?: { pause(): void } } } };
  const tcp = engine.transport.ws?._socket;
  if (engine.transport.name !== 'websocket' || !tcp) throw new Error('stallReading needs a websocket transport');
  tcp.pause();
}
