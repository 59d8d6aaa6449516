import { io, type Socket } from 'socket.io-client';
import { openBounded } from './bounded.ts';

/** Loopback source addresses to spread connections over, so 10,000 sockets never run out of ephemeral ports. */
export const LOOPBACK_SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** `count` loopback source addresses 127.0.0.1…: each gives ~28,000 ephemeral ports towards one server port. */
export const loopbackSources = (count: number): string[] => Array.from({ length: count }, (_, i) => `127.0.0.${i + 1}`);

export interface SocketSpec {
  /** Full URL including the namespace, e.g. http://127.0.0.1:3000/kiosk */
  url: string;
  auth: Record<string, unknown>;
  localAddress?: string;
}

/** One websocket per Socket.IO client (forceNew), no reconnection: a drop is a failure, not a retry. */
export function connectSocket(spec: SocketSpec, timeoutMs = 10_000): Promise<Socket> {
  const socket = io(spec.url, {
    auth: spec.auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(new Error(`${spec.url}: ${err.message}`));
    });
  });
}

export interface ConnectManyResult {
  sockets: Socket[];
  failures: string[];
  elapsedMs: number;
}

/** Connects every spec, bounded in flight and in time (see openBounded). */
export async function connectMany(
  specs: readonly SocketSpec[],
  options: { concurrency: number; deadlineMs: number; maxFailures?: number; ratePerSec?: number },
): Promise<ConnectManyResult> {
  const run = await openBounded(specs.length, options, (i, msLeft) => connectSocket(specs[i] as SocketSpec, Math.max(1000, msLeft)));
  return { sockets: run.items, failures: run.failures, elapsedMs: run.elapsedMs };
}

export function closeAll(sockets: readonly Socket[]): void {
  for (const socket of sockets) socket.close();
}

/** The next `event` on `socket`, or a rejection after `timeoutMs`. */
export function nextEvent<T>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
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
